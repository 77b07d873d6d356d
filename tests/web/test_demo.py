"""``andon demo --headless`` runs the whole loop and reports it; bad options exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from andon.apps import app_names
from andon.cli import app

ROOT = Path(__file__).resolve().parents[2]
MODEL = str(ROOT / "examples" / "discrete")


@pytest.mark.slow
def test_headless_demo_runs_the_loop_and_prints_a_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "demo",
            "--headless",
            "--json",
            "--days",
            "2",
            "--period",
            "1",
            "--model",
            MODEL,
            "--workdir",
            str(tmp_path / "demo"),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["history_days"] == 2
    assert summary["streamed_days"] == pytest.approx(1.0, abs=0.01)
    assert summary["records"]["state"] > 0
    assert summary["records"]["sample"] > 0
    assert set(summary["oee"]) == {"acme/lyon", "acme/brno"}
    assert all(0 < v < 1 for v in summary["oee"].values() if v is not None)
    # Every installed app was fitted and proposed; none failed.
    assert set(summary["fitted"]) == {"maintenance"} & set(app_names())
    assert not [n for n in summary["notes"] if "failed" in n]
    assert (tmp_path / "demo" / "andon.duckdb").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "--days must be positive"),
        (["--speed", "-1"], "--speed must be 0 or more"),
        (["--port", "70000"], "--port must be between 1 and 65535"),
        (["--model", "no/such/model"], "no plant model at no/such/model"),
    ],
)
def test_bad_options_say_what_is_wrong_and_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    base = ["demo", "--headless", "--model", MODEL, "--workdir", str(tmp_path)]
    result = CliRunner().invoke(app, [*base, *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_serve_without_a_store_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert "no store at" in result.output
