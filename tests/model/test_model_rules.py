"""One rule at a time: a small valid plant, one mistake, exactly the expected problem.

Each case replaces one piece of text and names the code expected and a piece of text on the
line where the problem must be reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from andon.errors import ModelError
from andon.model import Model, load_model

VALID = """\
enterprise: {id: acme}
equipment_classes:
  - id: press
    ideal_cycle_time_s: 60
    tags:
      - {name: temperature, unit: degC, min: 0, max: 120}
    failure_modes:
      - {id: seal, mtbf_h: 800, repair_h: 2, parts: {SEAL: 1}}
parts:
  - {id: SEAL, unit_cost: 40, lead_time_days: 5, stock: {plant: 3}}
products:
  - id: widget
    routings:
      - line: plant/area/line1
        steps: [{cell: pressing}]
    spec_limits:
      - {parameter: force, cell: pressing, unit: kN, target: 25, lsl: 20, usl: 30}
sites:
  - id: plant
    timezone: Europe/Paris
    shifts:
      - {id: early, start: "06:00", end: "14:00", breaks: [["09:00", "09:15"], ["12:00", "12:30"]]}
    maintenance_windows:
      - {id: sat, day: sat, start: "06:00", duration_h: 8}
    areas:
      - id: area
        lines:
          - id: line1
            meters: [{id: line_meter}]
            cells:
              - id: pressing
                equipment:
                  - {id: p1, class: press, tags: [{name: temperature, node_id: "ns=2;s=P1.T"}]}
                  - {id: p2, class: press}
              - id: spare
"""

CASES = {
    "overlapping_breaks": (
        '["12:00", "12:30"]',
        '["09:10", "09:30"]',
        "model.overlapping_breaks",
        '"09:10"',
    ),
    "break_outside_shift": (
        '["12:00", "12:30"]',
        '["15:00", "15:30"]',
        "model.break_outside_shift",
        '"15:00"',
    ),
    "overlapping_windows": (
        '{id: sat, day: sat, start: "06:00", duration_h: 8}',
        (
            '{id: sat, day: sat, start: "06:00", duration_h: 8}\n'
            '      - {id: sat2, day: sat, start: "10:00", duration_h: 4}'
        ),
        "model.overlapping_windows",
        "id: sat2",
    ),
    "nan_price": (
        "    maintenance_windows:",
        "    tariff: {price_per_kwh: [.nan"
        + ", 0.1" * 23
        + "], gco2e_per_kwh: ["
        + ", ".join(["50"] * 24)
        + "]}\n    maintenance_windows:",
        "schema.finite_number",
        "tariff:",
    ),
    "infinite_mtbf": ("mtbf_h: 800", "mtbf_h: .inf", "schema.finite_number", "mtbf_h: .inf"),
    "nan_limit": ("usl: 30}", "usl: .NaN}", "schema.finite_number", "usl: .NaN"),
    "nan_range": ("min: 0, max: 120", "min: 0, max: .nan", "schema.finite_number", "max: .nan"),
    "empty_range": ("min: 0, max: 120", "min: 5, max: 5", "model.bad_range", "min: 5"),
    "boolean_signal": (
        "max: 120}\n    failure_modes:\n      - {id: seal, mtbf_h: 800, repair_h: 2, parts: {SEAL",
        (
            "max: 120}\n      - {name: running, type: bool}\n    failure_modes:\n"
            "      - {id: seal, mtbf_h: 800, repair_h: 2, signals: [running], parts: {SEAL"
        ),
        "model.boolean_signal",
        "signals: [running]",
    ),
    "reserved_tag_state": (
        "{name: temperature, unit: degC, min: 0, max: 120}",
        "{name: temperature, unit: degC, min: 0, max: 120}\n      - {name: state}",
        "model.reserved_name",
        "{name: state}",
    ),
    "reserved_tag_bdseq": (
        "{name: temperature, unit: degC, min: 0, max: 120}",
        "{name: temperature, unit: degC, min: 0, max: 120}\n      - {name: bdSeq}",
        "model.reserved_name",
        "{name: bdSeq}",
    ),
    "routing_revisits_a_cell": (
        "steps: [{cell: pressing}]",
        "steps: [{cell: pressing}, {cell: pressing}]",
        "model.bad_routing",
        "steps: [{cell: pressing}, {cell: pressing}]",
    ),
    "break_covers_its_shift": (
        'breaks: [["09:00", "09:15"], ["12:00", "12:30"]]',
        'breaks: [["06:00", "14:00"]]',
        "model.break_covers_shift",
        '"06:00", "14:00"',
    ),
    "breaks_cover_their_shift": (
        'breaks: [["09:00", "09:15"], ["12:00", "12:30"]]',
        'breaks: [["06:00", "10:00"], ["10:00", "14:00"]]',
        "model.break_covers_shift",
        '"06:00", "10:00"',
    ),
    "tariff_of_23_hours": (
        "    maintenance_windows:",
        "    tariff: {price_per_kwh: ["
        + ", ".join(["0.1"] * 23)
        + "], gco2e_per_kwh: ["
        + ", ".join(["50"] * 24)
        + "]}\n    maintenance_windows:",
        "schema.too_short",
        "tariff:",
    ),
    "empty_station": (
        "steps: [{cell: pressing}]",
        "steps: [{cell: pressing}, {cell: spare}]",
        "model.empty_station",
        "{cell: spare}",
    ),
    "meter_named_like_a_cell": (
        "{id: line_meter}",
        "{id: pressing}",
        "model.duplicate_path",
        "{id: pressing}",
    ),
    "duplicate_node_id": (
        "{id: p2, class: press}",
        '{id: p2, class: press, tags: [{name: temperature, node_id: "ns=2;s=P1.T"}]}',
        "model.duplicate_node_id",
        "{id: p2",
    ),
    "negative_stock": (
        "stock: {plant: 3}",
        "stock: {plant: -3}",
        "model.negative_value",
        "plant: -3",
    ),
    "target_outside_limits": ("target: 25", "target: 35", "model.bad_limits", "target: 35"),
    "duplicate_spec_limit": (
        "usl: 30}",
        "usl: 30}\n      - {parameter: force, cell: pressing, unit: kN, usl: 31}",
        "model.duplicate_id",
        "usl: 31",
    ),
    "two_routings_on_one_line": (
        "steps: [{cell: pressing}]",
        (
            "steps: [{cell: pressing}]\n"
            "      - line: plant/area/line1\n        steps: [{cell: pressing}]"
        ),
        "model.duplicate_id",
        "line: plant/area/line1",
    ),
    "unknown_crew_shift": (
        "    maintenance_windows:",
        "    crews: [{id: c1, shifts: [late]}]\n    maintenance_windows:",
        "model.unknown_shift",
        "crews:",
    ),
    "station_not_visited": (
        "cell: pressing, unit: kN",
        "cell: spare, unit: kN",
        "model.unknown_station",
        "cell: spare, unit",
    ),
    "unknown_signal": (
        "parts: {SEAL: 1}}",
        "parts: {SEAL: 1}, signals: [vibration]}",
        "model.unknown_tag",
        "signals: [vibration]",
    ),
    "bad_range": ("min: 0, max: 120", "min: 120, max: 0", "model.bad_range", "min: 120"),
    "negative_carbon": (
        "    maintenance_windows:",
        "    tariff: {price_per_kwh: [-0.01"
        + ", 0.1" * 23
        + "], gco2e_per_kwh: [-1"
        + ", 50" * 23
        + "]}\n    maintenance_windows:",
        "model.negative_value",
        "tariff:",
    ),
    "unknown_field": (
        "ideal_cycle_time_s: 60",
        "ideal_cycle_time: 60",
        "schema.extra_forbidden",
        "ideal_cycle_time:",
    ),
    "restored_unknown_mode": (
        "- {id: p2, class: press}",
        "- {id: p2, class: press, restored: {gasket: 2024-03-01}}",
        "model.unknown_failure_mode",
        "gasket",
    ),
    "restored_before_installation": (
        "- {id: p2, class: press}",
        "- {id: p2, class: press, installed: 2024-05-01, restored: {seal: 2024-03-01}}",
        "model.bad_date",
        "2024-03-01",
    ),
}


def load_text(tmp_path: Path, text: str) -> Model:
    file = tmp_path / "plant.yaml"
    file.write_text(text)
    return load_model(file)


def test_the_base_model_is_valid(tmp_path: Path) -> None:
    model = load_text(tmp_path, VALID)
    assert model.equipment


@pytest.mark.parametrize("case", sorted(CASES))
def test_one_mistake_gives_one_problem(case: str, tmp_path: Path) -> None:
    old, new, code, marker = CASES[case]
    assert VALID.count(old) == 1
    text = VALID.replace(old, new)
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if marker in line]
    with pytest.raises(ModelError) as caught:
        load_text(tmp_path, text)
    problems = [p for p in caught.value.problems if p.code == code]
    assert len(problems) == 1, caught.value
    (problem,) = problems
    assert len(caught.value.problems) == 1, caught.value
    assert problem.line == lines[-1]  # the last line with the marker: the mistake is added
    assert problem.file == str(tmp_path / "plant.yaml")
    assert problem.expected


def test_a_negative_price_hour_is_allowed(tmp_path: Path) -> None:
    tariff = (
        "    tariff: {price_per_kwh: [-0.01"
        + ", 0.1" * 23
        + "], gco2e_per_kwh: [40"
        + ", 50" * 23
        + "]}\n    maintenance_windows:"
    )
    model = load_text(tmp_path, VALID.replace("    maintenance_windows:", tariff))
    (site,) = model.plant.sites
    assert site.tariff is not None
    assert site.tariff.price_per_kwh[0] == -0.01


def test_a_step_cycle_time_stands_in_for_a_missing_one(tmp_path: Path) -> None:
    no_cycle = VALID.replace("    ideal_cycle_time_s: 60\n", "")
    with pytest.raises(ModelError) as caught:
        load_text(tmp_path, no_cycle)
    assert [p.code for p in caught.value.problems] == ["model.missing_cycle_time"] * 2
    load_text(
        tmp_path, no_cycle.replace("{cell: pressing}]", "{cell: pressing, cycle_time_s: 50}]")
    )
