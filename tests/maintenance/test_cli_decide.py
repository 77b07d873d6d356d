"""``andon decide maintenance``: the plan as a table, proposals kept, user mistakes exit 2."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from andon.cli import app
from andon.decisions import DecisionFilter, DecisionService, Status
from andon.model import Model
from andon.records import RecordKind
from andon.store import DuckDBStore
from conftest import PLANT, synthesise

runner = CliRunner()


def test_decide_prints_the_plan_and_keeps_the_proposals(tmp_path: Path, tiny_model: Model) -> None:
    syn = synthesise(tiny_model, days=10, seed=7)
    file = tmp_path / "plant.duckdb"
    target = DuckDBStore(str(file))
    for kind in ("sample", "maintenance"):
        target.write(RecordKind(kind), syn.store.records(RecordKind(kind)))
    target.close()
    result = runner.invoke(
        app,
        [
            "decide",
            "maintenance",
            str(PLANT),
            "--store",
            str(file),
            "--now",
            "2026-01-11T00:00:00+00:00",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "maintenance plan" in result.output
    assert "proposal(s)" in result.output
    store = DuckDBStore(str(file))
    records = DecisionService(store=store).list(DecisionFilter(app="maintenance"), limit=100)
    store.close()
    assert records
    assert all(r.status == Status.PROPOSED for r in records)
    # One decision per asset and round, its modes inside.
    assert len({r.subject for r in records}) == len(records)


def test_naive_time_is_refused_with_one_line(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "decide",
            "maintenance",
            str(PLANT),
            "--store",
            str(tmp_path / "x.duckdb"),
            "--now",
            "2026-01-11T00:00",
        ],
    )
    assert result.exit_code == 2
    assert "no time zone" in result.output
    assert "Traceback" not in result.output


def test_invalid_model_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("enterprise: {id: x}\nparts: [{id: P, unit_cost: -1, lead_time_days: 1}]\n")
    result = runner.invoke(
        app, ["decide", "maintenance", str(bad), "--store", str(tmp_path / "x.duckdb")]
    )
    assert result.exit_code == 2
    assert "problem" in result.output
