"""``andon flow export``, ``import`` and ``show`` on a simulated plant's store, and the
mistakes a user makes: one line on stderr, exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from andon import ocel
from andon.cli import app
from andon.model import load_model
from andon.sim import simulate
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore

runner = CliRunner()
PLANT = Path(__file__).resolve().parents[1] / "conformance" / "plant.yaml"
ENV = {"COLUMNS": "100", "TERM": "dumb"}


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("flow") / "plant.duckdb"
    model = load_model(PLANT)
    store = DuckDBStore(path)
    try:
        simulate(model, days=0.5, seed=2, sink=PipelineSink.into(store, model=model))
    finally:
        store.close()
    return path


@pytest.mark.parametrize("fmt", ["ocel-json", "ocel-xml", "ocel-sqlite"])
def test_export_each_format_then_import(store_file: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "flow.log"
    done = runner.invoke(
        app, ["flow", "export", str(out), "--format", fmt, "--store", str(store_file)], env=ENV
    )
    assert done.exit_code == 0, done.output
    assert "events" in done.output
    log = ocel.read(out, fmt)  # type: ignore[arg-type]
    assert log.events.height > 0
    assert "unit" in set(log.objects["type"])
    again = runner.invoke(app, ["flow", "import", str(out), "--format", fmt, "--json"], env=ENV)
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == log.counts()


def test_import_converts_and_show_lists_the_flow(store_file: Path, tmp_path: Path) -> None:
    source, target = tmp_path / "flow.json", tmp_path / "flow.sqlite"
    runner.invoke(app, ["flow", "export", str(source), "--store", str(store_file)], env=ENV)
    done = runner.invoke(app, ["flow", "import", str(source), "--out", str(target)], env=ENV)
    assert done.exit_code == 0, done.output
    assert ocel.read(target).same_facts(ocel.read(source))
    shown = runner.invoke(app, ["flow", "show", str(target), "--type", "unit", "--json"], env=ENV)
    assert shown.exit_code == 0, shown.output
    views = json.loads(shown.stdout)
    assert {e["object_type"] for e in views["edges"]} == {"unit"}
    assert views["waiting"]
    assert views["variants"]
    table = runner.invoke(app, ["flow", "show", str(target), "--top", "3"], env=ENV)
    assert table.exit_code == 0
    assert "waiting" in table.output
    assert "variants" in table.output


def test_export_within_a_range(store_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "late.json"
    done = runner.invoke(
        app,
        ["flow", "export", str(out), "--store", str(store_file), "--start", "2100-01-01"],
        env=ENV,
    )
    assert done.exit_code == 0, done.output
    assert ocel.read(out).events.height == 0


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["flow", "export", "out.json", "--store", "missing.duckdb"], "flow.no_store"),
        (["flow", "export", "out.json", "--start", "yesterday"], "flow.bad_time"),
        (["flow", "export", "out.txt"], "ocel.unknown_format"),
        (["flow", "import", "missing.json"], "ocel.unreadable"),
        (["flow", "show", "missing.xml"], "ocel.unreadable"),
    ],
)
def test_mistakes_print_one_line_and_exit_2(
    args: list[str], code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    done = runner.invoke(app, args, env=ENV)
    assert done.exit_code == 2
    lines = [line for line in done.output.splitlines() if line.strip()]
    assert len(lines) == 1, done.output
    assert f"[{code}]" in lines[0]


def test_an_invalid_log_lists_its_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"eventTypes": [], "objectTypes": [], "objects": [],'
        ' "events": [{"id": "e1", "type": "x", "time": "soon", "relationships": []}]}'
    )
    done = runner.invoke(app, ["flow", "import", str(bad)], env=ENV)
    assert done.exit_code == 2
    assert "ocel.bad_time" in done.output
    assert "ocel.unknown_type" in done.output


def test_show_an_unknown_type(store_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "flow.json"
    runner.invoke(app, ["flow", "export", str(out), "--store", str(store_file)], env=ENV)
    done = runner.invoke(app, ["flow", "show", str(out), "--type", "pallet"], env=ENV)
    assert done.exit_code == 2
    assert "[flow.unknown_type]" in done.output


def test_delays_rank_causes_and_name_each_line_bottleneck(store_file: Path) -> None:
    done = runner.invoke(app, ["flow", "delays", "--store", str(store_file), "--json"], env=ENV)
    assert done.exit_code == 0, done.output
    found = json.loads(done.stdout)
    hours = [c["hours"] for c in found["causes"]]
    assert hours == sorted(hours, reverse=True)
    assert found["lines"]
    for line in found["lines"]:
        assert line["bottleneck"].startswith(line["line"] + "/")
        assert line["limited_by"] in {"capacity", "down", "planned down", "changeover"}
    table = runner.invoke(
        app, ["flow", "delays", "--store", str(store_file), "--model", str(PLANT)], env=ENV
    )
    assert table.exit_code == 0, table.output
    assert "bottlenecks" in table.output
    priced = runner.invoke(
        app,
        ["flow", "delays", "--store", str(store_file), "--model", str(PLANT), "--json"],
        env=ENV,
    )
    assert all(line["lost_value"] is not None for line in json.loads(priced.stdout)["lines"])
    missing = runner.invoke(app, ["flow", "delays", "--store", "nowhere.duckdb"], env=ENV)
    assert missing.exit_code == 2
    assert "[flow.no_store]" in missing.output


def test_show_the_store_itself(store_file: Path) -> None:
    done = runner.invoke(
        app, ["flow", "show", "--store", str(store_file), "--type", "order", "--json"], env=ENV
    )
    assert done.exit_code == 0, done.output
    views = json.loads(done.stdout)
    assert {e["object_type"] for e in views["edges"]} == {"order"}
    assert any(v["variant"].startswith("released > started") for v in views["variants"])
