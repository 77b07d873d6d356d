"""Pure helpers of the PostgreSQL store: placeholders and the CSV wire format."""

from __future__ import annotations

import uuid

import pyarrow as pa
import pytest

from andon import records
from andon.records import RecordKind
from andon.store import PostgresStore, open_store
from andon.store._pgio import from_csv, qmark_to_pyformat, to_csv


@pytest.mark.parametrize(
    ("qmark", "pyformat"),
    [
        ("SELECT ?", "SELECT %s"),
        (
            "SELECT * FROM t WHERE a = ? AND b LIKE 'x%'",
            "SELECT * FROM t WHERE a = %s AND b LIKE 'x%%'",
        ),
        ("SELECT 'what?' , ?", "SELECT 'what?' , %s"),
        ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', %s"),
        ('SELECT "odd?name" FROM t WHERE x = ?', 'SELECT "odd?name" FROM t WHERE x = %s'),
        ("SELECT 1 -- why?\n, ?", "SELECT 1 -- why?\n, %s"),
        ("SELECT 5 % 3", "SELECT 5 %% 3"),
    ],
)
def test_qmark_placeholders_become_pyformat(qmark: str, pyformat: str) -> None:
    assert qmark_to_pyformat(qmark) == pyformat


def test_csv_round_trip_keeps_nulls_empty_strings_and_exact_times() -> None:
    table = records.maintenance(
        ts=[0, 1_700_000_000_123_457, -1],
        work_order=["wo-1", 'wo-"2",x', "wo\n3"],
        path="acme/lyon/a/l1/press1",
        kind="failure",
        event="opened",
        failure_mode=["", None, "bearing"],
        parts=[None, '{"p1": 2}', ""],
    )
    wire = to_csv(table)
    # What PostgreSQL sends back selects timestamps as integer microseconds.
    micros = table.set_column(0, "ts", table.column("ts").cast(pa.int64()))
    back = from_csv(to_csv(micros), table.schema)
    assert back.equals(table)
    assert b'""' in wire  # empty strings stay distinct from nulls


def test_open_store_names_a_postgres_schema(postgres_url: str) -> None:
    schema = f"t_{uuid.uuid4().hex}"
    store = open_store(f"{postgres_url}?schema={schema}")
    try:
        assert isinstance(store, PostgresStore)
        assert store.schema == schema
        store.write(RecordKind.SAMPLE, records.samples(ts=[1], path="a/b", value=[1.0]))
        assert store.count_rows(RecordKind.SAMPLE) == 1
    finally:
        store.drop_schema()
