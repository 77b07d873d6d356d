"""Energy accounting against the simulator's ground truth, and bad input flagged."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from andon.apps.energy import account
from andon.apps.energy.accounting import category
from andon.model import Model
from andon.records import RecordKind
from andon.sim import SimResult
from andon.store import DuckDBStore
from andon.time import HOUR_US

IDLE_CAUSES = ("idle", "starved", "blocked", "micro_stop", "break")


def _truth(store: DuckDBStore, causes: tuple[str, ...]) -> float:
    truth = store.read_table("truth_energy")
    rows = truth.filter(pc.is_in(truth["cause"], pa.array(causes)))
    return float(pc.sum(rows["kwh"]).as_py() or 0.0)


def test_categories_of_states() -> None:
    assert category("running", "") == "running"
    assert category("setup", "changeover") == "setup"
    assert category("unplanned_down", "wear") == "off"
    assert category("offline", "no_shift") == "off"


def test_idle_and_warmup_energy_match_the_simulators_truth(
    plant: Model, week: tuple[DuckDBStore, SimResult]
) -> None:
    store, result = week
    acc = account(store, plant, start=result.start_us, end=result.end_us)
    by = acc.by_state.group_by("category").agg(pl.col("kwh").sum())
    kwh = dict(zip(by["category"].to_list(), by["kwh"].to_list(), strict=True))
    assert kwh["idle"] == pytest.approx(_truth(store, IDLE_CAUSES), rel=0.02)
    assert kwh["warmup"] == pytest.approx(_truth(store, ("warmup",)), rel=0.02)
    site = acc.by_site.row(0, named=True)
    assert site["base_kw"] == pytest.approx(20.0 * 1.0, rel=0.05)  # the scenario's base load
    assert site["waste_cost"] > 0
    assert site["waste_kg_co2e"] > 0
    assert site["units"] > 0
    assert site["kwh_per_unit"] > 0
    assert acc.by_product["units"].sum() == site["units"]
    assert not acc.flags, [f.text for f in acc.flags]


def _copy(
    source: DuckDBStore,
    *,
    drop_tariff_hours: int = 0,
    scale_sub_meter: float = 1.0,
    after_us: int = 0,
) -> DuckDBStore:
    target = DuckDBStore(None)
    for kind in (RecordKind.STATE, RecordKind.COUNT, RecordKind.ENERGY, RecordKind.TARIFF):
        table = source.records(kind)
        if kind is RecordKind.TARIFF and drop_tariff_hours:
            table = table.slice(drop_tariff_hours)
        if kind is RecordKind.ENERGY and scale_sub_meter != 1.0:
            frame = pl.from_arrow(table)
            assert isinstance(frame, pl.DataFrame)
            late = (pl.col("path").str.ends_with("l1_meter")) & (
                pl.col("ts").dt.epoch("us") > after_us
            )
            table = frame.with_columns(
                kwh=pl.when(late).then(pl.col("kwh") * scale_sub_meter).otherwise(pl.col("kwh"))
            ).to_arrow()
        target.write(kind, table)
    return target


def test_missing_tariff_hours_are_flagged_not_priced_at_zero(
    plant: Model, week: tuple[DuckDBStore, SimResult]
) -> None:
    store, result = week
    copy = _copy(store, drop_tariff_hours=5)
    acc = account(copy, plant, start=result.start_us, end=result.end_us)
    [flag] = [f for f in acc.flags if f.code == "tariff_missing"]
    assert flag.where == "conf/s1"
    assert flag.count == 5
    assert flag.start_us == result.start_us
    unpriced = acc.site_hours.filter(pl.col("price_per_kwh").is_null())
    assert unpriced.height == 5


def test_a_sub_meter_that_drifts_is_flagged(
    plant: Model, week: tuple[DuckDBStore, SimResult]
) -> None:
    store, result = week
    when = result.start_us + 10 * 24 * HOUR_US
    copy = _copy(store, scale_sub_meter=1.4, after_us=when)
    acc = account(copy, plant, start=result.start_us, end=result.end_us)
    flags = [f for f in acc.flags if f.code == "meter_imbalance"]
    assert flags
    assert {f.where for f in flags} == {"conf/s1/main_meter"}
    assert min(f.start_us for f in flags) >= when - HOUR_US
