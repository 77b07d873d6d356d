"""Historian files row by row: a bad row is quarantined with its reason, the rest stored;
a file read as a whole only when it cannot be a table; a second import changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from andon.connect.files import HistorianFile, import_historian, read_historian
from andon.connect.pipeline import Pipeline
from andon.errors import AndonError, ConnectError
from andon.model import Model, load_model
from andon.records import RecordKind
from andon.store import Store

ROOT = Path(__file__).resolve().parents[2]
PRINTER = "voltec/dresden/smt/s1/print/printer1"  # a plant unlike examples/discrete


@pytest.fixture(scope="module")
def smt() -> Model:
    return load_model(ROOT / "examples" / "smt")


def _read(spec: HistorianFile) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    good: list[dict[str, object]] = []
    bad: list[dict[str, object]] = []
    for batch in read_historian(spec):
        good.extend(batch.tables[RecordKind.SAMPLE].to_pylist())
        bad.extend(batch.quarantine.to_pylist())
    return good, bad


def test_one_bad_value_or_time_quarantines_its_row_and_the_rest_is_stored(
    tmp_path: Path, store: Store, smt: Model
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "ts,tag,value\n"
        f"2026-01-05T07:00:00Z,{PRINTER}/squeegee_pressure,4.5\n"
        f"2026-01-05T07:00:10Z,{PRINTER}/squeegee_pressure,abc\n"
        f"yesterday,{PRINTER}/squeegee_pressure,4.6\n"
        f"2026-01-05T07:00:30Z,{PRINTER}/squeegee_pressure,4.7\n"
        f"2026-13-05T07:00:40Z,{PRINTER}/squeegee_pressure,4.8\n"
    )
    good, bad = _read(HistorianFile(path=path))
    assert [row["value"] for row in good] == [4.5, 4.7]
    assert [row["seq"] for row in good] == [0, 3]
    assert [row["reason"] for row in bad] == ["wrong_type"] * 3
    bad.sort(key=lambda row: json.loads(str(row["record"]))["row"])
    details = [str(row["detail"]) for row in bad]
    assert "row 1" in details[0]
    assert "'abc' is not a number" in details[0]
    assert "'yesterday' is not a time" in details[1]
    assert "'2026-13-05T07:00:40Z' is not a time" in details[2]
    assert json.loads(str(bad[0]["record"]))["value"] == "abc"  # the row is kept as text
    assert bad[0]["path"] == f"{PRINTER}/squeegee_pressure"
    result = import_historian(HistorianFile(path=path), pipeline=Pipeline(store=store, model=smt))
    assert (result.written, sum(result.quarantined.values())) == (2, 3)
    assert store.count_rows(RecordKind.SAMPLE) == 2


def test_quarantine_rows_of_an_import_are_stamped_with_the_import_time(
    tmp_path: Path, store: Store, smt: Model
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        f"ts,tag,value\n2026-01-05T07:00:00Z,{PRINTER}/squeegee_pressure,abc\n"
        f"2026-01-05T07:00:10Z,{PRINTER}/no_such_tag,1\n"
    )
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    import_historian(HistorianFile(path=path), pipeline=Pipeline(store=store, model=smt))
    after = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    rows = store.quarantined().to_pylist()
    assert sorted(r["reason"] for r in rows) == ["unknown_path", "wrong_type"]
    for row in rows:
        assert before <= row["received_at"] <= after, row["received_at"]


def test_importing_the_same_file_again_stores_and_quarantines_nothing_more(
    tmp_path: Path, store: Store, smt: Model
) -> None:
    path = tmp_path / "export.csv"
    lines = ["ts,tag,value"]
    for minute in range(30):
        value = "n/a" if minute % 6 == 0 else str(4 + minute / 10)
        lines.append(f"2026-01-05T07:{minute:02d}:00Z,{PRINTER}/squeegee_pressure,{value}")
    lines.append(f"2026-01-05T08:00:00Z,{PRINTER}/squeegee_pressure,99")  # out of range
    path.write_text("\n".join(lines) + "\n")
    pipeline = Pipeline(store=store, model=smt)
    first = import_historian(HistorianFile(path=path, chunk_rows=7), pipeline=pipeline)
    assert first.written == 25
    assert first.quarantined == {"wrong_type": 5, "out_of_range": 1}
    second = import_historian(HistorianFile(path=path, chunk_rows=7), pipeline=pipeline)
    assert (second.written, second.quarantined, second.skipped_rows) == (0, {}, 31)
    third = import_historian(HistorianFile(path=path, chunk_rows=4), pipeline=pipeline)
    assert (third.written, third.quarantined) == (0, {})  # other chunks, same rows
    assert store.count_rows(RecordKind.SAMPLE) == 25
    assert store.quarantined().num_rows == 6
    # a file with the same name and other content is another import
    path.write_text("\n".join([*lines, f"2026-01-05T09:00:00Z,{PRINTER}/squeegee_pressure,x"]))
    fourth = import_historian(HistorianFile(path=path, chunk_rows=7), pipeline=pipeline)
    assert fourth.written == 0
    assert fourth.duplicates == 25
    assert fourth.quarantined == {"wrong_type": 6, "out_of_range": 1}


def test_an_import_stopped_half_way_goes_on_where_it_stopped(
    tmp_path: Path, store: Store, smt: Model
) -> None:
    path = tmp_path / "export.csv"
    rows = [f"2026-01-05T07:{m:02d}:00Z,{PRINTER}/squeegee_pressure,bad{m}" for m in range(20)]
    path.write_text("ts,tag,value\n" + "\n".join(rows) + "\n")
    pipeline = Pipeline(store=store, model=smt)

    class StopError(Exception):
        pass

    def stop_after_two(_: int, seen: list[int] = []) -> None:  # noqa: B006 - a counter
        seen.append(1)
        if len(seen) == 2:
            raise StopError

    with pytest.raises(StopError):
        import_historian(
            HistorianFile(path=path, chunk_rows=5), pipeline=pipeline, on_chunk=stop_after_two
        )
    assert store.quarantined().num_rows == 10
    rest = import_historian(HistorianFile(path=path, chunk_rows=5), pipeline=pipeline)
    assert rest.skipped_rows == 10
    assert store.quarantined().num_rows == 20


def test_duplicate_column_names_are_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text("ts,tag,value,value\n2026-01-05T07:00:00Z,a,1,2\n")
    with pytest.raises(ConnectError, match="'value' appear more than once"):
        _read(HistorianFile(path=path))
    wide = tmp_path / "wide.csv"
    wide.write_text("ts,a,b,a\n2026-01-05T07:00:00Z,1,2,3\n")
    with pytest.raises(ConnectError, match="'a' appear more than once"):
        _read(HistorianFile(path=wide, layout="wide"))
    table = pa.Table.from_arrays(
        [pa.array([1_767_000_000_000]), pa.array(["a"]), pa.array([1.0]), pa.array([2.0])],
        names=["ts", "tag", "value", "value"],
    )
    parquet = tmp_path / "twice.parquet"
    pq.write_table(table, parquet)
    with pytest.raises(ConnectError, match="appear more than once"):
        _read(HistorianFile(path=parquet))


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_numeric_times_beyond_the_calendar_are_quarantined_not_a_crash(
    tmp_path: Path, unit: str
) -> None:
    path = tmp_path / "times.parquet"
    pq.write_table(
        pa.table(
            {
                "ts": pa.array([1_767_000_000, 9_223_372_036_854_775_807, -(2**62)], pa.int64()),
                "tag": [f"{PRINTER}/squeegee_pressure"] * 3,
                "value": [1.0, 2.0, 3.0],
            }
        ),
        path,
    )
    good, bad = _read(HistorianFile(path=path, ts_unit=unit))
    assert len(good) + len(bad) == 3
    assert len(good) >= 1
    assert {row["reason"] for row in bad} <= {"out_of_range"}
    assert all("outside the years 1 to 9999" in str(row["detail"]) for row in bad)
    csv = tmp_path / "times.csv"
    csv.write_text(
        f"ts,tag,value\n1e300,{PRINTER}/squeegee_pressure,1\n"
        f"99999999999999999999999,{PRINTER}/squeegee_pressure,2\n"
        f"1767000000000,{PRINTER}/squeegee_pressure,3\n"
    )
    good, bad = _read(HistorianFile(path=csv, ts_unit=unit))
    assert len(good) + len(bad) == 3
    assert [row["reason"] for row in bad][:2] == ["out_of_range"] * 2


def test_a_parquet_value_column_of_text_is_read_row_by_row(tmp_path: Path) -> None:
    path = tmp_path / "text.parquet"
    pq.write_table(
        pa.table(
            {
                "ts": pa.array([1_767_000_000_000 + i for i in range(3)], pa.int64()),
                "tag": [f"{PRINTER}/squeegee_pressure"] * 3,
                "value": ["4.5", "abc", "1e1"],
            }
        ),
        path,
    )
    good, bad = _read(HistorianFile(path=path))
    assert [row["value"] for row in good] == [4.5, 10.0]
    assert [row["reason"] for row in bad] == ["wrong_type"]
    assert "'abc' is not a number" in str(bad[0]["detail"])


def test_a_parquet_string_cell_that_is_not_utf8_quarantines_its_row(tmp_path: Path) -> None:
    # Parquet does not check that a string column holds UTF-8 as it is read: a file that
    # says "string" over other bytes must not reach the contract check (found by fuzzing).
    path = tmp_path / "not-utf8.parquet"
    raw = pa.array([f"{PRINTER}/squeegee_pressure".encode(), b"\xb6\xff", PRINTER.encode()])
    tags = raw.view(pa.string())  # what such a file gives: no check of the bytes
    pq.write_table(
        pa.table(
            {
                "ts": pa.array([1_767_000_000_000 + i for i in range(3)], pa.int64()),
                "tag": tags,
                "value": [1.0, 2.0, 3.0],
            }
        ),
        path,
    )
    good, bad = _read(HistorianFile(path=path))
    assert [row["value"] for row in good] == [1.0, 3.0]
    assert [row["reason"] for row in bad] == ["wrong_type"]
    assert "row 1: the tag is not UTF-8 text" in str(bad[0]["detail"])


def test_a_parquet_value_column_of_lists_quarantines_every_row(tmp_path: Path) -> None:
    path = tmp_path / "lists.parquet"
    pq.write_table(
        pa.table(
            {
                "ts": pa.array([1_767_000_000_000, 1_767_000_000_001], pa.int64()),
                "tag": [f"{PRINTER}/squeegee_pressure"] * 2,
                "value": [[1.0, 2.0], [3.0]],
            }
        ),
        path,
    )
    good, bad = _read(HistorianFile(path=path))
    assert good == []
    assert len(bad) == 2
    assert "list" in str(bad[0]["detail"])
    assert json.loads(str(bad[1]["record"]))["value"] == [3.0]


def test_lines_with_too_many_fields_and_cells_not_utf8_are_rows_not_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ragged.csv"
    path.write_bytes(
        b"ts,tag,value\n"
        + f"2026-01-05T07:00:00Z,{PRINTER}/squeegee_pressure,1\n".encode()
        + f"2026-01-05T07:00:01Z,{PRINTER}/squeegee_pressure,2,3\n".encode()
        + b"2026-01-05T07:00:02Z,\xff\xfe,3\n"
        + f"2026-01-05T07:00:03Z,{PRINTER}/squeegee_pressure,4\n".encode()
    )
    good, bad = _read(HistorianFile(path=path))
    assert [row["value"] for row in good] == [1.0, 4.0]
    assert len(bad) == 2
    assert any("expected 3 fields, found 4" in str(row["detail"]) for row in bad)
    assert any("not UTF-8" in str(row["detail"]) for row in bad)


def test_a_header_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_bytes(b"ts,t\xffg,value\n1,a,2\n")
    with pytest.raises(AndonError):
        _read(HistorianFile(path=path, layout="wide"))


def test_wide_cells_are_quarantined_one_by_one(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(
        "ts,squeegee_pressure,stencil_temperature\n"
        "2026-01-05T07:00:00Z,4.5,21\n"
        "2026-01-05T07:00:10Z,oops,22\n"
        "never,4.7,23\n"
    )
    good, bad = _read(HistorianFile(path=path, layout="wide", tag_prefix=f"{PRINTER}/"))
    assert sorted((str(r["path"]).rsplit("/", 1)[1], r["value"]) for r in good) == [
        ("squeegee_pressure", 4.5),
        ("stencil_temperature", 21.0),
        ("stencil_temperature", 22.0),
    ]
    assert len(bad) == 2  # one cell, and one row for its time (not one per column)
    assert bad[0]["path"] == f"{PRINTER}/squeegee_pressure" or bad[1]["path"] == (
        f"{PRINTER}/squeegee_pressure"
    )


def test_received_at_is_now_when_read_without_one(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(f"ts,tag,value\n2026-01-05T07:00:00Z,{PRINTER}/squeegee_pressure,x\n")
    (batch,) = list(read_historian(HistorianFile(path=path)))
    assert abs(batch.received_at_us - time.time_ns() // 1000) < 60_000_000
    assert batch.quarantine.column("received_at")[0].value == batch.received_at_us
