"""One suite for every Store implementation: idempotent writes, atomicity, typed queries.

Each test runs on ``store[duckdb]`` and ``store[postgres]`` (see ``tests/conftest.py``).
"""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest

from andon import records
from andon.errors import ContractError, StoreError
from andon.records import RecordKind, schema_of
from andon.store import QUARANTINE_SCHEMA, STATE_INTERVAL_SCHEMA, Store

T0 = 1_700_000_000_000_000  # 2023-11-14T22:13:20Z in microseconds
S = 1_000_000  # one second in microseconds
PRESS = "acme/lyon/assembly/line1/press1"


def _samples(n: int, *, start: int = 0, source: str = "sim", tags: int = 3) -> pa.Table:
    return records.samples(
        ts=[T0 + (start + i) * S for i in range(n)],
        path=[f"{PRESS}/tag{(start + i) % tags}" for i in range(n)],
        value=[float(start + i) for i in range(n)],
        seq=[start + i for i in range(n)],
        source=source,
    )


def _keys(table: pa.Table) -> set[tuple[object, ...]]:
    rows = table.select(["source", "path", "ts", "seq"]).to_pylist()
    return {(r["source"], r["path"], r["ts"], r["seq"]) for r in rows}


# -- idempotent writes ---------------------------------------------------------------------


def test_the_same_batch_twice_is_stored_once(store: Store) -> None:
    batch = _samples(40)
    first = store.write(RecordKind.SAMPLE, batch)
    second = store.write(RecordKind.SAMPLE, batch)
    assert (first.written, first.duplicates, first.batch_seen) == (40, 0, False)
    assert (second.written, second.duplicates) == (0, 40)
    assert store.records(RecordKind.SAMPLE).equals(batch)


def test_overlapping_batches_store_the_union(store: Store) -> None:
    store.write(RecordKind.SAMPLE, _samples(30, start=0))
    result = store.write(RecordKind.SAMPLE, _samples(30, start=20))
    assert (result.written, result.duplicates) == (20, 10)
    stored = store.records(RecordKind.SAMPLE)
    assert stored.num_rows == 50
    assert stored.column("seq").to_pylist() == list(range(50))


def test_a_batch_after_the_stored_range_is_written_whole(store: Store) -> None:
    store.write(RecordKind.SAMPLE, _samples(10, start=0))
    result = store.write(RecordKind.SAMPLE, _samples(10, start=100))
    assert (result.written, result.duplicates) == (10, 0)


def test_same_key_from_another_source_is_another_record(store: Store) -> None:
    store.write(RecordKind.SAMPLE, _samples(10, source="line-a"))
    result = store.write(RecordKind.SAMPLE, _samples(10, source="line-b"))
    assert result.written == 10
    assert store.count_rows(RecordKind.SAMPLE) == 20


def test_duplicates_inside_one_batch_are_stored_once(store: Store) -> None:
    batch = _samples(10)
    doubled = pa.concat_tables([batch, batch.slice(3, 4)])
    result = store.write(RecordKind.SAMPLE, doubled)
    assert result.written == 10
    assert result.duplicates == 4
    assert store.count_rows(RecordKind.SAMPLE) == 10


def test_a_batch_id_seen_before_is_skipped_whole(store: Store) -> None:
    first = store.write(RecordKind.SAMPLE, _samples(10), batch_id="msg-1")
    # Same id, different rows: the ledger decides, rows are not even looked at.
    again = store.write(RecordKind.SAMPLE, _samples(10, start=50), batch_id="msg-1")
    assert first.written == 10
    assert again.batch_seen
    assert (again.written, again.duplicates) == (0, 10)
    assert store.count_rows(RecordKind.SAMPLE) == 10
    # The ledger is per kind: the same id names another batch for another kind.
    states = records.states(ts=[T0], path=PRESS, state="running")
    assert not store.write(RecordKind.STATE, states, batch_id="msg-1").batch_seen


def test_an_empty_batch_writes_nothing(store: Store) -> None:
    result = store.write(RecordKind.SAMPLE, records.empty(RecordKind.SAMPLE))
    assert (result.written, result.duplicates) == (0, 0)
    assert store.count_rows(RecordKind.SAMPLE) == 0


# -- a failed write leaves the store as it was ---------------------------------------------


def test_a_null_in_a_required_column_writes_nothing(store: Store) -> None:
    store.write(RecordKind.SAMPLE, _samples(5))
    bad = _samples(5, start=10).to_pydict()
    bad["path"][2] = None
    with pytest.raises(ContractError) as caught:
        store.write(RecordKind.SAMPLE, pa.table(bad), batch_id="bad-1")
    assert [p.code for p in caught.value.problems] == ["batch.null_required"]
    assert store.count_rows(RecordKind.SAMPLE) == 5
    # The batch id was not recorded: a corrected batch with the same id goes in.
    assert store.write(RecordKind.SAMPLE, _samples(5, start=10), batch_id="bad-1").written == 5


def test_a_string_where_a_float_belongs_writes_nothing(store: Store) -> None:
    bad = _samples(3).to_pydict()
    bad["value"] = ["1.5", "hot", "2.0"]
    with pytest.raises(ContractError) as caught:
        store.write(RecordKind.SAMPLE, pa.table(bad))
    assert caught.value.problems[0].code == "batch.wrong_type"
    assert "value" in caught.value.problems[0].message
    assert store.count_rows(RecordKind.SAMPLE) == 0


def test_every_missing_column_is_reported_at_once(store: Store) -> None:
    table = _samples(3).drop_columns(["path", "quality"])
    with pytest.raises(ContractError) as caught:
        store.write(RecordKind.SAMPLE, table)
    assert {p.code for p in caught.value.problems} == {"batch.missing_column"}
    assert len(caught.value.problems) == 2
    assert store.count_rows(RecordKind.SAMPLE) == 0


def test_a_failure_inside_a_transaction_undoes_its_writes(store: Store) -> None:
    store.write(RecordKind.SAMPLE, _samples(5))
    store.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)")

    def write_then_fail() -> None:
        with store.transaction():
            store.write(RecordKind.SAMPLE, _samples(5, start=5), batch_id="tx-1")
            store.quarantine(_quarantine_rows(2))
            store.execute("INSERT INTO notes VALUES (?, ?)", [1, "first"])
            store.execute("INSERT INTO notes VALUES (?, ?)", [1, "same key: fails"])

    with pytest.raises(StoreError):
        write_then_fail()
    assert store.count_rows(RecordKind.SAMPLE) == 5
    assert store.quarantined().num_rows == 0
    assert store.execute("SELECT count(*) AS n FROM notes").column("n")[0].as_py() == 0
    # The rolled-back batch id was not recorded either.
    assert store.write(RecordKind.SAMPLE, _samples(5, start=5), batch_id="tx-1").written == 5


def test_a_transaction_commits_writes_and_statements_together(store: Store) -> None:
    store.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)")
    with store.transaction():
        store.write(RecordKind.SAMPLE, _samples(5))
        store.execute("INSERT INTO notes VALUES (?, ?)", [1, "with the samples"])
    assert store.count_rows(RecordKind.SAMPLE) == 5
    assert store.execute("SELECT body FROM notes").column("body").to_pylist() == [
        "with the samples"
    ]


def test_a_value_the_server_refuses_writes_nothing(postgres_store: Store) -> None:
    # PostgreSQL text cannot hold a NUL character; the COPY fails half way through.
    postgres_store.write(RecordKind.SAMPLE, _samples(5))
    bad = _samples(5, start=5).to_pydict()
    bad["quality"][3] = "go\x00od"
    with pytest.raises(StoreError) as caught:
        postgres_store.write(RecordKind.SAMPLE, pa.table(bad), batch_id="nul")
    assert "5 sample records" in str(caught.value)
    assert postgres_store.count_rows(RecordKind.SAMPLE) == 5
    assert postgres_store.write(RecordKind.SAMPLE, _samples(5, start=5), batch_id="nul").written


# -- every record kind goes in and comes out unchanged -------------------------------------


def _one_of_each() -> dict[RecordKind, pa.Table]:
    ts = [T0, T0 + S]
    return {
        RecordKind.SAMPLE: records.samples(
            ts=ts, path=f"{PRESS}/temp", value=[1.5, None], quality=["good", "bad"]
        ),
        RecordKind.STATE: records.states(
            ts=ts, path=PRESS, state=["running", "unplanned_down"], reason=[None, "jam"]
        ),
        RecordKind.COUNT: records.counts(ts=ts, path=PRESS, product="p1", good=[5, 6], scrap=1),
        RecordKind.UNIT: records.units(
            ts=ts,
            serial="SN1",
            path=PRESS,
            product="p1",
            parameter=["force", "stroke"],
            value=[12.25, -0.5],
            lot=["L1", None],
        ),
        RecordKind.GENEALOGY: records.genealogy(ts=ts, parent=["L1", "SN1"], child=["SN1", "A1"]),
        RecordKind.INSPECTION: records.inspections(
            ts=ts,
            serial="SN1",
            path=PRESS,
            test=["leak", "vision"],
            passed=[True, False],
            value=[0.01, None],
            defect_code=[None, "scratch"],
        ),
        RecordKind.ORDER: records.orders(
            ts=ts,
            order_id="O1",
            product="p1",
            quantity=100,
            event=["released", "started"],
            path=[None, "acme/lyon/assembly/line1"],
        ),
        RecordKind.MAINTENANCE: records.maintenance(
            ts=ts,
            work_order="WO1",
            path=PRESS,
            kind="failure",
            event=["opened", "closed"],
            failure_mode=["bearing", None],
            parts=[None, json.dumps({"bearing-6204": 2})],
        ),
        RecordKind.INVENTORY: records.inventory(
            ts=ts, part="bearing-6204", site="acme/lyon", on_hand=[4, 2], on_order=[0, 6]
        ),
        RecordKind.ENERGY: records.energy(
            ts=ts, path="acme/lyon/main", kwh=[12.5, 0.0], interval_s=900.0
        ),
        RecordKind.TARIFF: records.tariffs(
            ts=ts, site="acme/lyon", price_per_kwh=[0.18, 0.22], gco2e_per_kwh=[55.0, 61.5]
        ),
    }


@pytest.mark.parametrize("kind", list(RecordKind), ids=str)
def test_every_kind_round_trips(store: Store, kind: RecordKind) -> None:
    table = _one_of_each()[kind]
    assert store.write(kind, table).written == 2
    assert store.write(kind, table).duplicates == 2
    back = store.records(kind)
    assert back.schema.equals(schema_of(kind))
    assert back.equals(table)
    assert store.count_rows(kind) == 2


def test_strings_keep_empty_text_quotes_commas_and_newlines(store: Store) -> None:
    odd = ["", 'say "hi", then\nleave', "naïve ✓", "\\N", "NULL"]
    table = records.maintenance(
        ts=[T0 + i for i in range(5)],
        work_order=[f"WO{i}" for i in range(5)],
        path=PRESS,
        kind="corrective",
        event="opened",
        failure_mode=odd,
        parts=[None] * 5,
    )
    store.write(RecordKind.MAINTENANCE, table)
    back = store.records(RecordKind.MAINTENANCE)
    assert back.column("failure_mode").to_pylist() == odd
    assert back.column("parts").null_count == 5


def test_floats_round_trip_exactly(store: Store) -> None:
    values = [0.1 + 0.2, 1e-300, -1.7976931348623157e308, float("inf"), 5e-324]
    table = records.samples(ts=[T0 + i for i in range(5)], path=f"{PRESS}/x", value=values)
    store.write(RecordKind.SAMPLE, table)
    assert store.records(RecordKind.SAMPLE).column("value").to_pylist() == values


# -- typed queries ---------------------------------------------------------------------------


@pytest.fixture
def tree(store: Store) -> Store:
    """Samples under a small tree whose names tempt a naive prefix match."""
    paths = ["a/b/t1", "a/b/t2", "a/bc/t1", "a/b", "a/b-c/t1", "a/c/t1", "x/a/b/t1"]
    table = records.samples(
        ts=[T0 + i * S for i in range(len(paths))],
        path=paths,
        value=[float(i) for i in range(len(paths))],
        source="tree",
    )
    store.write(RecordKind.SAMPLE, table)
    return store


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("a/b", ["a/b", "a/b/t1", "a/b/t2"]),
        ("a/b/", ["a/b", "a/b/t1", "a/b/t2"]),
        ("a/bc", ["a/bc/t1"]),
        ("a/b/t1", ["a/b/t1"]),
        ("a", ["a/b", "a/b-c/t1", "a/b/t1", "a/b/t2", "a/bc/t1", "a/c/t1"]),
        ("a/", ["a/b", "a/b-c/t1", "a/b/t1", "a/b/t2", "a/bc/t1", "a/c/t1"]),
        ("b", []),
        ("a/b/t", []),
    ],
)
def test_a_path_prefix_matches_whole_path_segments(
    tree: Store, prefix: str, expected: list[str]
) -> None:
    assert sorted(tree.samples(path_prefix=prefix).column("path").to_pylist()) == expected
    got = tree.records(RecordKind.SAMPLE, path_prefix=prefix).column("path").to_pylist()
    assert sorted(got) == expected
    assert tree.latest_samples(path_prefix=prefix).column("path").to_pylist() == expected


def test_time_ranges_are_half_open(store: Store) -> None:
    store.write(RecordKind.SAMPLE, _samples(10))
    got = store.records(RecordKind.SAMPLE, start=T0 + 2 * S, end=T0 + 5 * S)
    assert got.column("seq").to_pylist() == [2, 3, 4]
    assert store.records(RecordKind.SAMPLE, start=T0 + 9 * S).num_rows == 1
    assert store.records(RecordKind.SAMPLE, end=T0).num_rows == 0
    assert store.records(RecordKind.SAMPLE, start=T0 + 3 * S, end=T0 + 3 * S).num_rows == 0
    assert store.samples(start=T0 + 2 * S, end=T0 + 5 * S).num_rows == 3


def test_aware_datetimes_and_microseconds_are_the_same_bound(store: Store) -> None:
    store.write(RecordKind.SAMPLE, _samples(10))
    when = dt.datetime(2023, 11, 14, 22, 13, 23, tzinfo=dt.UTC)  # T0 + 3 s
    in_paris = when.astimezone(dt.timezone(dt.timedelta(hours=1)))
    by_int = store.records(RecordKind.SAMPLE, start=T0 + 3 * S)
    assert store.records(RecordKind.SAMPLE, start=when).equals(by_int)
    assert store.records(RecordKind.SAMPLE, start=in_paris).equals(by_int)
    with pytest.raises(ValueError, match="naive"):
        store.records(RecordKind.SAMPLE, start=dt.datetime(2023, 11, 14))


def test_records_are_ordered_by_time_and_limited(store: Store) -> None:
    batch = _samples(10)
    store.write(RecordKind.SAMPLE, batch.take([9, 3, 0, 7, 1, 2, 8, 4, 6, 5]))
    got = store.records(RecordKind.SAMPLE, limit=4)
    assert got.column("seq").to_pylist() == [0, 1, 2, 3]


def test_samples_select_named_tags_in_path_then_time_order(store: Store) -> None:
    store.write(RecordKind.SAMPLE, _samples(9))
    got = store.samples(tags=[f"{PRESS}/tag2", f"{PRESS}/tag0"], start=T0 + S)
    assert got.column_names == ["ts", "path", "value", "quality"]
    assert got.column("path").to_pylist() == [f"{PRESS}/tag0"] * 2 + [f"{PRESS}/tag2"] * 3
    assert got.column("value").to_pylist() == [3.0, 6.0, 2.0, 5.0, 8.0]


def test_latest_samples_give_the_newest_value_of_each_tag(store: Store) -> None:
    store.write(RecordKind.SAMPLE, _samples(9))
    # Two values at the same instant: the higher sequence number is the later one.
    tie = records.samples(ts=[T0 + 8 * S], path=f"{PRESS}/tag2", value=[99.0], seq=[100])
    store.write(RecordKind.SAMPLE, tie)
    latest = store.latest_samples(path_prefix=PRESS)
    assert latest.column_names == ["path", "ts", "value", "quality"]
    assert latest.column("path").to_pylist() == [f"{PRESS}/tag{i}" for i in range(3)]
    assert latest.column("value").to_pylist() == [6.0, 7.0, 99.0]
    assert latest.column("ts")[2].as_py() == dt.datetime.fromtimestamp((T0 + 8 * S) / S, dt.UTC)


def _write_states(store: Store) -> None:
    store.write(
        RecordKind.STATE,
        records.states(
            ts=[T0, T0 + 10 * S, T0 + 20 * S, T0 + 5 * S, T0 + 15 * S],
            path=[
                PRESS,
                PRESS,
                PRESS,
                "acme/lyon/assembly/line1/robot1",
                "acme/lyon/assembly/line1/robot1",
            ],
            state=["running", "unplanned_down", "running", "idle", "running"],
            reason=[None, "jam", None, None, None],
        ),
    )


def _intervals(table: pa.Table) -> list[tuple[str, str, int, int]]:
    assert table.schema.equals(STATE_INTERVAL_SCHEMA)
    return [
        (
            r["path"].rsplit("/", 1)[1],
            r["state"],
            (r["start"] - dt.datetime.fromtimestamp(T0 / S, dt.UTC)) // dt.timedelta(seconds=1),
            (r["end"] - dt.datetime.fromtimestamp(T0 / S, dt.UTC)) // dt.timedelta(seconds=1),
        )
        for r in table.to_pylist()
    ]


def test_state_intervals_are_clipped_to_the_window(store: Store) -> None:
    _write_states(store)
    got = _intervals(store.state_intervals(start=T0 + 7 * S, end=T0 + 18 * S))
    assert got == [
        ("press1", "running", 7, 10),
        ("press1", "unplanned_down", 10, 18),
        ("robot1", "idle", 7, 15),
        ("robot1", "running", 15, 18),
    ]


def test_the_last_state_lasts_until_the_end_of_the_window(store: Store) -> None:
    _write_states(store)
    got = _intervals(store.state_intervals(path_prefix=PRESS, start=T0 + 12 * S, end=T0 + 30 * S))
    assert got == [("press1", "unplanned_down", 12, 20), ("press1", "running", 20, 30)]
    # Open-ended, the last state has no known end and so no interval.
    open_ended = _intervals(store.state_intervals(path_prefix=PRESS))
    assert open_ended == [("press1", "running", 0, 10), ("press1", "unplanned_down", 10, 20)]
    assert store.state_intervals(path_prefix=PRESS).column("reason").to_pylist() == [None, "jam"]


def test_a_window_before_any_state_has_no_interval(store: Store) -> None:
    _write_states(store)
    assert store.state_intervals(start=T0 - 10 * S, end=T0).num_rows == 0


# -- quarantine ------------------------------------------------------------------------------


def _quarantine_rows(n: int, *, reason: str = "unknown_path", at: int = T0) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "received_at": at + i * S,
                "kind": "sample",
                "source": "mqtt",
                "ts": at + i,
                "path": f"acme/nowhere/t{i}",
                "reason": reason,
                "detail": f"no tag acme/nowhere/t{i} in the model",
                "record": json.dumps({"path": f"acme/nowhere/t{i}", "value": i}),
            }
            for i in range(n)
        ],
        schema=QUARANTINE_SCHEMA,
    )


def test_quarantine_round_trips_and_summarises(store: Store) -> None:
    rows = pa.concat_tables(
        [_quarantine_rows(3), _quarantine_rows(2, reason="out_of_range", at=T0 + 10 * S)]
    )
    assert store.quarantine(rows) == 5
    assert store.quarantined().equals(rows)
    assert store.quarantined(reason="out_of_range").num_rows == 2
    assert store.quarantined(start=T0 + S, end=T0 + 10 * S).num_rows == 2
    summary = store.quarantine_summary().to_pylist()
    assert summary == [
        {"kind": "sample", "source": "mqtt", "reason": "unknown_path", "rows": 3},
        {"kind": "sample", "source": "mqtt", "reason": "out_of_range", "rows": 2},
    ]
    assert store.quarantine(_quarantine_rows(0)) == 0


# -- auxiliary tables, schema versions, statements -------------------------------------------


def test_auxiliary_tables_append_and_read_back(store: Store) -> None:
    first = pa.table(
        {
            "asset": ["press1", "robot1"],
            "failed_at": pa.array([T0, None], pa.timestamp("us", tz="UTC")),
            "cycles": pa.array([120, 7], pa.int64()),
            "rul_h": [12.5, None],
            "failed": [True, False],
        }
    )
    store.write_table("ground_truth", first)
    store.write_table("ground_truth", first.slice(0, 1))
    back = store.read_table("ground_truth")
    assert back.num_rows == 3
    assert back.column("asset").to_pylist() == ["press1", "robot1", "press1"]
    assert back.column("failed_at").to_pylist()[:2] == first.column("failed_at").to_pylist()
    assert back.column("cycles").to_pylist() == [120, 7, 120]
    assert back.column("rul_h").to_pylist() == [12.5, None, 12.5]
    assert back.column("failed").to_pylist() == [True, False, True]


def test_auxiliary_tables_read_back_typed_and_exact(store: Store) -> None:
    awkward = ["a,b", 'say "hi"', "two\nlines", "", None, "naïve ✓"]
    table = pa.table(
        {
            "text": pa.array(awkward, pa.string()),
            "at": pa.array([T0 + i for i in range(6)], pa.timestamp("us", tz="UTC")),
            "n": pa.array([0, -1, 2**53 + 1, None, 5, 6], pa.int64()),
            "x": pa.array([0.1, float("inf"), None, -2.5e-300, 1e300, 3.0], pa.float64()),
            "flag": pa.array([True, None, False, True, False, True], pa.bool_()),
        }
    )
    store.write_table("awkward", table)
    back = store.read_table("awkward")
    assert back.schema.equals(table.schema)
    assert back.to_pylist() == table.to_pylist()


def test_reading_a_missing_auxiliary_table_says_which(store: Store) -> None:
    with pytest.raises(StoreError, match="never_written"):
        store.read_table("never_written")


@pytest.mark.parametrize("name", ["Bad-Name", "x; DROP TABLE rec_sample", "", "1abc"])
def test_auxiliary_table_names_are_checked(store: Store, name: str) -> None:
    with pytest.raises(StoreError, match="lower-case"):
        store.write_table(name, pa.table({"a": [1]}))
    with pytest.raises(StoreError, match="lower-case"):
        store.read_table(name)


def test_the_schema_is_at_the_latest_migration(store: Store) -> None:
    from andon.store._sql import MIGRATIONS  # noqa: PLC0415

    assert store.schema_version() == MIGRATIONS[-1].version
    applied = store.execute("SELECT version FROM schema_migrations ORDER BY version")
    assert applied.column("version").to_pylist() == [m.version for m in MIGRATIONS]


def test_execute_returns_typed_columns(store: Store) -> None:
    got = store.execute(
        "SELECT CAST(? AS BIGINT) AS n, CAST(? AS DOUBLE PRECISION) AS x, ? AS s, "
        "CAST(? AS BOOLEAN) AS b, CAST('2023-11-14 22:13:20+00' AS TIMESTAMPTZ) AS t",
        [7, 0.5, "it's 100%?", True],
    )
    assert got.schema.types == [
        pa.int64(),
        pa.float64(),
        pa.string(),
        pa.bool_(),
        pa.timestamp("us", tz="UTC"),
    ]
    assert got.to_pylist()[0]["s"] == "it's 100%?"
    assert got.column("t")[0].as_py() == dt.datetime.fromtimestamp(T0 / S, dt.UTC)


def test_the_key_check_proves_distinct_keys_and_flags_repeats() -> None:
    from andon.store._keys import may_repeat_keys  # noqa: PLC0415

    batch = _samples(1_000)
    assert not may_repeat_keys(RecordKind.SAMPLE, batch)
    assert may_repeat_keys(RecordKind.SAMPLE, pa.concat_tables([batch, batch.slice(500, 1)]))
    # Same path and time but another seq or source is another key.
    other_seq = batch.slice(0, 1).set_column(
        2, batch.schema.field("seq"), pa.array([10_000], pa.int64())
    )
    assert not may_repeat_keys(RecordKind.SAMPLE, pa.concat_tables([batch, other_seq]))
    assert not may_repeat_keys(RecordKind.SAMPLE, batch.slice(0, 1))


def test_large_overlapping_batches_are_merged_exactly(store: Store) -> None:
    # Large enough to go in several COPY chunks on PostgreSQL.
    first = store.write(RecordKind.SAMPLE, _samples(40_000, tags=50))
    second = store.write(RecordKind.SAMPLE, _samples(40_000, start=30_000, tags=50))
    assert first.written == 40_000
    assert (second.written, second.duplicates) == (30_000, 10_000)
    assert store.count_rows(RecordKind.SAMPLE) == 70_000
    assert store.latest_samples().num_rows == 50
