"""``andon change impact``: a table and JSON for a good request; every user mistake is one
line on stderr and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from andon.cli import app
from andon.decisions import DecisionService
from andon.decisions.repository import DecisionFilter
from andon.records import RecordKind, orders
from andon.store import DuckDBStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SMT = str(EXAMPLES / "smt")
OVEN = "voltec/dresden/smt/s2/reflow/oven1"
runner = CliRunner()


@pytest.fixture
def request_file(tmp_path: Path) -> Path:
    path = tmp_path / "eco.yaml"
    path.write_text(
        f"kind: firmware\ntitle: Oven controller 4.2\nstation: {OVEN}\nversion: '4.2'\n",
        encoding="utf-8",
    )
    return path


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def test_json_lists_what_the_change_touches(request_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "plant.duckdb"
    store = DuckDBStore(db)
    store.write(
        RecordKind.ORDER,
        orders(ts=[0], order_id=["O-9"], product=["PCB-PWR"], quantity=[12], event=["released"]),
    )
    store.close()
    result = runner.invoke(
        app, ["change", "impact", str(request_file), "--model", SMT, "--store", str(db), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["lines"] == ["voltec/dresden/smt/s2"]
    assert data["open_orders"] == ["O-9"]
    assert data["cost"] == pytest.approx(700.0)


def test_table_names_the_checks(request_file: Path) -> None:
    result = runner.invoke(app, ["change", "impact", str(request_file), "-m", SMT])
    assert result.exit_code == 0, result.output
    assert "peak_temperature" in result.stdout
    assert "Oven controller 4.2" in result.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["change", "impact", "missing.yaml", "-m", SMT], "no change request at missing.yaml"),
        (["change", "impact", "REQ", "-m", "nowhere"], "no plant model at nowhere"),
        (
            ["change", "impact", "REQ", "-m", SMT, "--store", "none.duckdb"],
            "no store at none.duckdb",
        ),
    ],
)
def test_a_missing_file_is_one_line(request_file: Path, args: list[str], says: str) -> None:
    args = [str(request_file) if a == "REQ" else a for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    lines = _error_lines(result.stderr)
    assert len(lines) == 1
    assert says in lines[0]


def test_an_unknown_station_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "eco.yaml"
    path.write_text("kind: firmware\nstation: voltec/nope\nversion: '1'\n", encoding="utf-8")
    result = runner.invoke(app, ["change", "impact", str(path), "-m", SMT])
    assert result.exit_code == 2
    (line,) = _error_lines(result.stderr)
    assert "unknown station 'voltec/nope'" in line
    assert "[change.unknown_station]" in line
    assert "Traceback" not in result.output


def test_submit_records_a_decision_per_site(request_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "plant.duckdb"
    DuckDBStore(db).close()
    result = runner.invoke(
        app, ["change", "submit", str(request_file), "-m", SMT, "--store", str(db)]
    )
    assert result.exit_code == 0, result.output
    assert "voltec/dresden/smt/s2" in result.stdout
    store = DuckDBStore(db)
    try:
        records = DecisionService(store=store).list(DecisionFilter(app="change"))
        assert [r.action.kind for r in records] == ["release_engineering_change"]
    finally:
        store.close()


def test_submit_without_a_store_is_one_line(request_file: Path) -> None:
    result = runner.invoke(
        app, ["change", "submit", str(request_file), "-m", SMT, "--store", "gone.duckdb"]
    )
    assert result.exit_code == 2
    (line,) = _error_lines(result.stderr)
    assert "no store at gone.duckdb" in line
