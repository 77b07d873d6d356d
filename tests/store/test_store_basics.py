"""The Store protocol on every implementation: writes, idempotence, andon's own statements."""

from __future__ import annotations

import pyarrow as pa
import pytest

from andon import records
from andon.errors import StoreError
from andon.records import RecordKind
from andon.store import Store


def _samples(n: int, *, start: int = 0) -> pa.Table:
    return records.samples(
        ts=list(range(start, start + n)),
        path=[f"acme/lyon/a/l1/press{i % 3}/temp" for i in range(n)],
        value=[float(i) for i in range(n)],
        source="test",
    )


def test_a_batch_written_twice_is_stored_once(store: Store) -> None:
    batch = _samples(50)
    first = store.write(RecordKind.SAMPLE, batch)
    again = store.write(RecordKind.SAMPLE, batch)
    assert (first.written, first.duplicates) == (50, 0)
    assert (again.written, again.duplicates) == (0, 50)
    assert store.count_rows(RecordKind.SAMPLE) == 50


def test_execute_translates_placeholders_and_joins_transactions(store: Store) -> None:
    store.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    with store.transaction():
        store.execute("INSERT INTO notes VALUES (?, ?)", [1, "50% done?"])
        store.execute("INSERT INTO notes VALUES (?, ?)", [2, "it's fine"])

    def insert_then_fail() -> None:
        with store.transaction():
            store.execute("INSERT INTO notes VALUES (?, ?)", [3, "rolled back"])
            raise RuntimeError

    with pytest.raises(RuntimeError):
        insert_then_fail()
    table = store.execute("SELECT id, body FROM notes WHERE id >= ? ORDER BY id", [1])
    assert table.column("id").to_pylist() == [1, 2]
    assert table.column("body").to_pylist() == ["50% done?", "it's fine"]
    assert table.schema.field("id").type == pa.int32()


def test_a_failing_statement_raises_store_error(store: Store) -> None:
    with pytest.raises(StoreError):
        store.execute("SELECT * FROM no_such_table")
