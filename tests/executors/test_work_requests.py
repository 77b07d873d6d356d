"""Work requests on the UNS: one encoder and one decoder, shared vectors, hostile input."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from andon.errors import ConnectError
from andon.executors import (
    AckStatus,
    PlantExecutor,
    WorkRequest,
    WorkRequestAck,
    decode_ack,
    decode_request,
    encode_ack,
    encode_request,
)
from andon.proposals import Action, ExecutionStatus, PartQuantity

SUBJECT = "acme/lyon/machining/m1/milling/mill1"
ACTION = Action(
    kind="intervene",
    subject=SUBJECT,
    label="replace the spindle bearing in window sat-day",
    failure_modes=("spindle_bearing",),
    slot_start=1_765_000_800_000_000,
    slot_end=1_765_015_200_000_000,
    window="sat-day",
    parts=(PartQuantity("BRG-7014", 2),),
)
REQUEST = WorkRequest(
    request_id="00060a24181e4000abcd",
    app="maintenance",
    action=ACTION,
    title=ACTION.label,
    requested_at=1_764_990_000_000_000,
    approved_by="planner",
    expected_value=934.81,
    currency="EUR",
)

VECTOR = (
    f"{SUBJECT}/maintenance/request",
    {
        "format": "andon.work_request/1",
        "request_id": "00060a24181e4000abcd",
        "app": "maintenance",
        "kind": "intervene",
        "subject": SUBJECT,
        "title": "replace the spindle bearing in window sat-day",
        "requested_at": "2025-12-06T03:00:00Z",
        "approved_by": "planner",
        "expected_value": 934.81,
        "currency": "EUR",
        "action": {
            "kind": "intervene",
            "subject": SUBJECT,
            "label": "replace the spindle bearing in window sat-day",
            "failure_modes": ["spindle_bearing"],
            "slot_start": "2025-12-06T06:00:00Z",
            "slot_end": "2025-12-06T10:00:00Z",
            "window": "sat-day",
            "parts": [{"part": "BRG-7014", "quantity": 2}],
        },
    },
)
"""The documented example of docs/uns.md, byte for byte as the encoder writes it."""


def test_the_encoder_writes_the_documented_vector_and_the_decoder_reads_it_back() -> None:
    topic, payload = encode_request(REQUEST)
    assert topic == VECTOR[0]
    assert json.loads(payload) == VECTOR[1]
    assert decode_request(json.dumps(VECTOR[1]).encode()) == REQUEST


def test_acknowledgements_round_trip_and_say_what_was_wrong() -> None:
    ack = WorkRequestAck(
        request_id="d1", status=AckStatus.REJECTED, subject=SUBJECT, reason="no crew on Saturday"
    )
    topic, payload = encode_ack(ack, app="maintenance")
    assert topic == f"{SUBJECT}/maintenance/request/ack"
    assert decode_ack(topic, payload) == ack
    with pytest.raises(ConnectError, match="status 'maybe' is not one of accepted"):
        decode_ack(topic, b'{"request_id": "d1", "status": "maybe"}')
    with pytest.raises(ConnectError, match="is not <subject>/<app>/request/ack"):
        decode_ack(f"{SUBJECT}/maintenance/request", payload)
    with pytest.raises(ConnectError, match="'request_id' must be a non-empty string"):
        decode_ack(topic, b'{"status": "accepted"}')


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2_000))
def test_hostile_bytes_give_a_connect_error_and_nothing_else(payload: bytes) -> None:
    for decode in (decode_request, lambda p: decode_ack(f"{SUBJECT}/maintenance/request/ack", p)):
        with contextlib.suppress(ConnectError):
            decode(payload)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*list(VECTOR[1]), "extra"]), _JSON))
def test_malformed_documents_give_a_connect_error(document: dict[str, object]) -> None:
    mixed = {**VECTOR[1], **document}
    with contextlib.suppress(ConnectError):
        decode_request(json.dumps(mixed).encode())


def test_deeply_nested_json_is_refused_not_crashed() -> None:
    with pytest.raises(ConnectError):
        decode_request(b"[" * 50_000 + b"]" * 50_000)


class _Transport:
    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.sent: list[tuple[str, bytes]] = []
        self.inbox: list[tuple[str, bytes]] = []

    def publish(self, topic: str, payload: bytes) -> None:
        if self.fail:
            msg = "not connected to the MQTT broker"
            raise ConnectError(msg)
        self.sent.append((topic, payload))

    def received(self) -> list[tuple[str, bytes]]:
        out, self.inbox = self.inbox, []
        return out

    def close(self) -> None:
        pass


def test_the_plant_executor_dispatches_and_hears_answers() -> None:
    import andon.apps.maintenance.actions  # noqa: F401, PLC0415 - the vocabulary

    transport = _Transport()
    executor = PlantExecutor(transport=transport)
    execution = executor.execute(decision_id="d1", action=ACTION, now=REQUEST.requested_at)
    assert execution.status is ExecutionStatus.DISPATCHED
    [(topic, payload)] = transport.sent
    assert topic == VECTOR[0]
    assert decode_request(payload).action == ACTION
    accepted = encode_ack(
        WorkRequestAck(request_id="d1", status=AckStatus.ACCEPTED, subject=SUBJECT, work_order="7"),
        app="maintenance",
    )
    transport.inbox = [accepted, (accepted[0], b"not json")]
    [answer] = executor.acknowledgements(now=0)
    assert (answer.decision_id, answer.status, answer.reference) == (
        "d1",
        ExecutionStatus.DONE,
        "7",
    )
    assert executor.rejected_messages == 1
    broken = PlantExecutor(transport=_Transport(fail=True))
    failed = broken.execute(decision_id="d2", action=ACTION, now=0)
    assert failed.status is ExecutionStatus.FAILED
    assert "not connected" in failed.detail
