"""The durable buffer and the forwarder: order, durability, the full policies, a refusing store."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyarrow as pa
import pytest

from andon.connect.buffer import DiskBuffer, FullPolicy, MemoryBuffer
from andon.connect.decoded import Batch, Decoded
from andon.connect.forward import Forwarder, StoreSink
from andon.connect.metrics import Metrics
from andon.connect.pipeline import Pipeline
from andon.connect.uns import UnsDecoder
from andon.errors import StoreError
from andon.model import Model
from andon.records import RecordKind
from andon.store import Store

TOPIC = "acme/lyon/machining/m1/milling/mill1/sample/spindle_temperature"


def _batch(i: int, n: int = 10) -> Batch:
    base = 1_700_000_000_000 + i * 1000
    payload = (
        '{{"ts": [{}], "value": [{}]}}'.format(
            ",".join(str(base + j) for j in range(n)), ",".join("40.0" for _ in range(n))
        )
    ).encode()
    decoded = UnsDecoder(source="t").decode([(TOPIC, payload)])
    return Batch.of(decoded, received_at_us=i)


def test_batches_round_trip_through_bytes() -> None:
    decoded = UnsDecoder().decode([(TOPIC, b'{"ts": 1, "value": 2}'), (TOPIC, b"{bad")])
    batch = Batch.of(decoded, received_at_us=7)
    again = Batch.from_bytes(batch.to_bytes())
    assert again.received_at_us == 7
    assert again.tables[RecordKind.SAMPLE].equals(batch.tables[RecordKind.SAMPLE])
    assert again.quarantine.column("reason").to_pylist() == ["payload.malformed"]


def test_disk_buffer_keeps_order_across_a_reopen(tmp_path: Path) -> None:
    buffer = DiskBuffer(tmp_path / "b.db")
    ids = [buffer.append(_batch(i)) for i in range(5)]
    buffer.ack(ids[:2])
    buffer.close()
    reopened = DiskBuffer(tmp_path / "b.db")
    entries = reopened.peek(10)
    assert [e.id for e in entries] == ids[2:]
    assert [e.batch.received_at_us for e in entries] == [2, 3, 4]
    assert reopened.depth() == 3


def test_drop_oldest_policy_counts_what_it_drops(tmp_path: Path) -> None:
    size = len(_batch(0).to_bytes())
    metrics = Metrics()
    buffer = DiskBuffer(
        tmp_path / "b.db", max_bytes=size * 3 + 10, policy=FullPolicy.DROP_OLDEST, metrics=metrics
    )
    for i in range(5):
        buffer.append(_batch(i))
    assert [e.batch.received_at_us for e in buffer.peek(10)] == [2, 3, 4]
    assert metrics.count("dropped_records") == 20


def test_block_policy_waits_for_room(tmp_path: Path) -> None:
    size = len(_batch(0).to_bytes())
    buffer = DiskBuffer(tmp_path / "b.db", max_bytes=size * 2 + 10)
    buffer.append(_batch(0))
    buffer.append(_batch(1))
    done = threading.Event()

    def third() -> None:
        buffer.append(_batch(2))
        done.set()

    threading.Thread(target=third, daemon=True).start()
    assert not done.wait(0.5)  # blocked: nothing is dropped
    buffer.ack([buffer.peek(1)[0].id])
    assert done.wait(5)
    assert [e.batch.received_at_us for e in buffer.peek(10)] == [1, 2]


class FlakyStore:
    """A store that refuses writes while ``down`` is set: the forwarder must retry."""

    def __init__(self, store: Store) -> None:
        self.inner = store
        self.down = True
        self.refused = 0

    def write(self, kind: RecordKind, table: pa.Table, *, batch_id: str | None = None):  # type: ignore[no-untyped-def]
        if self.down:
            self.refused += 1
            raise StoreError("the store is down")
        return self.inner.write(kind, table, batch_id=batch_id)

    def quarantine(self, table: pa.Table) -> int:
        if self.down:
            raise StoreError("the store is down")
        return self.inner.quarantine(table)


@pytest.mark.parametrize("durable", [False, True], ids=["memory", "disk"])
def test_store_refusing_writes_loses_and_duplicates_nothing(
    tmp_path: Path, store: Store, example_model: Model, durable: bool
) -> None:
    flaky = FlakyStore(store)
    metrics = Metrics()
    buffer = DiskBuffer(tmp_path / "b.db") if durable else MemoryBuffer()
    forwarder = Forwarder(
        buffer=buffer,
        sink=StoreSink(Pipeline(store=flaky, model=example_model, metrics=metrics)),  # type: ignore[arg-type]
        metrics=metrics,
        retry_min_s=0.05,
        retry_max_s=0.1,
        max_batches=3,
    )
    forwarder.start()
    for i in range(30):
        buffer.append(_batch(i))
        if i == 10:
            time.sleep(0.3)
    time.sleep(0.3)
    assert flaky.refused >= 2
    assert store.count_rows(RecordKind.SAMPLE) == 0
    flaky.down = False
    deadline = time.monotonic() + 20
    while buffer.depth() and time.monotonic() < deadline:
        time.sleep(0.05)
    forwarder.stop()
    assert store.count_rows(RecordKind.SAMPLE) == 300
    assert metrics.count("forward_retries") >= 2
    assert store.quarantine_summary().num_rows == 0


def test_decoded_merge_keeps_rows_and_rejects() -> None:
    a = UnsDecoder().decode([(TOPIC, b'{"ts": 1, "value": 2}')])
    b = UnsDecoder().decode([(TOPIC, b'{"ts": 2, "value": 3, "unit": "degF"}'), (TOPIC, b"x")])
    merged = a.merge(b)
    assert isinstance(merged, Decoded)
    assert merged.rows == 2
    assert len(merged.rejected) == 1
    assert merged.tables[RecordKind.SAMPLE].column("unit").to_pylist() == [None, "degF"]
