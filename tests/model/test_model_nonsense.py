"""The validator refuses nonsense a schema of types alone lets through (issue: "right on any
plant"): routings that go back, clock times read as numbers, tariffs of the wrong length.

The one-mistake cases (non-finite numbers, empty ranges, boolean signals, reserved names,
breaks that cover their shift) are in ``test_model_rules.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from andon.errors import ModelError
from andon.model import load_model
from andon.model.calendar import SiteCalendar
from andon.model.rules import RESERVED_TAG_NAMES
from andon.time import from_iso

PLANT = """\
enterprise: {id: acme}
equipment_classes:
  - {id: machine, ideal_cycle_time_s: 30, tags: [{name: temperature, min: 0, max: 90}]}
products:
  - id: widget
    routings:
      - line: plant/area/line1
        steps: STEPS
sites:
  - id: plant
    timezone: Asia/Kolkata
    shifts:
      - {id: day, start: START, end: END, breaks: [[PAUSE, "12:30"]]}
    areas:
      - id: area
        lines:
          - id: line1
            cells:
              - {id: cut, equipment: [{id: m1, class: machine}]}
              - {id: bend, equipment: [{id: m2, class: machine}]}
              - {id: pack, equipment: [{id: m3, class: machine}]}
"""


def _text(**parts: str) -> str:
    values = {
        "STEPS": "[{cell: cut}, {cell: bend}, {cell: pack}]",
        "START": '"06:00"',
        "END": '"14:30"',
        "PAUSE": '"12:00"',
    }
    values.update(parts)
    text = PLANT
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def _load(tmp_path: Path, text: str) -> ModelError | None:
    file = tmp_path / "plant.yaml"
    file.write_text(text, encoding="utf-8")
    try:
        load_model(file)
    except ModelError as exc:
        return exc
    return None


def test_the_plant_is_valid(tmp_path: Path) -> None:
    assert _load(tmp_path, _text()) is None


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ("[{cell: cut}, {cell: pack}, {cell: bend}]", "goes back to cell 'bend'"),
        ("[{cell: bend}, {cell: cut}]", "goes back to cell 'cut'"),
        ("[{cell: cut}, {cell: bend}, {cell: cut}]", "visits cell 'cut' again"),
    ],
)
def test_a_routing_that_goes_back_or_revisits_is_refused(
    tmp_path: Path, steps: str, message: str
) -> None:
    error = _load(tmp_path, _text(STEPS=steps))
    assert error is not None
    (problem,) = error.problems
    assert problem.code == "model.bad_routing"
    assert message in problem.message
    assert problem.line == 8
    assert problem.path == "acme/plant/area/line1"


def test_a_routing_that_skips_cells_forward_is_fine(tmp_path: Path) -> None:
    assert _load(tmp_path, _text(STEPS="[{cell: cut}, {cell: pack}]")) is None


def test_unquoted_clock_times_are_clock_times(tmp_path: Path) -> None:
    quoted = tmp_path / "quoted"
    bare = tmp_path / "bare"
    quoted.mkdir()
    bare.mkdir()
    (quoted / "plant.yaml").write_text(_text(), encoding="utf-8")
    (bare / "plant.yaml").write_text(
        _text(START="06:00", END="14:30", PAUSE="12:00"), encoding="utf-8"
    )
    a, b = load_model(quoted), load_model(bare)
    assert a.plant == b.plant
    (shift,) = b.plant.sites[0].shifts
    assert (shift.start, shift.end, shift.breaks) == ("06:00", "14:30", (("12:00", "12:30"),))
    # and the calendar reads them as the wall clock at a half-hour zone: 8 h of work
    calendar = SiteCalendar.of(b.plant.sites[0])
    day = calendar.planned_seconds(
        from_iso("2026-01-05T00:00+05:30"), from_iso("2026-01-06T00:00+05:30")
    )
    assert day == 8 * 3600


def test_an_unquoted_time_where_a_number_is_expected_is_not_870(tmp_path: Path) -> None:
    error = _load(tmp_path, _text().replace("min: 0, max: 90", "min: 0, max: 14:30"))
    assert error is not None
    (problem,) = error.problems
    assert problem.code == "schema.float_parsing"
    assert "'14:30'" in problem.message


def test_a_tariff_needs_exactly_24_hours_and_says_so(tmp_path: Path) -> None:
    for hours in (23, 25):
        tariff = (
            "    tariff: {price_per_kwh: ["
            + ", ".join(["0.1"] * hours)
            + "], gco2e_per_kwh: ["
            + ", ".join(["50"] * 24)
            + "]}\n    areas:"
        )
        error = _load(tmp_path, _text().replace("    areas:", tariff, 1))
        assert error is not None
        (problem,) = error.problems
        assert problem.expected == "exactly 24 item(s)"
    docs = (Path(__file__).resolve().parents[2] / "docs" / "model.md").read_text()
    row = next(line for line in docs.splitlines() if line.startswith("| `price_per_kwh`"))
    assert "exactly 24 values" in row


def test_reserved_names_cover_the_connectors_own_variables() -> None:
    assert {"state", "bdSeq"} <= RESERVED_TAG_NAMES


def test_a_maintenance_window_may_overlap_a_shift(tmp_path: Path) -> None:
    window = '    maintenance_windows: [{id: mon, day: mon, start: "10:00", duration_h: 2}]\n'
    text = _text().replace("    areas:", window + "    areas:", 1)
    assert _load(tmp_path, text) is None
