"""Historian files: CSV and Parquet, long and wide, time zones, streamed with flat memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from andon.connect.files import HistorianFile, read_historian
from andon.connect.pipeline import Pipeline
from andon.errors import ConnectError
from andon.model import Model
from andon.records import RecordKind
from andon.store import Store

EQ = "acme/lyon/machining/m1/milling/mill1"


def _rows(spec: HistorianFile) -> list[dict[str, object]]:
    return [
        row for batch in read_historian(spec) for row in batch.tables[RecordKind.SAMPLE].to_pylist()
    ]


def test_long_csv_in_local_time_becomes_utc(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(
        "ts,tag,value,quality\n"
        "2026-07-01 08:00:00,spindle_temperature,41.5,good\n"
        "2026-07-01T08:00:01+00:00,spindle_temperature,41.6,\n"
        "2026-01-15 08:00:00,spindle_vibration,2.5,uncertain\n"
    )
    rows = _rows(HistorianFile(path=path, timezone="Europe/Paris", tag_prefix=f"{EQ}/"))
    assert [r["ts"].isoformat() for r in rows] == [  # type: ignore[attr-defined]
        "2026-07-01T06:00:00+00:00",  # summer: UTC+2
        "2026-07-01T08:00:01+00:00",  # an explicit offset wins
        "2026-01-15T07:00:00+00:00",  # winter: UTC+1
    ]
    assert [r["path"] for r in rows] == [f"{EQ}/spindle_temperature"] * 2 + [
        f"{EQ}/spindle_vibration"
    ]
    assert [r["quality"] for r in rows] == ["good", "good", "uncertain"]
    assert [r["seq"] for r in rows] == [0, 1, 2]


def test_wide_parquet_unpivots_and_skips_empty_cells(tmp_path: Path) -> None:
    path = tmp_path / "wide.parquet"
    table = pa.table(
        {
            "ts": pa.array([1_767_000_000_000, 1_767_000_060_000], type=pa.int64()),
            f"{EQ}/spindle_temperature": [40.0, None],
            f"{EQ}/spindle_vibration": [2.0, 2.1],
        }
    )
    pq.write_table(table, path)
    rows = _rows(HistorianFile(path=path, layout="wide"))
    assert sorted((r["path"], r["value"]) for r in rows) == [
        (f"{EQ}/spindle_temperature", 40.0),
        (f"{EQ}/spindle_vibration", 2.0),
        (f"{EQ}/spindle_vibration", 2.1),
    ]


def test_import_twice_stores_once(tmp_path: Path, store: Store, example_model: Model) -> None:
    path = tmp_path / "long.csv"
    lines = ["ts,tag,value"] + [
        f"2026-01-05T06:{m:02d}:00Z,{EQ}/spindle_temperature,{40 + m / 10}" for m in range(60)
    ]
    path.write_text("\n".join(lines) + "\n")
    pipeline = Pipeline(store=store, model=example_model)
    for _ in range(2):
        for batch in read_historian(HistorianFile(path=path, chunk_rows=7)):
            pipeline.write(batch)
    assert store.count_rows(RecordKind.SAMPLE) == 60


def test_large_csv_streams_with_flat_memory(tmp_path: Path) -> None:
    """Memory reaches a plateau of a few blocks early and stays there, whatever the size."""
    path = tmp_path / "large.csv"
    n = 800_000
    rng = np.random.default_rng(1)
    table = pa.table(
        {
            "ts": pa.array(np.arange(n, dtype=np.int64) * 1000 + 1_767_000_000_000),
            "tag": pa.array(
                np.where(
                    rng.random(n) < 0.5, f"{EQ}/spindle_temperature", f"{EQ}/spindle_vibration"
                )
            ),
            "value": rng.normal(40, 2, n),
        }
    )
    pcsv.write_csv(table, path)
    del table
    size = path.stat().st_size
    assert size > 60_000_000
    first_half = second_half = rows = 0
    for batch in read_historian(HistorianFile(path=path, chunk_rows=50_000)):
        rows += batch.tables[RecordKind.SAMPLE].num_rows
        if rows <= n // 2:
            first_half = max(first_half, pa.total_allocated_bytes())
        else:
            second_half = max(second_half, pa.total_allocated_bytes())
        del batch
    assert rows == n
    assert second_half < size * 0.6
    assert second_half <= first_half * 1.25, (first_half, second_half)


def test_bad_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConnectError, match="no such file"):
        list(read_historian(HistorianFile(path=tmp_path / "missing.csv")))
    (tmp_path / "x.xlsx").write_text("x")
    with pytest.raises(ConnectError, match="CSV or Parquet"):
        list(read_historian(HistorianFile(path=tmp_path / "x.xlsx")))
    (tmp_path / "bad.csv").write_text("time,tag,value\n1,a,2\n")
    with pytest.raises(ConnectError, match="no column 'ts'"):
        list(read_historian(HistorianFile(path=tmp_path / "bad.csv")))
