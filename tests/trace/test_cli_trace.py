"""``andon trace``: backward, forward and recall on a store file, as a table and as JSON;
user mistakes are one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from andon.cli import app
from andon.records import RecordKind, genealogy, orders, units
from andon.store import DuckDBStore

runner = CliRunner()
LINE = "acme/lyon/assembly/a1"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "plant.duckdb"
    store = DuckDBStore(path)
    store.write(
        RecordKind.GENEALOGY,
        genealogy(ts=[0, 0, 0], parent=["SUP-1", "SUP-1", "HS-1"], child=["HS-1", "HS-2", "GB-1"]),
    )
    store.write(
        RecordKind.UNIT,
        units(
            ts=[10, 20],
            serial=["HS-1", "GB-1"],
            path=[f"{LINE}/pressing/press1", f"{LINE}/testing/bench1"],
            product=["HSG", "GB"],
            parameter="force_kn",
            value=[1.0, 2.0],
        ),
    )
    store.write(
        RecordKind.ORDER,
        orders(
            ts=[0, 30],
            order_id="O-1",
            product="GB",
            quantity=1,
            event=["started", "completed"],
            path=LINE,
        ),
    )
    store.close()
    return str(path)


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["trace", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_backward_prints_units_stations_and_parameters(db: str) -> None:
    code, out = _run("GB-1", "--store", db)
    assert code == 0, out
    assert "what went into GB-1" in out
    assert "SUP-1" in out
    assert "force_kn" in out
    assert "O-1" in out


def test_forward_json_lists_every_unit_reached(db: str) -> None:
    code, out = _run("SUP-1", "--forward", "--json", "--store", db)
    assert code == 0, out
    body = json.loads(out)
    assert body["direction"] == "forward"
    assert [u["serial"] for u in body["units"]] == ["GB-1", "HS-1"]
    assert "HS-2" in body["lots"]  # a serial without unit records


def test_recall_json_splits_completed_units(db: str) -> None:
    code, out = _run("SUP-1", "--recall", "--supplier", "Stahl", "--json", "--store", db)
    assert code == 0, out
    body = json.loads(out)
    assert body["supplier"] == "Stahl"
    assert [u["serial"] for u in body["completed"]] == ["GB-1"]
    assert [u["serial"] for u in body["in_progress"]] == ["HS-1"]
    assert body["orders"] == ["O-1"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("GB-404",), "trace.unknown"),
        (("GB-1", "--supplier", "S"), "add --recall"),
        (("",), "trace.invalid"),
    ],
)
def test_a_mistake_is_one_line_and_exit_2(db: str, args: tuple[str, ...], says: str) -> None:
    code, out = _run(*args, "--store", db)
    assert code == 2
    assert says in out
    assert "Traceback" not in out
    assert len(out.strip().splitlines()) == 1


def test_a_missing_store_file_is_refused(tmp_path: Path) -> None:
    code, out = _run("GB-1", "--store", str(tmp_path / "none.duckdb"))
    assert code == 2
    assert "no store at" in out
    assert not (tmp_path / "none.duckdb").exists()
