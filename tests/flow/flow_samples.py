"""Fixtures of the flow tests: a small hand-written plant history written into a store.

Line ``acme/s/a/l1`` with cells ``print`` and ``reflow`` (one station each) and a test
bench; two orders of product P released one after the other, four units from two lots,
an inspection that fails, a hold, a work order on the reflow oven and its states.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from andon.records import KIND_SCHEMAS, RecordKind
from andon.store import Store

H = 3_600_000_000
M = 60_000_000
LINE = "acme/s/a/l1"
PRINT = f"{LINE}/print/m1"
REFLOW = f"{LINE}/reflow/m1"
BENCH = f"{LINE}/test/t1"


def table(kind: RecordKind, rows: list[dict[str, Any]]) -> pa.Table:
    """Return the rows as a table of ``kind``, with a source and sequence numbers."""
    schema = KIND_SCHEMAS[kind]
    full = [{"source": "t", "seq": k, **row} for k, row in enumerate(rows)]
    cols = {f.name: [r.get(f.name) for r in full] for f in schema}
    cols["ts"] = pa.array(cols["ts"], pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    return pa.table({f.name: pa.array(cols[f.name], f.type) for f in schema}, schema=schema)


def _order(ts: int, order_id: str, event: str) -> dict[str, Any]:
    return {"ts": ts, "order_id": order_id, "product": "P", "quantity": 2, "event": event,
            "path": LINE}  # fmt: skip


def _unit(ts: int, serial: str, station: str, lot: str, parameter: str) -> dict[str, Any]:
    return {"ts": ts, "serial": serial, "path": station, "product": "P", "lot": lot,
            "parameter": parameter, "value": 1.0}  # fmt: skip


def fill(store: Store) -> None:
    """Write the small plant history into ``store``."""
    orders = [
        _order(0, "O1", "released"),
        _order(0, "O2", "released"),
        _order(1 * H, "O1", "started"),
        _order(2 * H, "O1", "held"),
        _order(3 * H, "O1", "unheld"),
        _order(4 * H, "O1", "completed"),
        _order(4 * H, "O2", "started"),
        _order(6 * H, "O2", "completed"),
    ]
    store.write(RecordKind.ORDER, table(RecordKind.ORDER, orders), batch_id="o")
    units = [
        _unit(1 * H + 10 * M, "U1", PRINT, "L1", "paste"),
        _unit(1 * H + 10 * M, "U1", PRINT, "L1", "cycle_time_s"),  # one visit, two rows
        _unit(1 * H + 40 * M, "U1", REFLOW, "L1", "peak"),
        _unit(1 * H + 20 * M, "U2", PRINT, "L1", "paste"),
        _unit(3 * H + 30 * M, "U2", REFLOW, "L1", "peak"),
        _unit(4 * H + 10 * M, "U3", PRINT, "L2", "paste"),
        _unit(4 * H + 50 * M, "U3", REFLOW, "L2", "peak"),
        _unit(4 * H + 20 * M, "U4", PRINT, "L2", "paste"),
        _unit(5 * H + 0 * M, "U4", REFLOW, "L2", "peak"),
    ]
    store.write(RecordKind.UNIT, table(RecordKind.UNIT, units), batch_id="u")
    links = [
        {"ts": 1 * H, "parent": "L1", "child": "U1", "relation": "consumed"},
        {"ts": 1 * H + 5 * M, "parent": "L1", "child": "U2", "relation": "consumed"},
        {"ts": 4 * H, "parent": "L2", "child": "U3", "relation": "consumed"},
        {"ts": 4 * H + 5 * M, "parent": "L2", "child": "U4", "relation": "consumed"},
    ]
    store.write(RecordKind.GENEALOGY, table(RecordKind.GENEALOGY, links), batch_id="g")
    inspections = [
        {"ts": 2 * H, "serial": "U1", "path": BENCH, "test": "ft", "passed": True,
         "value": 0.1, "defect_code": None},
        {"ts": 3 * H + 45 * M, "serial": "U2", "path": BENCH, "test": "ft", "passed": False,
         "value": 3.2, "defect_code": "FT-FAIL"},
    ]  # fmt: skip
    store.write(RecordKind.INSPECTION, table(RecordKind.INSPECTION, inspections), batch_id="i")
    work = [
        {"ts": 2 * H, "work_order": "W1", "path": REFLOW, "kind": "failure", "event": "opened",
         "failure_mode": "heater"},
        {"ts": 2 * H + 10 * M, "work_order": "W1", "path": REFLOW, "kind": "failure",
         "event": "started", "failure_mode": "heater"},
        {"ts": 3 * H, "work_order": "W1", "path": REFLOW, "kind": "failure", "event": "closed",
         "failure_mode": "heater"},
    ]  # fmt: skip
    store.write(RecordKind.MAINTENANCE, table(RecordKind.MAINTENANCE, work), batch_id="m")
    states = [
        {"ts": 0, "path": REFLOW, "state": "running"},
        {"ts": 2 * H, "path": REFLOW, "state": "unplanned_down", "reason": "heater"},
        {"ts": 3 * H, "path": REFLOW, "state": "running"},
        {"ts": 0, "path": PRINT, "state": "running"},
        {"ts": 1 * H + 30 * M, "path": PRINT, "state": "blocked"},
        {"ts": 3 * H + 20 * M, "path": PRINT, "state": "running"},
    ]
    store.write(RecordKind.STATE, table(RecordKind.STATE, states), batch_id="s")
