"""Site OEE of both example plants after a short simulation, rolled up by hand.

The constraint of each line is found here from the model alone (slowest cell by ideal
rate) and the site's OEE computed from the equipment rows as docs/kpi.md says: the sum of
its lines' constraint valuable time over the sum of their planned busy time.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from andon.kpi import aggregate, compute, kpis
from andon.model import load_model
from andon.records import RecordKind
from andon.sim import PipelineSink, simulate
from andon.store import open_store

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _constraints(model: object) -> set[str]:
    """Equipment of each line's slowest cell, by hand: the cell whose summed ideal rate
    (1 / slowest cycle time of each producing machine) is lowest, the later on a tie."""
    chosen: set[str] = set()
    lines: dict[str, dict[str, list[str]]] = {}
    for path, info in model.equipment.items():  # type: ignore[attr-defined]
        if info.produces:
            lines.setdefault(info.line_path, {}).setdefault(info.cell_path, []).append(path)
    for cells in lines.values():

        def rate(cell: str, cells: dict[str, list[str]] = cells) -> float:
            total = 0.0
            for path in cells[cell]:
                info = model.equipment[path]  # type: ignore[attr-defined]
                times = [info.ideal_cycle_time_s] if info.ideal_cycle_time_s else []
                for product in model.products.values():  # type: ignore[attr-defined]
                    for routing in product.routings:
                        if f"{model.root}/{routing.line}" != info.line_path:  # type: ignore[attr-defined]
                            continue
                        times += [
                            s.cycle_time_s
                            for s in routing.steps
                            if s.cell == info.cell.id and s.cycle_time_s
                        ]
                total += 1.0 / max(times) if times else 0.0
            return total

        order = {c: i for i, c in enumerate(sorted(cells, key=lambda c: _position(model, c)))}
        rated = [c for c in cells if rate(c) > 0]
        if rated:
            chosen.update(cells[min(rated, key=lambda c: (rate(c), -order[c]))])
    return chosen


def _position(model: object, cell_path: str) -> int:
    for info in model.equipment.values():  # type: ignore[attr-defined]
        if info.cell_path == cell_path:
            return [c.id for c in info.line.cells].index(info.cell.id)
    return 0


@pytest.mark.parametrize("example", ["discrete", "beverage"])
def test_site_oee_of_the_example_is_its_lines_constraints_by_planned_busy_time(
    example: str,
) -> None:
    model = load_model(EXAMPLES / example)
    store = open_store("duckdb://:memory:")
    try:
        simulate(model, days=2, seed=3, sink=PipelineSink.into(store, model=model))
        first = store.records(RecordKind.STATE, path_prefix=model.root, limit=1)
        start = first.column("ts")[0].as_py()
        day = start.date()
        run = compute(store, model, start=day, end=day + dt.timedelta(days=2))
    finally:
        store.close()
    equipment = kpis(aggregate(run.elements, "equipment", by_period=False))
    constraint = equipment.filter(pl.col("path").is_in(sorted(_constraints(model))))
    assert constraint.height > 0
    sites = kpis(aggregate(run.elements, "site", by_period=False))
    for site in sites.iter_rows(named=True):
        mine = constraint.filter(pl.col("path").str.starts_with(site["path"] + "/"))
        pbt = mine["pbt_s"].sum()
        valuable = mine["pri_gq_s"].sum()
        assert pbt > 0
        assert site["pbt_s"] == pytest.approx(pbt)
        assert site["oee"] == pytest.approx(valuable / pbt)
        # Weighted by planned busy time, it is also the PBT-weighted mean of its lines.
        lines = kpis(aggregate(run.elements, "line", by_period=False)).filter(
            pl.col("path").str.starts_with(site["path"] + "/") & (pl.col("pbt_s") > 0)
        )
        weighted = (lines["oee"] * lines["pbt_s"]).sum() / lines["pbt_s"].sum()
        assert site["oee"] == pytest.approx(weighted)
