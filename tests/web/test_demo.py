"""``andon demo --headless`` runs the whole loop and reports it; bad options exit 2."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from andon.apps import app_names
from andon.cli import app
from andon.cli.serve import _serve_settings
from andon.decisions import PasswordPolicy, UserService, ensure_schema
from andon.runtime.demo import SimulatedRunSettings
from andon.runtime.serve import ServeSettings
from andon.store import DuckDBStore

from .conftest import write_history

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
    # Every app the demo runs (and is installed) ran its rounds. The simulator's
    # back-history (maintenance records before the streamed days) gives maintenance lives
    # to fit on after two days, and the summary names the fitted version.
    assert set(summary["apps"]) == set(SimulatedRunSettings().apps) & set(app_names())
    maintenance = summary["apps"]["maintenance"]
    assert maintenance["last_round_at"] is not None
    assert maintenance["failed_stage"] is None
    assert maintenance["fit_failure"] is None
    assert summary["fitted"]["maintenance"] == maintenance["fit_version"]
    assert maintenance["fit_metrics"]["failures_seen"] > 0
    assert summary["proposals"] > 0
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


def test_serve_refuses_a_negative_upkeep_period(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--upkeep-every", "-5"])
    assert result.exit_code == 2
    assert "--upkeep-every must be 0 or more, got -5\n" in result.output
    assert "Traceback" not in result.output


def test_serve_runs_the_loop_on_its_defaults_unless_told(monkeypatch) -> None:
    monkeypatch.delenv("ANDON_SERVE_UPKEEP_EVERY_S", raising=False)

    def settings(**given: object) -> ServeSettings:
        options: dict[str, object] = {
            "apps": None,
            "executor": "none",
            "mqtt": None,
            "propose_every": None,
            "fit_every": None,
            "upkeep_every": None,
        }
        return _serve_settings(**{**options, **given})  # type: ignore[arg-type]

    assert settings().schedule().upkeep_every_s == 300.0
    assert settings().schedule().propose_every_s == 3600.0
    assert settings().schedule().fit_every_s == 86_400.0
    assert settings(upkeep_every=0).schedule().upkeep_every_s == 0.0
    assert settings(propose_every=12.5).schedule().propose_every_s == 12.5
    monkeypatch.setenv("ANDON_SERVE_UPKEEP_EVERY_S", "60")
    assert settings().schedule().upkeep_every_s == 60.0
    assert settings().apps is None
    assert settings(apps=()).apps == ()


def test_serve_refuses_an_unknown_app_or_executor() -> None:
    result = CliRunner().invoke(app, ["serve", "--apps", "maintenance,nosuch"])
    assert result.exit_code == 2
    assert "--apps: unknown app(s) nosuch" in result.output
    result = CliRunner().invoke(app, ["serve", "--executor", "robot"])
    assert result.exit_code == 2
    assert "--executor must be 'none' or 'plant', got 'robot'" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_serve_opens_the_console_on_an_existing_store(tmp_path: Path, example_model) -> None:
    path = tmp_path / "plant.duckdb"
    store = DuckDBStore(path)
    write_history(store, example_model, days=1, equipment=2)
    users = UserService(store=store, passwords=PasswordPolicy(memory_kib=1024))
    ensure_schema(store)
    users.add("ana", role="admin", sites=["*"], password="ana-password", actor="test")
    store.close()
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "andon",
            "serve",
            "--store",
            str(path),
            "--model",
            MODEL,
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        with httpx.Client(base_url=base, follow_redirects=True) as client:
            client.post("/login", data={"username": "ana", "password": "ana-password"})
            page = client.get("/plant")
            assert page.status_code == 200
            assert "acme/brno" in page.text
            assert client.get("/api/v1/health").status_code == 200
            assert client.get("/api/v1/decisions").status_code == 200
    finally:
        process.terminate()
        process.wait(20)
