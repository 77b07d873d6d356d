"""The maintenance app judges assets by the ages an imported CMMS history gives them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from andon.apps.maintenance import MaintenanceApp
from andon.apps.maintenance.plan import AssetRisk
from andon.connect.cmms import WorkOrderFile, import_work_orders
from andon.connect.pipeline import Pipeline
from andon.model import Model
from andon.store import Store
from andon.time import from_datetime

LYON_MILL = "acme/lyon/machining/m1/milling/mill1"
BRNO_MILL = "acme/brno/machining/m1/milling/mill1"
NOW = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
CAVEATS = ("age not known", "age counted from the first record")


def _risk(risks: list[AssetRisk], subject: str, mode: str) -> AssetRisk:
    (found,) = [r for r in risks if r.subject == subject and r.mode.id == mode]
    return found


def _stamp(hours_before: float) -> str:
    return (NOW - dt.timedelta(hours=hours_before)).isoformat(timespec="minutes")


def test_ages_come_from_the_imported_work_orders(
    tmp_path: Path, example_model: Model, duckdb_store: Store
) -> None:
    app = MaintenanceApp()
    now = from_datetime(NOW)
    before, _, _ = app.assess(duckdb_store, example_model, now=now)
    # installed in 2017 and 2013: many lives of a spindle bearing ago, the age is unknown
    for subject in (LYON_MILL, BRNO_MILL):
        notes = _risk(before, subject, "spindle_bearing").notes
        assert any(c in n for n in notes for c in CAVEATS), notes
    export = tmp_path / "work_orders.csv"
    export.write_text(
        "WONUM,SITEID,ASSETNUM,WORKTYPE,FAILURECODE,REPORTDATE,ACTSTART,ACTFINISH,PARTS\n"
        f"7001,LYON,MILL1,EM,spindle_bearing,{_stamp(60)},{_stamp(58)},{_stamp(48)},BRG-7014 x2\n"
        f"7002,BRNO,MILL1,EM,spindle_bearing,{_stamp(2512)},{_stamp(2510)},{_stamp(2500)},\n",
        encoding="utf-8",
    )
    done = import_work_orders(
        WorkOrderFile(path=export), pipeline=Pipeline(store=duckdb_store, model=example_model)
    )
    assert (done.work_orders, done.quarantined) == (2, {})
    after, _, _ = app.assess(duckdb_store, example_model, now=now)
    fresh = _risk(after, LYON_MILL, "spindle_bearing")
    worn = _risk(after, BRNO_MILL, "spindle_bearing")
    for risk in (fresh, worn):
        assert not any(c in n for n in risk.notes for c in CAVEATS), risk.notes
    # two days after a new bearing against 2,500 hours after one: the history sets the age
    assert fresh.p_fail < worn.p_fail
    # a mode the history does not name keeps its caveat
    pump = _risk(after, LYON_MILL, "coolant_pump").notes
    assert any(c in n for n in pump for c in CAVEATS), pump
