"""The quality app's store queries: the same answers from DuckDB and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from andon.records import KIND_SCHEMAS, RecordKind
from andon.store import Store
from andon.store import quality_queries as qq

H = 3_600_000_000
E = "acme/s/a/l1"


def _table(kind: RecordKind, rows: list[dict[str, Any]]) -> pa.Table:
    schema = KIND_SCHEMAS[kind]
    full = [{"source": "t", "seq": k, **row} for k, row in enumerate(rows)]
    cols = {f.name: [r.get(f.name) for r in full] for f in schema}
    cols["ts"] = pa.array(cols["ts"], pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    return pa.table({f.name: pa.array(cols[f.name], f.type) for f in schema}, schema=schema)


def _unit(ts: int, serial: str, cell: str, parameter: str, value: float) -> dict[str, Any]:
    return {
        "ts": ts, "serial": serial, "path": f"{E}/{cell}/m1", "product": "P",
        "lot": "L1", "parameter": parameter, "value": value,
    }  # fmt: skip


def _fill(store: Store) -> None:
    units = [
        _unit(1 * H, "A", "print", "paste_height", 120.0),  # before start: kept, A is picked
        _unit(5 * H, "A", "reflow", "peak", 245.0),
        _unit(2 * H, "B", "print", "paste_height", 118.0),  # B has no record in range
        _unit(6 * H, "C", "print", "paste_height", 121.0),
        _unit(20 * H, "C", "reflow", "peak", 246.0),  # after end: left out
    ]
    store.write(RecordKind.UNIT, _table(RecordKind.UNIT, units), batch_id="u")
    inspections = [
        {"ts": 6 * H, "serial": "A", "path": f"{E}/ict/t1", "test": "ft", "passed": False,
         "value": 3.1, "defect_code": "FT-FAIL"},
        {"ts": 3 * H, "serial": "B", "path": f"{E}/ict/t1", "test": "ft", "passed": True,
         "value": 0.2, "defect_code": None},
    ]  # fmt: skip
    store.write(RecordKind.INSPECTION, _table(RecordKind.INSPECTION, inspections), batch_id="i")
    links = [
        {"ts": 1 * H, "parent": "L1", "child": "A", "relation": "consumed"},
        {"ts": 2 * H, "parent": "L1", "child": "B", "relation": "consumed"},
    ]
    store.write(RecordKind.GENEALOGY, _table(RecordKind.GENEALOGY, links), batch_id="g")
    work = [
        {"ts": 2 * H, "work_order": "w1", "path": f"{E}/reflow/m1", "kind": "failure",
         "event": "opened"},
        {"ts": 3 * H, "work_order": "w1", "path": f"{E}/reflow/m1", "kind": "failure",
         "event": "closed"},
    ]  # fmt: skip
    store.write(RecordKind.MAINTENANCE, _table(RecordKind.MAINTENANCE, work), batch_id="m")
    states = [
        {"ts": 4 * H, "path": f"{E}/print/m1", "state": "setup"},
        {"ts": 5 * H, "path": f"{E}/print/m1", "state": "running"},
    ]
    store.write(RecordKind.STATE, _table(RecordKind.STATE, states), batch_id="s")


def test_a_unit_seen_in_range_brings_its_whole_story(store: Store) -> None:
    _fill(store)
    units = qq.unit_signatures(store, start=4 * H, end=10 * H)
    assert units.column("serial").to_pylist() == ["A", "A", "C"]
    assert units.column("ts_us").to_pylist() == [1 * H, 5 * H, 6 * H]
    assert units.column("value").to_pylist() == [120.0, 245.0, 121.0]
    inspected = qq.inspections(store, start=4 * H, end=10 * H)
    assert inspected.column("serial").to_pylist() == ["A"]
    assert inspected.column("passed").to_pylist() == [False]
    links = qq.genealogy_links(store, start=4 * H, end=10 * H)
    assert links.column("child").to_pylist() == ["A"]


def test_work_orders_closed_and_changeovers(store: Store) -> None:
    _fill(store)
    closes = qq.maintenance_closes(store, end=10 * H)
    assert closes.column("ts_us").to_pylist() == [3 * H]
    assert closes.column("path").to_pylist() == [f"{E}/reflow/m1"]
    assert qq.maintenance_closes(store, end=3 * H).num_rows == 0
    setups = qq.setups(store, start=0, end=10 * H)
    assert setups.column("ts_us").to_pylist() == [4 * H]


def test_an_empty_store_answers_with_empty_tables(store: Store) -> None:
    assert qq.unit_signatures(store, start=0, end=H).num_rows == 0
    assert qq.inspections(store, start=0, end=H).num_rows == 0
    assert qq.setups(store, start=0, end=H).num_rows == 0


def test_the_newest_unit_before_a_time(store: Store) -> None:
    _fill(store)
    assert qq.latest_unit(store, end=10 * H) == 6 * H
    assert qq.latest_unit(store, end=H) is None


def test_units_chosen_by_serial_or_by_lot(store: Store) -> None:
    _fill(store)
    by_serial = qq.unit_signatures(store, start=0, end=10 * H, serials=["B"])
    assert by_serial.column("serial").to_pylist() == ["B"]
    by_lot = qq.unit_signatures(store, start=0, end=10 * H, lots=["L1"])
    assert sorted(set(by_lot.column("serial").to_pylist())) == ["A", "B", "C"]
    assert qq.inspections(store, start=0, end=10 * H, serials=["B"]).num_rows == 1
    assert qq.unit_signatures(store, start=0, end=10 * H, lots=["L9"]).num_rows == 0
