"""Fuzz the CMMS reader with hypothesis: no file of rows crashes it, and every data row
comes back once, as a work order or as a problem with its row number."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from andon.connect.cmms import RowProblem, WorkOrder, WorkOrderFile, read_work_orders
from andon.model import Model

HEADER = "WONUM,SITEID,ASSETNUM,WORKTYPE,FAILURECODE,REPORTDATE,ACTSTART,ACTFINISH,DOWNTIME,PARTS"
cells = st.one_of(
    st.sampled_from(
        [
            "",
            "LYON",
            "brno",
            "MILL1",
            "acme/lyon/machining/m1/milling/mill1",
            "EM",
            "PM",
            "insp",
            "spindle_bearing",
            "2025-11-03 07:12",
            "2025-11-03T07:12:00+01:00",
            "2026-03-29 02:30",
            "2025-10-26 02:30",
            "12.5",
            "1:30",
            "-3",
            "BRG-7014 x2",
            '{"BRG-7014": 2}',
            "[1]",
            "nan",
        ]
    ),
    st.text(max_size=12),
)
rows = st.lists(
    st.lists(cells, min_size=10, max_size=10) | st.lists(cells, max_size=12), max_size=12
)


def _csv_cell(cell: str) -> str:
    if any(c in cell for c in ',"\n\r'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows, raw=st.binary(max_size=40))
def test_any_rows_are_each_a_work_order_or_a_problem(
    example_model: Model, rows: list[list[str]], raw: bytes
) -> None:
    body = "".join(",".join(_csv_cell(c) for c in row) + "\n" for row in rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        path.write_bytes((HEADER + "\n" + body).encode("utf-8", "surrogatepass") + raw)
        spec = WorkOrderFile(path=path)
        read = list(read_work_orders(spec, example_model))
    numbers = [number for number, _, _ in read]
    assert numbers == list(range(1, len(read) + 1))
    for number, _, result in read:
        assert isinstance(result, WorkOrder | RowProblem)
        assert result.row == number
        if isinstance(result, WorkOrder):
            assert result.path in example_model.equipment
            times = [t for t in (result.opened_us, result.started_us, result.closed_us) if t]
            assert times == sorted(times)
        else:
            assert result.reason in {
                "wrong_type",
                "bad_enum",
                "unknown_path",
                "out_of_range",
                "future",
            }
            assert result.detail
