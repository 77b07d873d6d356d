"""``andon ingest`` and ``andon edge`` on the command line: work done, and mistakes in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from andon.cli import app

ROOT = Path(__file__).resolve().parents[2]
MODEL = str(ROOT / "examples" / "discrete")
EQ = "acme/lyon/machining/m1/milling/mill1"

runner = CliRunner()


def test_ingest_file_then_status_counts_written_and_quarantined(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(
        "ts,tag,value\n"
        "2026-01-05 07:00:00,spindle_temperature,41.5\n"
        "2026-01-05 07:01:00,spindle_temperature,999\n"
        "2026-01-05 07:02:00,no_such_tag,1\n"
    )
    store = str(tmp_path / "store.duckdb")
    args = ["ingest", "file", str(export), "--model", MODEL, "--store", store]
    done = runner.invoke(app, [*args, "--timezone", "Europe/Paris", "--tag-prefix", f"{EQ}/"])
    assert done.exit_code == 0, done.output
    assert "written 1" in done.output
    status = runner.invoke(app, ["ingest", "status", "--store", store, "--json"])
    assert status.exit_code == 0, status.output
    report = json.loads(status.output)
    assert report["stored"]["sample"] == 1
    assert {row["reason"]: row["rows"] for row in report["quarantined_by_reason"]} == {
        "out_of_range": 1,
        "unknown_path": 1,
    }


def test_mistakes_exit_2_with_one_line(tmp_path: Path) -> None:
    cases = [
        ["ingest", "status"],
        [
            "ingest",
            "file",
            str(tmp_path / "missing.csv"),
            "--model",
            MODEL,
            "--store",
            str(tmp_path / "s.duckdb"),
        ],
        [
            "ingest",
            "file",
            str(tmp_path / "x.csv"),
            "--model",
            MODEL,
            "--store",
            "x",
            "--layout",
            "tall",
        ],
        ["ingest", "mqtt", "--model", MODEL, "--store", "x", "--mqtt", "http://broker"],
        ["edge", "run", "--model", MODEL, "--buffer", str(tmp_path / "b.db"), "--store", "x"],
        ["edge", "run", "--model", MODEL, "--buffer", str(tmp_path / "b.db"), "--mqtt", "mqtt://h"],
        ["edge", "status", "--buffer", str(tmp_path / "nothing.db")],
    ]
    for argv in cases:
        result = runner.invoke(app, argv)
        assert result.exit_code == 2, (argv, result.output)
        assert "Traceback" not in result.output
        assert result.output.strip(), argv


def test_edge_run_reads_what_its_options_leave_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANDON_EDGE_MAX_BUFFER_MB", "0")
    argv = ["edge", "run", "--model", MODEL, "--buffer", str(tmp_path / "b.db")]
    result = runner.invoke(app, [*argv, "--mqtt", "mqtt://h", "--store", "x"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert "--max-buffer-mb" in lines[0]
    assert "[settings.greater_than]" in lines[0]


def test_ingest_reads_its_options_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDON_EDGE_MAX_BUFFER_MB", "0")  # an edge's setting, not ingest's
    monkeypatch.setenv("ANDON_EDGE_BUS", "nats")
    argv = ["ingest", "mqtt", "--model", MODEL, "--store", "x", "--mqtt", "http://broker"]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: --mqtt: MQTT URL 'http://broker'")
