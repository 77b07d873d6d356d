"""``andon ingest file`` row by row: a bad row does not stop the file, a second import of the
same file changes nothing, and the quarantine says when the import ran."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from andon.cli import app
from andon.store import DuckDBStore

ROOT = Path(__file__).resolve().parents[2]
MODEL = str(ROOT / "examples" / "smt")
PRINTER = "voltec/dresden/smt/s1/print/printer1"

runner = CliRunner()


def test_ingest_file_quarantines_bad_rows_once_and_stores_the_rest(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    rows = ["ts,tag,value"]
    for second in range(0, 50, 5):
        value = "abc" if second in {10, 35} else str(4 + second / 100)
        rows.append(f"2026-01-05 07:{second:02d}:00,squeegee_pressure,{value}")
    rows.append("not a time,squeegee_pressure,4.2")
    rows.append("2026-01-05 08:02:00,no_such_tag,1")
    export.write_text("\n".join(rows) + "\n")
    store = tmp_path / "store.duckdb"
    args = ["ingest", "file", str(export), "--model", MODEL, "--store", str(store)]
    args += ["--tag-prefix", f"{PRINTER}/", "--chunk-rows", "4"]
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "written 8" in first.output
    assert "quarantined 4" in first.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "written 0" in again.output
    assert "quarantined 0" in again.output
    status = runner.invoke(app, ["ingest", "status", "--store", str(store), "--json"])
    report = json.loads(status.output)
    assert report["stored"]["sample"] == 8
    by_reason = {row["reason"]: row["rows"] for row in report["quarantined_by_reason"]}
    assert by_reason == {"wrong_type": 3, "unknown_path": 1}
    with DuckDBStore(store) as opened:
        stamps = opened.quarantined().column("received_at").to_pylist()
    assert all(stamp >= before for stamp in stamps), stamps


def test_ingest_file_with_two_columns_of_one_name_is_one_line_and_exit_2(tmp_path: Path) -> None:
    export = tmp_path / "twice.csv"
    export.write_text("ts,tag,value,value\n2026-01-05 07:00:00,squeegee_pressure,1,2\n")
    args = ["ingest", "file", str(export), "--model", MODEL, "--store", str(tmp_path / "s.duckdb")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "appear more than once" in result.output
