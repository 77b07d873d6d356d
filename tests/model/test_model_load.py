"""Loading the plant model: the example is valid, and mistakes are all reported with their place."""

from __future__ import annotations

from pathlib import Path

import pytest

from andon.errors import ModelError
from andon.model import Model, load_model

BROKEN = """\
enterprise: {id: acme, currency: EUR}
equipment_classes:
  - id: press
    tags:
      - {name: temperature, unit: degC}
      - {name: pressure, unit: not_a_unit}
    failure_modes:
      - {id: seal, mtbf_h: 100, repair_h: 2, parts: {NOPE: 1}, signals: [vibration]}
parts:
  - {id: SEAL, unit_cost: -5, lead_time_days: 3}
products:
  - id: widget
    routings:
      - line: plant/area/line9
        steps: [{cell: press_cell}]
sites:
  - id: plant
    timezone: Mars/Olympus
    shifts:
      - {id: early, start: "06:00", end: "14:00"}
      - {id: overlap, start: "13:00", end: "20:00"}
    areas:
      - id: area
        lines:
          - id: line1
            cells:
              - id: press_cell
                equipment:
                  - {id: p1, class: press, tags: [{name: temperature, unit: bar}]}
                  - {id: p1, class: pres}
"""


def test_example_enterprise_is_realistic(example_model: Model) -> None:
    counts = example_model.counts()
    assert counts["sites"] >= 2
    assert counts["lines"] >= 3
    assert counts["equipment"] >= 30
    assert counts["equipment_classes"] >= 6
    assert counts["parts"] > 0
    assert all(p.routings for p in example_model.plant.products)


def test_unit_override_converts_to_class_unit(example_model: Model) -> None:
    tag = example_model.tags["acme/brno/machining/m1/milling/mill1/spindle_temperature"]
    assert tag.source_unit == "degF"
    assert tag.definition.unit == "degC"
    assert tag.scale * 212 + tag.offset == pytest.approx(100.0)


def test_schema_problems_are_all_reported_with_lines(tmp_path: Path) -> None:
    file = tmp_path / "broken.yaml"
    file.write_text(BROKEN)
    with pytest.raises(ModelError) as caught:
        load_model(file)
    problems = caught.value.problems
    codes = {p.code for p in problems}
    assert "schema.greater_than_equal" in codes  # negative unit cost
    negative = next(p for p in problems if p.code == "schema.greater_than_equal")
    assert negative.file == str(file)
    assert negative.line == 10


def test_reference_problems_are_all_reported(tmp_path: Path) -> None:
    file = tmp_path / "broken.yaml"
    file.write_text(BROKEN.replace("unit_cost: -5", "unit_cost: 5"))
    with pytest.raises(ModelError) as caught:
        load_model(file)
    by_code = {p.code: p for p in caught.value.problems}
    assert {
        "model.unknown_unit",
        "model.unknown_part",
        "model.unknown_tag",
        "model.dangling_routing",
        "model.unknown_timezone",
        "model.overlapping_shifts",
        "model.unit_mismatch",
        "model.duplicate_id",
        "model.unknown_class",
    } <= set(by_code)
    assert by_code["model.unknown_class"].line == 30
    assert by_code["model.unknown_class"].path == "acme/plant/area/line1/press_cell/p1"
    assert by_code["model.unit_mismatch"].line == 29
    assert by_code["model.overlapping_shifts"].line == 21


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text("enterprise:\n  id: acme\n  name: [unclosed\n")
    with pytest.raises(ModelError) as caught:
        load_model(file)
    (problem,) = caught.value.problems
    assert problem.code == "yaml.syntax"
    assert problem.line is not None


def test_yaml_off_is_a_word_not_false(tmp_path: Path) -> None:
    file = tmp_path / "m.yaml"
    file.write_text(
        "enterprise: {id: e}\nequipment_classes:\n  - id: c\n    power_kw: {off: 1, idle: 2}\n"
    )
    model = load_model(file)
    assert model.classes["c"].power_kw.off == 1.0
