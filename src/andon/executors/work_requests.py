"""Work requests on the Unified Namespace: the JSON a plant's systems receive and answer.

An approved decision is published, QoS 1 and not retained, on
``<subject path>/<app>/request`` (a maintenance intervention on
``acme/lyon/machining/m1/milling/mill1/maintenance/request``); the system that carries it out
(a CMMS connector, an MES) answers on the same topic with ``/ack`` appended. The formats are
written in ``docs/uns.md``; these are the one encoder and the one decoder of each, side by
side. Times are ISO 8601 in UTC.

>>> from andon.proposals import Action
>>> action = Action(kind="intervene", subject="acme/lyon/m1/mill1", failure_modes=("bearing",),
...                 slot_start=1_700_000_000_000_000)
>>> topic, payload = encode_request(WorkRequest(request_id="d1", app="maintenance",
...     action=action, title="replace the bearing", requested_at=1_700_000_000_000_000,
...     approved_by="planner"))
>>> topic
'acme/lyon/m1/mill1/maintenance/request'
>>> decode_request(payload).action == action
True
>>> ack = decode_ack(ack_topic(topic), b'{"request_id": "d1", "status": "accepted", '
...                  b'"work_order": "WO-7"}')
>>> ack.accepted, ack.work_order
(True, 'WO-7')
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from andon.errors import ActionError, ConnectError
from andon.proposals import Action
from andon.time import from_iso, to_iso

__all__ = [
    "AckStatus",
    "WorkRequest",
    "WorkRequestAck",
    "ack_topic",
    "decode_ack",
    "decode_request",
    "encode_ack",
    "encode_request",
    "request_topic",
]

FORMAT = "andon.work_request/1"
ACK_FORMAT = "andon.work_request_ack/1"
_TIME_FIELDS = ("slot_start", "slot_end")
_MAX_PAYLOAD = 256 * 1024


class AckStatus(StrEnum):
    """What the plant's system says of a request."""

    ACCEPTED = "accepted"
    """Taken on: a work order exists (``work_order`` names it); the decision is executed."""
    DONE = "done"
    """Carried out already; the decision is executed."""
    REJECTED = "rejected"
    """Refused (``reason`` says why); the decision stays approved until a person acts."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkRequest:
    """One approved decision's action, as a plant's system receives it."""

    request_id: str
    app: str
    action: Action
    title: str
    requested_at: int
    approved_by: str | None = None
    expected_value: float | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkRequestAck:
    """A plant system's answer to a work request."""

    request_id: str
    status: AckStatus
    subject: str
    reason: str = ""
    work_order: str | None = None

    @property
    def accepted(self) -> bool:
        """Whether the request was taken on or done."""
        return self.status in {AckStatus.ACCEPTED, AckStatus.DONE}


def request_topic(app: str, subject: str) -> str:
    """Return the topic of an app's work requests for a subject."""
    return f"{subject}/{app}/request"


def ack_topic(topic: str) -> str:
    """Return the topic on which a request published on ``topic`` is answered."""
    return f"{topic}/ack"


def _iso(micros: int) -> str:
    return to_iso(micros).replace("+00:00", "Z")


def _micros(text: Any, where: str) -> int:
    if not isinstance(text, str):
        msg = f"{where} must be an ISO 8601 time, got {text!r}"
        raise ConnectError(msg)
    try:
        return from_iso(text)
    except (ValueError, OverflowError) as exc:
        msg = f"{where}: {exc}"
        raise ConnectError(msg) from None


def encode_request(request: WorkRequest) -> tuple[str, bytes]:
    """Return the topic and JSON payload of a work request."""
    action = request.action.to_json()
    for name in _TIME_FIELDS:
        if name in action:
            action[name] = _iso(int(action[name]))
    body: dict[str, Any] = {
        "format": FORMAT,
        "request_id": request.request_id,
        "app": request.app,
        "kind": request.action.kind,
        "subject": request.action.subject,
        "title": request.title,
        "requested_at": _iso(request.requested_at),
        "action": action,
    }
    if request.approved_by is not None:
        body["approved_by"] = request.approved_by
    if request.expected_value is not None:
        body["expected_value"] = request.expected_value
        body["currency"] = request.currency
    topic = request_topic(request.app, request.action.subject)
    return topic, json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _object(payload: bytes, what: str) -> dict[str, Any]:
    if len(payload) > _MAX_PAYLOAD:
        msg = f"{what} of {len(payload)} bytes is larger than {_MAX_PAYLOAD}"
        raise ConnectError(msg)
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        msg = f"{what} is not JSON: {exc}"
        raise ConnectError(msg) from None
    if not isinstance(data, dict):
        msg = f"{what} must be a JSON object, got {type(data).__name__}"
        raise ConnectError(msg)
    return data


def _text(data: dict[str, Any], name: str, what: str, *, required: bool = True) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        msg = f"{what}: {name!r} must be a non-empty string, got {value!r}"
        raise ConnectError(msg)
    return value


def decode_request(payload: bytes) -> WorkRequest:
    """Return the work request a payload carries (what a plant-side connector reads)."""
    data = _object(payload, "work request")
    action = data.get("action")
    if not isinstance(action, dict):
        msg = "work request: 'action' must be a JSON object"
        raise ConnectError(msg)
    fields = dict(action)
    for name in _TIME_FIELDS:
        if name in fields:
            fields[name] = _micros(fields[name], f"work request: action.{name}")
    try:
        typed = Action.from_json(fields)
    except (TypeError, ValueError, KeyError, ActionError) as exc:
        msg = f"work request: the action is malformed: {exc}"
        raise ConnectError(msg) from None
    value = data.get("expected_value")
    return WorkRequest(
        request_id=_text(data, "request_id", "work request"),
        app=_text(data, "app", "work request"),
        action=typed,
        title=_text(data, "title", "work request", required=False),
        requested_at=_micros(data.get("requested_at"), "work request: requested_at"),
        approved_by=data.get("approved_by") if isinstance(data.get("approved_by"), str) else None,
        expected_value=float(value) if isinstance(value, int | float) else None,
        currency=data.get("currency") if isinstance(data.get("currency"), str) else None,
    )


def encode_ack(ack: WorkRequestAck, *, app: str) -> tuple[str, bytes]:
    """Return the topic and JSON payload of a plant system's answer to a request."""
    body: dict[str, Any] = {
        "format": ACK_FORMAT,
        "request_id": ack.request_id,
        "status": ack.status.value,
    }
    if ack.reason:
        body["reason"] = ack.reason
    if ack.work_order is not None:
        body["work_order"] = ack.work_order
    topic = ack_topic(request_topic(app, ack.subject))
    return topic, json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def decode_ack(topic: str, payload: bytes) -> WorkRequestAck:
    """Return the answer a payload on an acknowledgement topic carries."""
    parts = topic.split("/")
    if len(parts) < 4 or parts[-2:] != ["request", "ack"]:
        msg = f"topic {topic!r} is not <subject>/<app>/request/ack"
        raise ConnectError(msg)
    data = _object(payload, "work request acknowledgement")
    what = "work request acknowledgement"
    status_text = _text(data, "status", what)
    try:
        status = AckStatus(status_text)
    except ValueError:
        known = ", ".join(s.value for s in AckStatus)
        msg = f"{what}: status {status_text!r} is not one of {known}"
        raise ConnectError(msg) from None
    work_order = data.get("work_order")
    return WorkRequestAck(
        request_id=_text(data, "request_id", what),
        status=status,
        subject="/".join(parts[:-3]),
        reason=_text(data, "reason", what, required=False),
        work_order=str(work_order) if isinstance(work_order, str | int) else None,
    )
