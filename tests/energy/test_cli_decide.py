"""``andon decide energy`` on a store holding two weeks of the conformance plant."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from andon.cli import app
from andon.model import load_model
from andon.sim import simulate
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore
from andon.time import to_iso

from .conftest import PLANT


def test_decide_energy_fits_and_prints_material_decisions(tmp_path: Path) -> None:
    location = tmp_path / "andon.duckdb"
    model = load_model(PLANT)
    store = DuckDBStore(location)
    result = simulate(model, days=14, seed=5, sink=PipelineSink.into(store, model=model))
    store.close()
    base = [
        "decide",
        "energy",
        str(PLANT),
        "--store",
        str(location),
        "--now",
        to_iso(result.end_us),
    ]
    shown = CliRunner().invoke(app, [*base, "--fit", "--no-keep"])
    assert shown.exit_code == 0, shown.output
    assert "meeting Guideline 14" in shown.output
    assert "energy waste decisions" in shown.output
    listed = CliRunner().invoke(app, [*base, "--json", "--no-keep"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert rows
    assert {r["action"]["kind"] for r in rows} <= {"switch_off_idle", "fix_leak", "stage_utility"}
    assert all(r["expected_value"] >= 100.0 for r in rows)
    assert all(r["evidence"]["kg_co2e_per_year"] > 0 for r in rows)


def test_decide_energy_refuses_a_bad_time(tmp_path: Path) -> None:
    shown = CliRunner().invoke(
        app,
        ["decide", "energy", str(PLANT), "--store", str(tmp_path / "x.duckdb"), "--now", "soon"],
    )
    assert shown.exit_code == 2
    assert "not an ISO 8601 time" in shown.output
