"""An MQTT source: QoS 1, a persistent session, reconnect with backoff, TLS and passwords.

The client only moves bytes (paho-mqtt, chosen over aiomqtt for its lower cost per message
in a receive loop). Messages are decoded in groups on a thread of their own by a pure
decoder (:class:`~andon.connect.uns.UnsDecoder`, or the Sparkplug B host), and each group
goes to a handler, typically a buffer's ``append``.

Acknowledgement: with ``ack_after_handler`` (the edge agent with a disk buffer), a message is
acknowledged to the broker only after the handler returned, i.e. after its batch is on disk,
so a killed process loses nothing: the broker redelivers. Without it, paho acknowledges on
receipt, which is faster but loses the messages of the group being decoded if the process
dies.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote, urlparse

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from andon.connect.decoded import Batch, Decoded, Rejected
from andon.connect.metrics import Metrics
from andon.errors import ConnectError

__all__ = ["Message", "MqttSettings", "MqttSource", "Presence", "paho_client"]

_log: Final = logging.getLogger(__name__)

Message = tuple[str, bytes]
"""A received message: topic and payload."""

Presence = tuple[str, bytes, bytes]
"""A retained presence topic, its online payload and its offline payload (the will), made
together (a Sparkplug host's STATE: both carry one timestamp)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttSettings:
    """Where and how to connect: ``mqtt://host:1883`` or ``mqtts://host:8883`` (TLS).

    Credentials may be in the URL (``mqtt://user:secret@host``) or in ``username`` and
    ``password``. With TLS the broker's certificate is verified against ``ca_file`` (or the
    system's store); ``tls_insecure`` turns verification off and is logged as a warning.
    """

    url: str
    client_id: str = "andon"
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    tls_insecure: bool = False
    keepalive_s: int = 30
    persistent_session: bool = True
    reconnect_min_s: int = 1
    reconnect_max_s: int = 30

    def endpoint(self) -> tuple[str, int, bool]:
        """Return host, port and whether TLS is on; raise ConnectError for a bad URL."""
        parsed = urlparse(self.url)
        if parsed.scheme not in {"mqtt", "mqtts", "tcp", "ssl"}:
            msg = f"MQTT URL {self.url!r} must start with mqtt:// or mqtts://"
            raise ConnectError(msg)
        tls = parsed.scheme in {"mqtts", "ssl"}
        try:
            port = parsed.port or (8883 if tls else 1883)
        except ValueError as exc:
            msg = f"MQTT URL {self.url!r} has a bad port"
            raise ConnectError(msg) from exc
        return parsed.hostname or "127.0.0.1", port, tls

    def credentials(self) -> tuple[str | None, str | None]:
        """Return the user name and password, from the settings or the URL."""
        parsed = urlparse(self.url)
        user = self.username or (unquote(parsed.username) if parsed.username else None)
        password = self.password or (unquote(parsed.password) if parsed.password else None)
        return user, password


def paho_client(
    settings: MqttSettings,
    *,
    manual_ack: bool = False,
    will: tuple[str, bytes] | None = None,
) -> paho.Client:
    """Return a paho client configured from the settings (TLS verified unless told not to).

    Its user data is ``(host, port)``; callbacks are the caller's to set.
    """
    host, port, tls = settings.endpoint()
    client = paho.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=settings.client_id,
        clean_session=not settings.persistent_session,
        protocol=paho.MQTTv311,
        manual_ack=manual_ack,
    )
    user, password = settings.credentials()
    if user is not None:
        client.username_pw_set(user, password)
    if tls:
        try:
            client.tls_set(
                ca_certs=settings.ca_file,
                certfile=settings.cert_file,
                keyfile=settings.key_file,
                cert_reqs=ssl.CERT_NONE if settings.tls_insecure else ssl.CERT_REQUIRED,
            )
        except (OSError, ValueError, ssl.SSLError) as exc:
            msg = f"cannot set up TLS for {settings.url}: {exc}"
            raise ConnectError(msg) from exc
        if settings.tls_insecure:
            _log.warning("TLS certificate verification is OFF for %s (tls_insecure)", host)
            client.tls_insecure_set(True)  # noqa: FBT003 - paho's API
    if will is not None:
        client.will_set(will[0], will[1], qos=1, retain=True)
    client.reconnect_delay_set(settings.reconnect_min_s, settings.reconnect_max_s)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.user_data_set((host, port))
    return client


class MqttSource:
    """Subscribes to topics and hands decoded groups of messages to a handler.

    ``decode`` turns a group of (topic, payload) pairs into a :class:`Decoded`; ``handler``
    keeps the resulting :class:`Batch` (and may block: back-pressure). ``flush_messages``
    and ``flush_interval_s`` bound a group. A decoder that raises on a group (a defect: a
    decoder quarantines bad input) is called again message by message, and a message it
    still raises on is quarantined as ``decoder.failed``: one message never stalls a source.

    ``presence`` makes a presence message pair before each connection (the first and every
    reconnect, each with a fresh timestamp): its offline payload is the will, its online
    payload is published retained once connected; on :meth:`stop` a fresh offline payload
    is published.
    """

    def __init__(
        self,
        *,
        settings: MqttSettings,
        topics: Sequence[str],
        decode: Callable[[Sequence[Message]], Decoded],
        handler: Callable[[Batch], object],
        metrics: Metrics | None = None,
        ack_after_handler: bool = False,
        flush_messages: int = 2000,
        flush_interval_s: float = 0.05,
        presence: Callable[[], Presence] | None = None,
        commands: Callable[[], list[tuple[str, bytes]]] | None = None,
    ) -> None:
        self.settings: Final = settings
        self.topics: Final = tuple(topics)
        self.metrics: Final = metrics if metrics is not None else Metrics()
        self._decode = decode
        self._handler = handler
        self._manual = ack_after_handler
        # The broker lets few QoS 1 messages wait unacknowledged (Mosquitto: 20), so with
        # acknowledgement after the handler a group must close before that window fills.
        self._flush_messages = min(flush_messages, 16) if ack_after_handler else flush_messages
        self._flush_interval_s = flush_interval_s
        self._pending: deque[tuple[str, bytes, int, int, int]] = deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self._presence = presence
        self._online: tuple[str, bytes] | None = None
        self._presence_restored_at = -1e9
        self._commands = commands
        self.received_count = 0
        self._client = self._make_client()

    @property
    def client(self) -> paho.Client:
        """The paho client, for publishing (Sparkplug rebirth requests)."""
        return self._client

    def _make_client(self) -> paho.Client:
        client = paho_client(self.settings, manual_ack=self._manual)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    # --- paho callbacks (network thread) -------------------------------------------------------

    def _on_connect(
        self, client: paho.Client, _userdata: Any, flags: Any, reason: Any, _properties: Any
    ) -> None:
        if getattr(reason, "is_failure", False):
            _log.warning("MQTT broker %s refused the connection: %s", self.settings.url, reason)
            self.metrics.add("connect_refused")
            return
        session = bool(getattr(flags, "session_present", False))
        _log.info("connected to %s (session present: %s)", self.settings.url, session)
        self.metrics.add("connects")
        client.subscribe([(topic, 1) for topic in self.topics])
        if self._online is not None:
            client.publish(self._online[0], self._online[1], qos=1, retain=True)
        self._connected.set()

    def _arm_presence(self) -> None:
        """Set the will and the online message of the next connection (one timestamp)."""
        if self._presence is None:
            return
        topic, online, offline = self._presence()
        self._client.will_set(topic, offline, qos=1, retain=True)
        self._online = (topic, online)

    def _keep_presence(self, client: paho.Client, topic: str, payload: bytes) -> None:
        """Publish the online message again when another one lands on our presence topic.

        A Sparkplug host that sees its own STATE say offline while it is connected (a will
        the broker delivered late, another client's message) publishes its birth again
        (Sparkplug B 3.0, section 7.6). At most once a second, so that two hosts wrongly
        given one id do not flood the broker.
        """
        online = self._online
        if online is None or topic != online[0] or payload == online[1]:
            return
        now = time.monotonic()
        if now - self._presence_restored_at < 1.0:
            return
        self._presence_restored_at = now
        _log.warning("%s says offline while connected: publishing the online message again", topic)
        client.publish(online[0], online[1], qos=1, retain=True)
        self.metrics.add("presence_restored")

    def _on_disconnect(
        self, _client: paho.Client, _userdata: Any, _flags: Any, reason: Any, _properties: Any
    ) -> None:
        self._connected.clear()
        if not self._stop.is_set():
            self._arm_presence()  # the reconnect's will and birth carry a new timestamp
            _log.warning(
                "lost the MQTT broker %s (%s): reconnecting with backoff up to %d s",
                self.settings.url,
                reason,
                self.settings.reconnect_max_s,
            )
            self.metrics.add("disconnects")

    def _on_message(self, client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        self.received_count += 1
        try:
            topic = message.topic
        except UnicodeDecodeError:  # kept as it came; the decoder quarantines it
            topic = message._topic.decode("utf-8", "surrogateescape")
        self._keep_presence(client, topic, bytes(message.payload))
        self._pending.append(
            (
                topic,
                bytes(message.payload),
                message.mid,
                message.qos,
                time.time_ns() // 1000,
            )
        )
        if len(self._pending) >= self._flush_messages:
            self._wake.set()

    # --- life cycle ------------------------------------------------------------------------------

    def start(self, *, wait_s: float | None = 10.0) -> None:
        """Connect (retrying in the background) and start decoding; wait for a first connect."""
        host, port, _ = self.settings.endpoint()
        self._arm_presence()
        try:
            self._client.connect_async(host, port, self.settings.keepalive_s)
        except (OSError, ValueError) as exc:
            msg = f"cannot reach MQTT broker {self.settings.url}: {exc}"
            raise ConnectError(msg) from exc
        self._client.loop_start()
        self._thread = threading.Thread(target=self._run, name="andon-mqtt-decode", daemon=True)
        self._thread.start()
        if wait_s is not None and not self._connected.wait(wait_s):
            _log.warning(
                "MQTT broker %s not reachable yet: still trying in the background",
                self.settings.url,
            )

    def wait_connected(self, timeout_s: float) -> bool:
        """Wait until connected and subscribed."""
        return self._connected.wait(timeout_s)

    def stop(self) -> None:
        """Decode what was received, hand it on, acknowledge it, and disconnect."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(30)
        if self._presence is not None:
            topic, _, offline = self._presence()  # a fresh timestamp: this disconnect's own
            sent = self._client.publish(topic, offline, qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):  # not connected: the will says it
                sent.wait_for_publish(5)
        self._client.disconnect()
        self._client.loop_stop()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._flush_interval_s)
            self._wake.clear()
            stopping = self._stop.is_set()
            while self._pending:
                group = self._take()
                try:
                    self._flush(group)
                except Exception:  # noqa: BLE001 - the source must outlive a bad group
                    _log.exception("could not keep %d message(s); retrying in 1 s", len(group))
                    self.metrics.add("handler_errors")
                    self._pending.extendleft(reversed(group))
                    if self._stop.wait(1.0) and not stopping:
                        return
            if stopping:
                return

    def _take(self) -> list[tuple[str, bytes, int, int, int]]:
        group: list[tuple[str, bytes, int, int, int]] = []
        pending = self._pending
        limit = max(self._flush_messages, 1) * 4
        while pending and len(group) < limit:
            group.append(pending.popleft())
        return group

    def _flush(self, group: list[tuple[str, bytes, int, int, int]]) -> None:
        messages = [(topic, payload) for topic, payload, _, _, _ in group]
        self.metrics.received(messages=len(group), payload_bytes=sum(len(m[1]) for m in messages))
        try:
            decoded = self._decode(messages)
        except Exception:  # noqa: BLE001 - a decoder defect must not stall the source
            _log.exception("decoding %d message(s) failed: decoding them one by one", len(group))
            decoded = self._decode_each(messages)
        self.metrics.decoded(records=decoded.rows, rejected=len(decoded.rejected))
        for reject in decoded.rejected:
            _log.warning(
                "rejected a message on %s: %s [%s]", reject.topic, reject.detail, reject.reason
            )
        if self._commands is not None:
            for topic, payload in self._commands():
                self._client.publish(topic, payload, qos=0)
        self._handler(Batch.of(decoded, received_at_us=group[0][4]))
        if self._manual:
            for _, _, mid, qos, _ in group:
                if qos:
                    self._client.ack(mid, qos)

    def _decode_each(self, messages: list[tuple[str, bytes]]) -> Decoded:
        decoded = Decoded()
        for topic, payload in messages:
            try:
                decoded = decoded.merge(self._decode([(topic, payload)]))
            except Exception as exc:  # noqa: BLE001 - quarantined with what it raised
                self.metrics.add("decoder_failures")
                reason = f"the decoder failed on this message: {type(exc).__name__}: {exc}"
                decoded = decoded.merge(
                    Decoded({}, (Rejected("decoder.failed", reason, topic, payload),))
                )
        return decoded

    def publish(self, topic: str, payload: bytes, *, qos: int = 0, retain: bool = False) -> None:
        """Publish a message (Sparkplug NCMD, STATE)."""
        self._client.publish(topic, payload, qos=qos, retain=retain)
