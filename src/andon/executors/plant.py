"""The plant executor: approved work handed to the systems a plant already has.

Each approved decision is published as a work request on the Unified Namespace
(:mod:`andon.executors.work_requests`, QoS 1: the broker has it when ``execute`` returns)
and waits, ``dispatched``, until the plant's system answers on the request's ``/ack``
topic: accepted or done makes the decision executed; refused leaves it approved with the
reason shown. The runtime keeps each request in the execution ledger (the outbox), so an
unanswered or failed request stays visible and is sent again, never dropped.

The transport is a protocol, so the same executor runs over MQTT (:class:`MqttWorkRequests`)
or, in tests, over anything that moves bytes.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, Final, Protocol

from andon.apps import known_action_kind
from andon.connect.mqtt import MqttSettings, paho_client
from andon.errors import AndonError, ConnectError
from andon.executors.work_requests import WorkRequest, decode_ack, encode_request
from andon.proposals import Action, Execution, ExecutionStatus

__all__ = ["MqttWorkRequests", "PlantExecutor", "WorkRequestTransport"]

_log: Final = logging.getLogger(__name__)

_MAX_DEPTH = 8
"""Deepest subject path (levels) whose acknowledgements are subscribed to."""


class WorkRequestTransport(Protocol):
    """Moves work requests out and acknowledgements in."""

    def publish(self, topic: str, payload: bytes) -> None:
        """Publish one request; return once the broker has it, else raise ConnectError."""
        ...

    def received(self) -> list[tuple[str, bytes]]:
        """Return the acknowledgement messages received since the last call."""
        ...

    def close(self) -> None:
        """Disconnect."""
        ...


class PlantExecutor:
    """Carry out approved decisions by publishing work requests (an ``Executor``).

    ``describe`` gives what a request says beside the action (who approved it, its expected
    value); the runtime passes the decision service's view of the decision.
    """

    name = "plant"

    def __init__(
        self,
        *,
        transport: WorkRequestTransport,
        describe: Callable[[str], dict[str, Any]] | None = None,
    ) -> None:
        self._transport = transport
        self._describe = describe
        self.rejected_messages = 0

    def execute(self, *, decision_id: str, action: Action, now: int) -> Execution:
        """Publish the work request of one approved action."""
        try:
            app = known_action_kind(action.kind).app
            extra = self._describe(decision_id) if self._describe is not None else {}
            topic, payload = encode_request(
                WorkRequest(
                    request_id=decision_id,
                    app=app,
                    action=action,
                    title=action.label or action.kind,
                    requested_at=now,
                    approved_by=extra.get("approved_by"),
                    expected_value=extra.get("expected_value"),
                    currency=extra.get("currency"),
                )
            )
            self._transport.publish(topic, payload)
        except AndonError as exc:
            return Execution(
                decision_id=decision_id,
                status=ExecutionStatus.FAILED,
                detail=f"work request not sent: {exc}",
            )
        return Execution(
            decision_id=decision_id,
            status=ExecutionStatus.DISPATCHED,
            detail=f"work request published on {topic}; awaiting its acknowledgement",
            reference=topic,
        )

    def acknowledgements(self, *, now: int) -> list[Execution]:
        """Return the answers the plant's systems sent since the last call."""
        del now
        out: list[Execution] = []
        for topic, payload in self._transport.received():
            try:
                ack = decode_ack(topic, payload)
            except ConnectError as exc:
                self.rejected_messages += 1
                _log.warning("ignored a malformed acknowledgement on %s: %s", topic, exc)
                continue
            if ack.accepted:
                detail = f"{ack.status.value} by the plant" + (
                    f" as work order {ack.work_order}" if ack.work_order else ""
                )
                status = ExecutionStatus.DONE
            else:
                detail = f"refused by the plant: {ack.reason or 'no reason given'}"
                status = ExecutionStatus.REJECTED
            out.append(
                Execution(
                    decision_id=ack.request_id,
                    status=status,
                    detail=detail,
                    reference=ack.work_order,
                )
            )
        return out

    def close(self) -> None:
        """Close the transport."""
        self._transport.close()


class MqttWorkRequests:
    """Work requests over MQTT: publish QoS 1 and wait for the broker's PUBACK; receive
    acknowledgements on ``<subject>/<app>/request/ack`` for every subject under ``root``.

    ``prefix`` goes before every topic, as the Unified Namespace's prefix does for the
    plant's records (``andon ingest mqtt --prefix``). Subscriptions are renewed on every
    reconnect.
    """

    def __init__(
        self,
        *,
        settings: MqttSettings,
        root: str,
        apps: tuple[str, ...],
        prefix: str = "",
        publish_timeout_s: float = 10.0,
    ) -> None:
        if not apps:
            msg = "MqttWorkRequests needs at least one app whose requests it carries"
            raise ConnectError(msg)
        self._settings = settings
        self._timeout_s = publish_timeout_s
        self._prefix = prefix.rstrip("/") + "/" if prefix else ""
        self._topics = [
            self._prefix + "/".join([root, *["+"] * depth, app, "request", "ack"])
            for app in apps
            for depth in range(_MAX_DEPTH)
        ]
        self._inbox: deque[tuple[str, bytes]] = deque(maxlen=100_000)
        self._connected = threading.Event()
        named = dataclasses.replace(
            settings,
            client_id=f"{settings.client_id}-requests-{uuid.uuid4().hex[:8]}",
            persistent_session=False,
        )
        self._client = paho_client(named)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        host, port, _ = settings.endpoint()
        try:
            self._client.connect(host, port, keepalive=settings.keepalive_s)
        except OSError as exc:
            msg = f"cannot reach the MQTT broker at {host}:{port}: {exc}"
            raise ConnectError(msg) from exc
        self._client.loop_start()
        if not self._connected.wait(publish_timeout_s):
            self.close()
            msg = f"the MQTT broker at {host}:{port} did not accept the connection"
            raise ConnectError(msg)

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        del userdata, flags, props
        if getattr(reason, "is_failure", False):
            return
        client.subscribe([(topic, 1) for topic in self._topics])
        self._connected.set()

    def _on_disconnect(self, *args: Any) -> None:
        del args
        self._connected.clear()

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        del client, userdata
        topic = str(message.topic)
        self._inbox.append((topic.removeprefix(self._prefix), bytes(message.payload)))

    def publish(self, topic: str, payload: bytes) -> None:
        """Publish one request (QoS 1, not retained) and wait for the broker's PUBACK."""
        if not self._connected.wait(self._timeout_s):
            msg = "not connected to the MQTT broker"
            raise ConnectError(msg)
        topic = self._prefix + topic
        info = self._client.publish(topic, payload, qos=1, retain=False)
        try:
            info.wait_for_publish(self._timeout_s)
        except (RuntimeError, ValueError) as exc:
            msg = f"publishing to {topic} failed: {exc}"
            raise ConnectError(msg) from exc
        if not info.is_published():
            msg = f"the broker did not confirm the request on {topic} in {self._timeout_s:g} s"
            raise ConnectError(msg)

    def received(self) -> list[tuple[str, bytes]]:
        """Return and forget the acknowledgements received so far."""
        out: list[tuple[str, bytes]] = []
        while self._inbox:
            out.append(self._inbox.popleft())
        return out

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()
