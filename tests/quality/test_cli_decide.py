"""``andon decide quality`` on a store holding weeks of the conformance plant (it tests
every unit at its last cell), and a store that does not open."""

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

PLANT = Path(__file__).resolve().parents[1] / "conformance" / "plant.yaml"


def test_decide_quality_fits_and_prints_its_decisions(tmp_path: Path) -> None:
    location = tmp_path / "andon.duckdb"
    model = load_model(PLANT)
    store = DuckDBStore(location)
    result = simulate(model, days=21, seed=3, sink=PipelineSink.into(store, model=model))
    store.close()
    base = ["decide", "quality", str(PLANT), "--store", str(location), "--now"]
    base.append(to_iso(result.end_us))
    shown = CliRunner().invoke(app, [*base, "--fit", "--no-keep"])
    assert shown.exit_code == 0, shown.output
    assert "inspected units (version" in shown.output  # three weeks of tested units
    assert "quality decisions" in shown.output
    assert "proposal(s)" in shown.output
    listed = CliRunner().invoke(app, [*base, "--json", "--no-keep"])
    assert listed.exit_code == 0, listed.output
    assert isinstance(json.loads(listed.stdout), list)


def test_a_store_that_does_not_open_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-store.duckdb"
    bad.write_text("this is not a DuckDB file")
    result = CliRunner().invoke(app, ["decide", "quality", str(PLANT), "--store", str(bad)])
    assert result.exit_code == 2
    assert result.output.startswith("error:")
