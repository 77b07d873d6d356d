"""Fuzz the historian file reader on CSV bytes: every input is stored, quarantined with a
reason, or refused with an AndonError; never a foreign exception, never a row lost."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from andon.connect.files import HistorianFile, read_historian
from andon.connect.pipeline import Pipeline
from andon.errors import AndonError
from andon.model import Model
from andon.records import RecordKind
from andon.store import DuckDBStore

EQ = "acme/lyon/machining/m1/milling/mill1"
SMALL = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)

cells = st.one_of(
    st.sampled_from(
        [
            "",
            "abc",
            "1.5",
            "nan",
            "-inf",
            "1e400",
            "NA",
            "2026-01-05T07:00:00Z",
            "2026-01-05 07:00:00",
            "2026-13-40T99:00:00",
            "1767600000000",
            "99999999999999999999999999",
            "-1e30",
            f"{EQ}/spindle_temperature",
            "good",
            "bad",
            '"',
        ]
    ),
    st.text(max_size=12),
)
headers = st.sampled_from(
    [
        ["ts", "tag", "value"],
        ["ts", "tag", "value", "quality"],
        ["ts", "tag", "value", "value"],
        ["ts", "value"],
        ["tag", "value"],
    ]
)


def _read_all(path: Path, layout: str) -> tuple[int, int]:
    samples = quarantined = 0
    for batch in read_historian(
        HistorianFile(path=path, layout="wide" if layout == "wide" else "long", chunk_rows=3)
    ):
        samples += batch.tables[RecordKind.SAMPLE].num_rows
        quarantined += batch.quarantine.num_rows
        for row in batch.quarantine.to_pylist():
            assert row["reason"]
            assert row["detail"]
            assert row["record"]
            assert row["received_at"].year > 2000
    return samples, quarantined


@SMALL
@given(data=st.binary(max_size=400), layout=st.sampled_from(["long", "wide"]))
def test_any_csv_bytes_are_read_quarantined_or_refused(data: bytes, layout: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes(b"ts,tag,value\n" + data)
        try:
            _read_all(path, layout)
        except AndonError:
            return


@SMALL
@given(
    header=headers,
    rows=st.lists(st.lists(cells, min_size=1, max_size=5), max_size=8),
)
def test_every_row_of_a_long_file_is_a_sample_or_a_quarantine_row(
    header: list[str], rows: list[list[str]], example_model: Model
) -> None:
    rows = [[cell.replace("\r", " ").replace("\n", " ") for cell in row] for row in rows]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_text(text.getvalue())
        try:
            samples, quarantined = _read_all(path, "long")
        except AndonError:
            return
        real = rows  # the writer quotes a lone empty field: no row is a blank line
        assert samples + quarantined == len(real), (samples, quarantined, rows)
        store = DuckDBStore(Path(folder) / "s.duckdb")
        try:
            pipeline = Pipeline(store=store, model=example_model)
            for batch in read_historian(HistorianFile(path=path, chunk_rows=3)):
                pipeline.write(batch)
            # the contracts split the samples in two, they never drop one; a row repeated in
            # the file is one record (its natural key holds the row number, so none is)
            stored = store.count_rows(RecordKind.SAMPLE)
            assert stored + store.quarantined().num_rows == len(real)
        finally:
            store.close()
