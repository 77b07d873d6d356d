"""Two writers delivering the same data at once to one PostgreSQL schema store it once."""

from __future__ import annotations

import random
import threading
import uuid

from andon import records
from andon.records import RecordKind
from andon.store import PostgresStore

T0 = 1_700_000_000_000_000


def _batch(index: int, size: int = 2_000) -> records.pa.Table:
    start = index * size // 2  # each batch overlaps half of the next one
    return records.samples(
        ts=[T0 + (start + i) * 1_000 for i in range(size)],
        path=[f"acme/lyon/line1/press1/t{(start + i) % 5}" for i in range(size)],
        value=[float(start + i) for i in range(size)],
        seq=[start + i for i in range(size)],
        source="relay",
    )


def test_concurrent_writers_store_each_record_once(postgres_url: str) -> None:
    schema = f"t_{uuid.uuid4().hex}"
    stores = [PostgresStore(postgres_url, schema=schema) for _ in range(3)]
    batches = [_batch(i) for i in range(6)]
    errors: list[BaseException] = []
    written = [0] * len(stores)

    def deliver(worker: int) -> None:
        order = list(range(len(batches))) * 2
        random.Random(worker).shuffle(order)
        try:
            for index in order:
                # Half the deliveries carry a message id, half rely on the natural key.
                batch_id = f"msg-{index}" if index % 2 else None
                result = stores[worker].write(RecordKind.SAMPLE, batches[index], batch_id=batch_id)
                written[worker] += result.written
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(w,)) for w in range(len(stores))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors
        expected = 7 * 1_000  # six overlapping batches of 2000 cover 7000 distinct keys
        assert stores[0].count_rows(RecordKind.SAMPLE) == expected
        assert sum(written) == expected
        seqs = stores[0].records(RecordKind.SAMPLE).column("seq").to_pylist()
        assert seqs == list(range(expected))
    finally:
        for store in stores[1:]:
            store.close()
        stores[0].drop_schema()
