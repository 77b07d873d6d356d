"""Every industry template in examples/ runs, and shows what makes it that industry."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pytest

from andon.model import load_model
from andon.sim import MemorySink, simulate

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


@pytest.mark.parametrize("template", ["discrete", "smt", "batch"])
def test_template_runs_and_emits_every_tag(template: str) -> None:
    model = load_model(EXAMPLES / template)
    sink = MemorySink()
    days = 2.0 if template == "batch" else 0.5
    result = simulate(model, days=days, seed=1, sink=sink)
    tags = set(sink.table("sample")["path"].unique().to_pylist())
    assert tags == set(model.tags)
    assert result.records["state"] > 0
    assert result.records["energy"] > 0
    assert result.quality.units > 0


def test_smt_lines_inspect_at_ict() -> None:
    model = load_model(EXAMPLES / "smt")
    sink = MemorySink()
    simulate(model, days=0.5, seed=2, sink=sink)
    inspections = sink.table("inspection")
    stations = {p.rsplit("/", 2)[-2] for p in inspections["path"].unique().to_pylist()}
    assert stations == {"ict"}
    units = sink.table("unit")
    assert "paste_height" in units["parameter"].unique().to_pylist()


def test_batch_reactor_follows_recipe_phases_and_draws_steam() -> None:
    model = load_model(EXAMPLES / "batch")
    sink = MemorySink()
    simulate(model, days=2, seed=1, sink=sink)
    samples = sink.table("sample")
    tag = "chemco/ludwigshafen/synthesis/train1/reaction/r101/batch_temperature"
    values = samples.filter(pc.equal(samples["path"], tag))["value"].drop_null().to_numpy()
    assert values.max() > 150  # the reaction hold
    assert values.min() < 40  # charged cold, before heat-up
    energy = sink.table("energy")
    steam = energy.filter(pc.equal(energy["path"], "chemco/ludwigshafen/steam_meter"))
    assert pc.sum(steam["kwh"]).as_py() > 0
    tests = set(sink.table("inspection")["test"].to_pylist())
    assert tests == {"lab_assay"}


def test_batch_steam_follows_the_heat_up_phase() -> None:
    model = load_model(EXAMPLES / "batch")
    sink = MemorySink()
    simulate(model, days=2, seed=1, sink=sink)
    energy = sink.table("energy")
    steam = energy.filter(
        pc.equal(energy["path"], "chemco/ludwigshafen/synthesis/train1/reaction/r101_steam")
    )["kwh"].to_numpy()
    # 15-minute readings: near the heat-up power (420 kW -> 105 kWh) in heat-up, low otherwise
    assert steam.max() > 90
    assert (steam < 10).sum() > steam.size / 2
