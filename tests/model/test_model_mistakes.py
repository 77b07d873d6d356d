"""A model folder with 21 mistakes: every one reported at once, in its own file and line.

Each mistake is marked in the YAML with a trailing ``# mistake: <code>`` comment; the test
finds the expected file and line from the markers, so the fixture reads as a plant engineer
would write it and the expectations cannot drift from it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from andon.errors import ModelError, Problem
from andon.model import load_model

FILES = {
    "enterprise.yaml": """\
enterprise: {id: acme, name: ACME Drives, currency: EUR}
""",
    "classes.yaml": """\
equipment_classes:
  - id: press
    ideal_cycle_time_s: 60
    tags:
      - {name: temperature, unit: degC, min: 0, max: 120}
      - {name: pressure, unit: bars_of_gold}  # mistake: model.unknown_unit
      - {name: state, type: bool}  # mistake: model.reserved_name
    failure_modes:
      - id: seal
        mtbf_h: 800
        repair_h: 2
        parts: {SEAL: 1, NOPE: 1}  # mistake: model.unknown_part
        signals: [temperature]
      - id: pump
        mtbf_h: 1  # mistake: model.implausible_mtbf
        repair_h: 4
        parts: {GONE: 1}
  - id: robot
    tags: [{name: torque, unit: N*m}]
    failure_modes: [{id: reducer, mtbf_h: 6000, repair_h: 8, parts: {PUMP: 1}}]
  - id: robot  # mistake: model.duplicate_id
    tags: [{name: torque, unit: N*m}]
    failure_modes: [{id: reducer, mtbf_h: 6000, repair_h: 8, parts: {PUMP: 1}}]
  - id: oven
    ideal_cycle_time_s: 60
    failure_modes:
      - {id: heater, mtbf_h: -5, repair_h: 3}  # mistake: schema.greater_than
""",
    "parts.yaml": """\
parts:
  - {id: SEAL, unit_cost: 40, lead_time_days: 5, stock: {plant: 3}}
  - {id: GONE, unit_cost: -5, lead_time_days: 3}  # mistake: schema.greater_than_equal
  - id: PUMP  # mistake: model.part_not_stocked
    unit_cost: 900
    lead_time_days: 2
    expedite_lead_time_days: 6  # mistake: model.bad_lead_time
  - id: GEAR
    unit_cost: 30
    lead_time_days: 5
    stock: {plant: 2, mars: 1}  # mistake: model.unknown_site
""",
    "products.yaml": """\
products:
  - id: GB-200
    routings:
      - line: plant/area/line9  # mistake: model.dangling_routing
        steps: [{cell: pressing}]
      - line: plant/area/line1
        steps:
          - {cell: pressing}
          - {cell: painting}  # mistake: model.dangling_routing_step
          - {cell: mounting}  # mistake: model.missing_cycle_time
          - {cell: baking}
    spec_limits:
      - parameter: press_force  # mistake: model.bad_limits
        cell: pressing
        unit: kN
        lsl: 30
        usl: 20
""",
    "sites/plant.yaml": """\
sites:
  - id: plant
    timezone: Mars/Olympus  # mistake: model.unknown_timezone
    shifts:
      - {id: early, start: "06:00", end: "14:00"}
      - {id: late, start: "13:00", end: "21:00"}  # mistake: model.overlapping_shifts
      - {id: night, start: "25:00", end: "06:00"}  # mistake: schema.string_pattern_mismatch
    crews:
      - {id: mech, shifts: [early, night], skills: [press, welder]}  # mistake: model.unknown_class
    maintenance_windows:
      - id: tuesday  # a window may stop a shift
        day: tue
        start: "10:00"
        duration_h: 2
    areas:
      - id: area
        lines:
          - id: line1
            cells:
              - id: pressing
                equipment:
                  - id: p1
                    class: press
                    tags: [{name: temperature, unit: bar}]  # mistake: model.unit_mismatch
                  - {id: p2, class: presss}  # mistake: model.unknown_class
                  - id: p3
                    class: press
                    downtime_cost_per_hour: -100  # mistake: schema.greater_than_equal
              - id: mounting
                equipment: [{id: r1, class: robot}]
              - id: baking
                equipment: [{id: o1, class: oven}]
""",
}

MARK = re.compile(r"#\s*mistake:\s*(\S+)")


@pytest.fixture
def model_folder(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        file = tmp_path / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text)
    return tmp_path


def marked(folder: Path) -> set[tuple[str, str, int]]:
    found = set()
    for name, text in FILES.items():
        for number, line in enumerate(text.splitlines(), start=1):
            for code in MARK.findall(line):
                found.add((code, str(folder / name), number))
    return found


def problems_of(folder: Path) -> tuple[Problem, ...]:
    with pytest.raises(ModelError) as caught:
        load_model(folder)
    return caught.value.problems


def test_twenty_one_mistakes_are_all_reported_where_they_are(model_folder: Path) -> None:
    expected = marked(model_folder)
    assert len(expected) == 21
    problems = problems_of(model_folder)
    found = {(p.code, p.file, p.line) for p in problems}
    assert found == expected
    assert len(problems) == 21  # nothing twice, no echo of a refused element
    for problem in problems:
        assert problem.path, problem
        assert problem.expected, problem
        assert problem.message, problem


def test_problems_name_the_element_path(model_folder: Path) -> None:
    by_code: dict[str, list[Problem]] = {}
    for problem in problems_of(model_folder):
        by_code.setdefault(problem.code, []).append(problem)
    (unknown_equipment_class,) = [
        p for p in by_code["model.unknown_class"] if "presss" in p.message
    ]
    assert unknown_equipment_class.path == "acme/plant/area/line1/pressing/p2"
    assert "press" in (unknown_equipment_class.expected or "")
    (mismatch,) = by_code["model.unit_mismatch"]
    assert mismatch.path == "acme/plant/area/line1/pressing/p1/temperature"
    assert mismatch.expected == "a unit convertible to degC"
    (cycle,) = by_code["model.missing_cycle_time"]
    assert cycle.path == "acme/plant/area/line1/mounting/r1"
    negative = {p.path for p in by_code["schema.greater_than_equal"]}
    assert negative == {"GONE", "acme/plant/area/line1/pressing/p3"}
    (heater,) = by_code["schema.greater_than"]
    assert heater.path == "oven/heater"
    assert heater.expected == "> 0"


def test_references_to_refused_elements_are_not_reported_again(model_folder: Path) -> None:
    messages = " ".join(p.message for p in problems_of(model_folder))
    assert "'GONE'" not in messages.replace("unit_cost", "")  # the pump mode uses GONE
    assert "unknown class 'oven'" not in messages  # o1's class was refused, not unknown
    assert "unknown shift 'night'" not in messages  # the crew's night shift was refused


def test_fixing_the_mistakes_leaves_a_valid_model(model_folder: Path) -> None:
    fixes = {
        "classes.yaml": [
            ("bars_of_gold", "bar"),
            ("{name: state, type: bool}", "{name: running, type: bool}"),
            ("SEAL: 1, NOPE: 1", "SEAL: 1"),
            ("mtbf_h: 1  #", "mtbf_h: 1000  #"),
            ("  - id: robot  # mistake", "  - id: robot2  # mistake"),
            ("mtbf_h: -5", "mtbf_h: 5000"),
        ],
        "parts.yaml": [
            (
                "unit_cost: -5, lead_time_days: 3",
                "unit_cost: 5, lead_time_days: 3, stock: {plant: 1}",
            ),
            ("expedite_lead_time_days: 6", "expedite_lead_time_days: 1\n    stock: {plant: 0}"),
            (", mars: 1", ""),
        ],
        "products.yaml": [
            ("line9", "line1"),
            ("      - line: plant/area/line1\n        steps:\n", "      - line: plant/area/x\n"),
        ],
    }
    del fixes["products.yaml"]
    (model_folder / "products.yaml").write_text(
        "products:\n  - id: GB-200\n    routings:\n      - line: plant/area/line1\n"
        "        steps: [{cell: pressing}, {cell: mounting, cycle_time_s: 70}]\n"
    )
    for name, replacements in fixes.items():
        file = model_folder / name
        text = file.read_text()
        for old, new in replacements:
            assert old in text, old
            text = text.replace(old, new)
        file.write_text(text)
    site = model_folder / "sites/plant.yaml"
    site.write_text(
        site.read_text()
        .replace("Mars/Olympus", "Europe/Paris")
        .replace('"13:00", end: "21:00"', '"14:00", end: "22:00"')
        .replace('"25:00"', '"22:00"')
        .replace(", welder", "")
        .replace('start: "10:00"', 'start: "22:00"')
        .replace("day: tue", "day: sat")
        .replace("unit: bar}", "unit: degF}")
        .replace("presss", "press")
        .replace("-100", "100")
    )
    model = load_model(model_folder)
    assert model.counts()["equipment"] == 5
    assert model.tags["acme/plant/area/line1/pressing/p1/temperature"].source_unit == "degF"
