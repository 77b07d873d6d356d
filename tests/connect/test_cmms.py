"""``andon ingest cmms``: work orders as Maximo and SAP PM export them, into maintenance
records through the contracts; hostile rows quarantined one by one with their row number,
the rest stored; a second import stores and quarantines nothing more; on DuckDB and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from andon.cli import app
from andon.connect.cmms import (
    AssetIndex,
    RowProblem,
    WorkOrder,
    WorkOrderFile,
    import_work_orders,
    kind_of,
    parse_parts,
    read_work_orders,
)
from andon.connect.pipeline import Pipeline
from andon.errors import ConnectError
from andon.model import Model, load_model
from andon.records import MaintenanceKind, RecordKind
from andon.store import DuckDBStore, Store
from andon.time import from_datetime

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "examples" / "discrete"
LYON_MILL = "acme/lyon/machining/m1/milling/mill1"
BRNO_MILL = "acme/brno/machining/m1/milling/mill1"
LYON_LATHE = "acme/lyon/machining/m1/turning/lathe1"
LYON_PRESS = "acme/lyon/assembly/a1/pressfit/press1"

# Maximo's work-order application exported to CSV: its own column names, a description
# with a comma and a line break inside quotes, local times of the site.
MAXIMO = (
    "WONUM,DESCRIPTION,SITEID,ASSETNUM,WORKTYPE,STATUS,FAILURECODE,REPORTDATE,ACTSTART,"
    "ACTFINISH,DOWNTIME,PARTS,CREWID\n"
    'WO1001,"Spindle noisy, bearing replaced",LYON,MILL1,EM,CLOSE,spindle_bearing,'
    "2025-11-03 07:12,2025-11-03 08:00,2025-11-03 19:30,12.3,BRG-7014 x2,MECH-A\n"
    "WO1002,Quarterly PM,LYON,acme/lyon/machining/m1/turning/lathe1,PM,CLOSE,,"
    "2025-11-10 06:00,2025-11-10 06:00,2025-11-10 09:00,3,,MECH-B\n"
    'WO1003,"Coolant pump\nseized",BRNO,MILL1,CM,CLOSE,COOLANT_PUMP,'
    "2025-11-12T10:00:00+01:00,,2025-11-12T13:00:00+01:00,3,PMP-CL40,\n"
    "WO1004,Hydraulic check,LYON,P-1,INSP,COMP,,"
    "2025-11-14 22:00,2025-11-14 22:00,2025-11-14 23:00,0,,MECH-A\n"
)


def _model() -> Model:
    return load_model(MODEL)


@pytest.fixture(scope="module")
def model() -> Model:
    return _model()


@pytest.fixture(params=["duckdb", "postgres"])
def any_store(request: pytest.FixtureRequest) -> Store:
    """Each store implementation (the connector tests' own ``store`` is DuckDB only)."""
    chosen: Store = request.getfixturevalue(f"{request.param}_store")
    return chosen


def _spec(path: Path, *, chunk_rows: int = 5_000) -> WorkOrderFile:
    return WorkOrderFile(path=path, assets={"P-1": LYON_PRESS}, chunk_rows=chunk_rows)


def _write(tmp_path: Path, text: str, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_a_maximo_export_reads_as_work_orders(tmp_path: Path, model: Model) -> None:
    rows = list(read_work_orders(_spec(_write(tmp_path, MAXIMO)), model))
    orders = [r for _, _, r in rows]
    assert all(isinstance(o, WorkOrder) for o in orders), orders
    first, pm, pump, inspection = (o for o in orders if isinstance(o, WorkOrder))
    paris = ZoneInfo("Europe/Paris")
    assert first.path == LYON_MILL  # MILL1 is in both sites: SITEID decides
    assert first.kind == "failure"
    assert first.failure_mode == "spindle_bearing"
    assert first.opened_us == from_datetime(dt.datetime(2025, 11, 3, 7, 12, tzinfo=paris))
    assert first.parts == {"BRG-7014": 2}
    assert first.crew == "MECH-A"
    assert pm.path == LYON_LATHE
    assert (pm.kind, pm.failure_mode) == ("preventive", None)
    assert pump.path == BRNO_MILL
    assert pump.failure_mode == "coolant_pump"  # the problem code in another case
    # no actual start: the completion less the downtime
    assert pump.started_us == pump.closed_us - 3 * 3_600_000_000  # type: ignore[operator]
    assert inspection.path == LYON_PRESS  # an alias
    assert inspection.kind == "inspection"


def test_an_sap_export_with_semicolons_and_german_dates_reads_with_a_time_format(
    tmp_path: Path, model: Model
) -> None:
    text = (
        "\ufeffAuftrag;Equipment;Werk;Auftragsart;Schadenscode;Erfasst am;Ist-Start;Ist-Ende;"
        "Stillstand\n"
        "4000123;MILL1;brno;PM01;BRG;05.11.2025 06:30;05.11.2025 07:00;05.11.2025 17:00;10,5\n"
    )
    spec = WorkOrderFile(
        path=_write(tmp_path, text),
        columns={
            "Auftrag": "work_order",
            "Equipment": "asset",
            "Werk": "site",
            "Auftragsart": "kind",
            "Schadenscode": "failure_mode",
            "Erfasst am": "opened",
            "Ist-Start": "started",
            "Ist-Ende": "completed",
            "Stillstand": "downtime",
        },
        kinds={"PM01": MaintenanceKind.FAILURE},
        codes={"BRG": "spindle_bearing"},
        time_format="%d.%m.%Y %H:%M",
    )
    ((_, _, order),) = list(read_work_orders(spec, model))
    assert isinstance(order, WorkOrder), order
    assert order.path == BRNO_MILL
    assert (order.kind, order.failure_mode) == ("failure", "spindle_bearing")
    assert order.downtime_h == pytest.approx(10.5)
    prague = ZoneInfo("Europe/Prague")
    assert order.closed_us == from_datetime(dt.datetime(2025, 11, 5, 17, 0, tzinfo=prague))


HOSTILE = [
    # (row text after the work order number, reason, words of the detail)
    ("LYON,NOPE,EM,,2025-11-03 07:00,,", "unknown_path", "no equipment of the plant model"),
    (",MILL1,EM,,2025-11-03 07:00,,", "unknown_path", "more than one equipment"),
    ("LYON,MILL1,XX,,2025-11-03 07:00,,", "bad_enum", "work order type 'XX'"),
    ("LYON,MILL1,EM,bad_mode,2025-11-03 07:00,,", "unknown_path", "not a failure mode"),
    ("LYON,MILL1,EM,,not a time,,", "wrong_type", "is not a time"),
    ("LYON,MILL1,EM,,2025-11-03 09:00,2025-11-03 08:00,", "out_of_range", "is before"),
    ("LYON,MILL1,EM,,2999-01-01 00:00,,", "future", "in the future"),
    ("LYON,MILL1,EM,,,,", "wrong_type", "no opened, started or completed time"),
    ("LYON,MILL1,EM,,2025-11-03 07:00,,NOPE-PART", "unknown_path", "not a spare part"),
    ("LYON,MILL1,EM,,2025-11-03 07:00,,BRG-7014:0", "wrong_type", "not a whole number"),
    ("MARS,MILL1,EM,,2025-11-03 07:00,,", "unknown_path", "site 'MARS'"),
    ("LYON,MILL1,EM,,2025-11-03 07:00,,,extra", "wrong_type", "fields where the header"),
    ("LYON,MILL1", "wrong_type", "fields where the header"),
    ("LYON,MILL1,EM,,10000-01-01 00:00,,", "wrong_type", "is not a time"),
]
HEADER = "wonum,siteid,assetnum,worktype,failurecode,reportdate,actfinish,parts\n"


def _hostile_file(tmp_path: Path) -> Path:
    lines = [HEADER, "GOOD1,LYON,MILL1,EM,spindle_bearing,2025-11-03 07:00,2025-11-03 12:00,\n"]
    lines.extend(f"BAD{i},{text}\n" for i, (text, _, _) in enumerate(HOSTILE))
    lines.append(",LYON,MILL1,EM,,2025-11-03 07:00,,\n")  # no work order number
    lines.append("GOOD2,LYON,MILL1,PM,,2025-11-04 07:00,2025-11-04 09:00,\n")
    data = "".join(lines).encode("utf-8")
    data += b"BADBYTES,LYON,MILL\xff1,EM,,2025-11-03 07:00,,\n"
    data += b"NUL\x00,LYON,MILL1,EM,,2025-11-03 07:00,,\n"
    path = tmp_path / "hostile.csv"
    path.write_bytes(data)
    return path


def test_each_hostile_row_is_one_problem_with_its_row_number(tmp_path: Path, model: Model) -> None:
    rows = list(read_work_orders(_spec(_hostile_file(tmp_path)), model))
    good = [r for _, _, r in rows if isinstance(r, WorkOrder)]
    assert [o.work_order for o in good] == ["GOOD1", "GOOD2"]
    problems = {r.row: r for _, _, r in rows if isinstance(r, RowProblem)}
    for i, (_, reason, words) in enumerate(HOSTILE):
        problem = problems[i + 2]  # row 1 is GOOD1
        assert problem.reason == reason, (i, problem)
        assert words in problem.detail, (i, problem)
        assert problem.line == i + 3  # the header is line 1
    tail = sorted(problems)[-3:]
    assert [problems[r].reason for r in tail] == ["wrong_type"] * 3
    assert "not UTF-8" in problems[tail[1]].detail
    assert "control characters" in problems[tail[2]].detail


def test_a_file_is_refused_whole_only_when_it_is_no_table_of_work_orders(
    tmp_path: Path, model: Model
) -> None:
    cases = {
        "missing.csv": (None, "no such file"),
        "empty.csv": ("", "no header"),
        "twice.csv": ("wonum,wonum,assetnum,worktype,reportdate\n", "more than once"),
        "no_asset.csv": ("wonum,worktype,reportdate\n", "no column for asset"),
        "no_time.csv": ("wonum,assetnum,worktype\n", "opened, started or completed"),
    }
    for name, (text, words) in cases.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        with pytest.raises(ConnectError, match=words) as raised:
            list(read_work_orders(WorkOrderFile(path=path), model))
        assert raised.value.code == "connect.cmms"
    mapped = _write(tmp_path, "wonum,assetnum,worktype,reportdate\n")
    with pytest.raises(ConnectError, match="not a field"):
        list(read_work_orders(WorkOrderFile(path=mapped, columns={"wonum": "number"}), model))
    with pytest.raises(ConnectError, match="has no column"):
        list(read_work_orders(WorkOrderFile(path=mapped, columns={"x": "crew"}), model))
    with pytest.raises(ConnectError, match="no equipment of the model"):
        AssetIndex(model, {"P-9": "acme/nowhere"})


def test_words_parts_and_assets_read_as_documented(model: Model) -> None:
    assert [kind_of(w) for w in ("Breakdown", "CM", "PPM", "insp", "what")] == [
        "failure",
        "corrective",
        "preventive",
        "inspection",
        None,
    ]
    assert parse_parts('{"BRG-7014": 2}') == {"BRG-7014": 2}
    assert parse_parts("2x BRG-7014 | SEAL-KIT-P (3), BRG-7014=1") == {
        "BRG-7014": 3,
        "SEAL-KIT-P": 3,
    }
    with pytest.raises(ValueError, match="quantity"):
        parse_parts('{"BRG-7014": -1}')
    assets = AssetIndex(model)
    assert assets.resolve("/ACME/LYON/machining/m1/milling/mill1") == LYON_MILL
    assert assets.resolve("lyon/machining/m1/milling/mill1") == LYON_MILL
    assert assets.resolve(f"{LYON_MILL}/spindle_temperature") == LYON_MILL
    assert assets.resolve("mill1") == (BRNO_MILL, LYON_MILL)


def test_import_stores_good_rows_quarantines_bad_ones_once(
    tmp_path: Path, model: Model, any_store: Store
) -> None:
    spec = _spec(_hostile_file(tmp_path), chunk_rows=4)
    first = import_work_orders(spec, pipeline=Pipeline(store=any_store, model=model))
    assert first.work_orders == 2
    assert first.written == 4  # GOOD1 opened and closed, GOOD2 opened and closed
    assert sum(first.quarantined.values()) == len(HOSTILE) + 3
    table = any_store.records(RecordKind.MAINTENANCE)
    assert sorted(set(table.column("work_order").to_pylist())) == ["GOOD1", "GOOD2"]
    assert set(table.column("source").to_pylist()) == {"cmms"}
    quarantined = any_store.quarantined()
    details = quarantined.column("detail").to_pylist()
    assert any(d.startswith("hostile.csv row 3 (line 4): ") for d in details), details
    records = [json.loads(r) for r in quarantined.column("record").to_pylist()]
    assert {r["row"] for r in records} >= {2, 3, 4}
    again = import_work_orders(spec, pipeline=Pipeline(store=any_store, model=model))
    assert (again.rows, again.written, again.quarantined) == (0, 0, {})
    assert again.seen_rows == first.rows
    assert any_store.quarantined().num_rows == quarantined.num_rows
    assert any_store.records(RecordKind.MAINTENANCE).num_rows == table.num_rows


def test_a_later_export_repeating_rows_adds_only_what_is_new(
    tmp_path: Path, model: Model, any_store: Store
) -> None:
    pipeline = Pipeline(store=any_store, model=model)
    import_work_orders(_spec(_write(tmp_path, MAXIMO, "november.csv")), pipeline=pipeline)
    before = any_store.records(RecordKind.MAINTENANCE).num_rows
    # December's export repeats November's orders, one of them with a crew since edited
    december = MAXIMO.replace("MECH-B", "MECH-C") + (
        "WO1005,Blade,LYON,SAW1,EM,CLOSE,blade_wear,2025-12-01 07:00,,2025-12-01 08:00,,,\n"
    )
    later = import_work_orders(_spec(_write(tmp_path, december, "dec.csv")), pipeline=pipeline)
    assert later.seen_rows == 3
    assert later.rows == 2
    assert later.duplicates == 3  # the edited row's records were stored already
    assert later.written == 2
    assert any_store.records(RecordKind.MAINTENANCE).num_rows == before + 2


def test_the_command_imports_prints_one_line_and_exits_2_on_a_mistake(tmp_path: Path) -> None:
    runner = CliRunner()
    export = _write(tmp_path, MAXIMO)
    store = tmp_path / "store.duckdb"
    args = ["ingest", "cmms", str(export), "--model", str(MODEL), "--store", str(store)]
    args += ["--asset", f"P-1={LYON_PRESS}"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "work orders 4" in " ".join(first.output.split())
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "4 row(s) imported before" in " ".join(again.output.split())
    with DuckDBStore(store) as opened:
        closed = opened.records(RecordKind.MAINTENANCE)
        closed = closed.filter(pc.equal(closed.column("event"), "closed"))
        assert closed.num_rows == 4
    for extra, words in (
        (["--map", "nothing"], "write LEFT=RIGHT"),
        (["--map", "WONUM=number"], "is not a field"),
        (["--kind", "EM=broken"], "use failure, corrective"),
        (["--timezone", "Mars/Olympus"], "not an IANA zone"),
        (["--downtime-unit", "weeks"], "downtime unit"),
        (["--asset", "X=acme/none"], "no equipment of the model"),
    ):
        result = runner.invoke(app, [*args, *extra])
        assert result.exit_code == 2, (extra, result.output)
        assert words in " ".join(result.output.split()), (extra, result.output)
        assert "Traceback" not in result.output
