"""Test vectors shared by each protocol's encoder and decoder: records -> bytes -> records.

Each vector holds the records, the exact bytes the encoder must write for them and what the
decoder must read back. The encoder tests encode the records and compare bytes; the decoder
tests decode the bytes and compare records; so the two directions cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from andon.connect.spb_wire import DataType, Metric
from andon.records import RecordKind, energy, samples, states

T0_US = 1_767_571_200_000_000  # 2026-01-05T00:00:00Z
T0_MS = T0_US // 1000
EQUIPMENT = "acme/lyon/machining/m1/milling/mill1"
TAG = f"{EQUIPMENT}/spindle_temperature"
VIBRATION = f"{EQUIPMENT}/spindle_vibration"
DEVICE = "acme:lyon:machining:m1:milling:mill1"


@dataclass(frozen=True, slots=True)
class UnsVector:
    """A batch of one record kind and the UNS messages that carry it."""

    name: str
    kind: RecordKind
    records: pa.Table
    messages: tuple[tuple[str, bytes], ...]


UNS_VECTORS: tuple[UnsVector, ...] = (
    UnsVector(
        "samples, one good and one bad",
        RecordKind.SAMPLE,
        samples(
            ts=[T0_US, T0_US + 60_500_000],
            path=[TAG, TAG],
            value=[41.5, None],
            quality=["good", "bad"],
            source="sim-1",
        ),
        (
            (
                f"{EQUIPMENT}/sample/spindle_temperature",
                (
                    b'{"records":[{"ts":"2026-01-05T00:00:00.000000Z","source":"sim-1","seq":0,'
                    b'"path":"acme/lyon/machining/m1/milling/mill1/spindle_temperature",'
                    b'"value":41.5,"quality":"good"},{"ts":"2026-01-05T00:01:00.500000Z",'
                    b'"source":"sim-1","seq":1,'
                    b'"path":"acme/lyon/machining/m1/milling/mill1/spindle_temperature",'
                    b'"value":null,"quality":"bad"}]}'
                ),
            ),
        ),
    ),
    UnsVector(
        "samples of two tags: one topic each",
        RecordKind.SAMPLE,
        samples(ts=[T0_US, T0_US], path=[TAG, VIBRATION], value=[40.0, 2.25], source="s"),
        (
            (
                f"{EQUIPMENT}/sample/spindle_temperature",
                (
                    b'{"records":[{"ts":"2026-01-05T00:00:00.000000Z","source":"s","seq":0,'
                    b'"path":"acme/lyon/machining/m1/milling/mill1/spindle_temperature",'
                    b'"value":40.0,"quality":"good"}]}'
                ),
            ),
            (
                f"{EQUIPMENT}/sample/spindle_vibration",
                (
                    b'{"records":[{"ts":"2026-01-05T00:00:00.000000Z","source":"s","seq":1,'
                    b'"path":"acme/lyon/machining/m1/milling/mill1/spindle_vibration",'
                    b'"value":2.25,"quality":"good"}]}'
                ),
            ),
        ),
    ),
    UnsVector(
        "a state with its reason",
        RecordKind.STATE,
        states(
            ts=[T0_US], path=[EQUIPMENT], state=["unplanned_down"], reason="bearing", source="s"
        ),
        (
            (
                f"{EQUIPMENT}/state",
                (
                    b'{"records":[{"ts":"2026-01-05T00:00:00.000000Z","source":"s","seq":0,'
                    b'"path":"acme/lyon/machining/m1/milling/mill1","state":"unplanned_down",'
                    b'"reason":"bearing"}]}'
                ),
            ),
        ),
    ),
    UnsVector(
        "a meter reading",
        RecordKind.ENERGY,
        energy(ts=[T0_US], path=["acme/lyon/main"], kwh=[12.5], interval_s=[900.0], source="s"),
        (
            (
                "acme/lyon/main/energy",
                (
                    b'{"records":[{"ts":"2026-01-05T00:00:00.000000Z","source":"s","seq":0,'
                    b'"path":"acme/lyon/main","kwh":12.5,"interval_s":900.0}]}'
                ),
            ),
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class SparkplugVector:
    """A Sparkplug B payload: its metrics, its exact bytes, and the samples a host reads.

    ``samples`` is what a host that saw :data:`BIRTH_METRICS` in a DBIRTH of ``DEVICE``
    decodes from the payload sent as DDATA (``None`` for payloads that are not data).
    """

    name: str
    timestamp_ms: int | None
    seq: int | None
    metrics: tuple[Metric, ...]
    payload: bytes
    samples: pa.Table | None


BIRTH_METRICS: tuple[Metric, ...] = (
    Metric("spindle_temperature", 0, T0_MS, DataType.DOUBLE, None),
    Metric("spindle_vibration", 1, T0_MS, DataType.DOUBLE, None),
    Metric("state", 2, T0_MS, DataType.STRING, None),
)
"""The DBIRTH of ``DEVICE`` as the simulator's edge node writes it: tags, then ``state``."""

ALIASES: dict[str, tuple[str, int]] = {TAG: (DEVICE, 0), VIBRATION: (DEVICE, 1)}
"""Record path -> (device, alias) of :data:`BIRTH_METRICS`, as the encoder takes them."""
STATE_ALIASES: dict[str, tuple[str, int]] = {EQUIPMENT: (DEVICE, 2)}

SPARKPLUG_VECTORS: tuple[SparkplugVector, ...] = (
    SparkplugVector(
        "DDATA: a Double, a null Double (a bad sample) and a String state",
        T0_MS + 60_500,
        2,
        (
            Metric(None, 0, T0_MS, DataType.DOUBLE, 41.5),
            Metric(None, 0, T0_MS + 60_500, DataType.DOUBLE, None),
            Metric(None, 1, T0_MS, DataType.DOUBLE, 2.25),
        ),
        bytes.fromhex(
            "08d488d4dbb833"  # timestamp
            "121410001880b0d0dbb833200a690000000000c04440"  # alias 0, 41.5
            "120d100018d488d4dbb833200a3801"  # alias 0, null
            "121410011880b0d0dbb833200a690000000000000240"  # alias 1, 2.25
            "1802"  # seq
        ),
        samples(
            ts=[T0_US, T0_US + 60_500_000, T0_US],
            path=[TAG, TAG, VIBRATION],
            value=[41.5, None, 2.25],
            quality=["good", "bad", "good"],
            source="spb",
        ),
    ),
    SparkplugVector(
        "NBIRTH: bdSeq Int64 and the rebirth Boolean, by name",
        T0_MS,
        0,
        (
            Metric("bdSeq", None, T0_MS, DataType.INT64, 3),
            Metric("Node Control/Rebirth", None, T0_MS, DataType.BOOLEAN, value=False),
        ),
        bytes.fromhex(
            "0880b0d0dbb833"
            "12120a0562645365711880b0d0dbb83320045803"
            "12210a144e6f646520436f6e74726f6c2f526562697274681880b0d0dbb833200b7000"
            "1800"
        ),
        None,
    ),
    SparkplugVector(
        "NDEATH: no seq, no metric timestamp; a negative Int32 as two's complement",
        T0_MS,
        None,
        (
            Metric("bdSeq", None, None, DataType.INT64, 3),
            Metric("offset", None, None, DataType.INT32, -5),
        ),
        bytes.fromhex(
            "0880b0d0dbb833"
            "120b0a05626453657120045803"  # bdSeq, no timestamp
            "12100a066f6666736574200350fbffffff0f"  # offset = -5 as uint32
        ),
        None,
    ),
)
