"""``andon kpi``: every view and format, and one helpful line on a mistake."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from andon import records
from andon.cli import app
from andon.records import RecordKind
from andon.store import DuckDBStore

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "discrete"
PRESS = "acme/lyon/assembly/a1/pressfit/press1"


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    """A DuckDB file with one Monday of a press in Lyon (06:00-14:00 local = 05:00 UTC)."""
    path = tmp_path / "plant.duckdb"
    store = DuckDBStore(path)
    store.write(
        RecordKind.STATE,
        records.states(
            ts=[1772427600_000000, 1772434800_000000, 1772438400_000000],  # 05:00, 07:00, 08:00
            path=PRESS,
            state=["running", "unplanned_down", "running"],
        ),
    )
    store.write(
        RecordKind.COUNT,
        records.counts(ts=[1772434800_000000], path=PRESS, product="GB-400", good=[80]),
    )
    store.close()
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["kpi", str(EXAMPLE), *args])
    return result.exit_code, result.output


def test_line_kpis_as_csv(store_file: Path) -> None:
    code, out = _run(
        "--store",
        str(store_file),
        "--grain",
        "line",
        "--period",
        "day",
        "--start",
        "2026-03-02",
        "--end",
        "2026-03-03",
        "--format",
        "csv",
    )
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(out)))
    a1 = [r for r in rows if r["path"] == "acme/lyon/assembly/a1" and r["period"] == "2026-03-02"]
    assert len(a1) == 1
    # Lyon 06:00-14:00 local with a 30 min break: PBT of the press = 7.5 h of 8 h.
    assert float(a1[0]["adot_s"]) == 3600
    assert float(a1[0]["pq"]) == 80
    assert 0 < float(a1[0]["oee"]) < 1


@pytest.mark.parametrize("view", ["kpis", "losses", "compare", "quality", "elements"])
def test_every_view_in_json_and_table(store_file: Path, view: str) -> None:
    base = ["--store", str(store_file), "--start", "2026-03-02", "--end", "2026-03-03"]
    code, out = _run(*base, "--view", view, "--format", "json", "--grain", "site")
    assert code == 0, out
    payload = json.loads(out)
    assert isinstance(payload, list)
    assert payload
    code, out = _run(*base, "--view", view, "--grain", "site")
    assert code == 0
    assert "andon kpi" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--store", "missing.duckdb"], "no store at"),
        (["--start", "last tuesday"], "not an ISO date"),
        (["--minor-stop-s", "-1"], "must not be negative"),
    ],
)
def test_mistakes_print_one_line_and_exit_2(
    store_file: Path, args: list[str], expected: str
) -> None:
    if "--store" not in args:
        args = ["--store", str(store_file), *args]
    code, out = _run(*args)
    assert code == 2
    assert expected in out
    assert "Traceback" not in out


def test_unknown_grain_is_a_usage_error(store_file: Path) -> None:
    code, out = _run("--store", str(store_file), "--grain", "galaxy")
    assert code == 2
    assert "galaxy" in out


def test_the_end_defaults_to_the_newest_record_not_now(store_file: Path) -> None:
    # One Monday in March: before, the range ran to today and printed every empty week since.
    code, out = _run(
        "--store", str(store_file), "--grain", "line", "--period", "week", "--format", "json"
    )
    assert code == 0, out
    rows = json.loads(out)
    assert {r["period"] for r in rows} == {"2026-W10"}
    code, out = _run(
        "--store",
        str(store_file),
        "--start",
        "2026-03-02",
        "--grain",
        "line",
        "--format",
        "json",
    )
    assert code == 0, out
    assert {r["period"] for r in json.loads(out)} == {"2026-03-02"}
