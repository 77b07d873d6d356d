"""A tiny plant for the simulator's statistical tests: one site, one line, short lives."""

from __future__ import annotations

from pathlib import Path

import pytest

from andon.model import Model, load_model

TINY = """
enterprise: {id: tiny, currency: EUR}
equipment_classes:
  - id: press
    ideal_cycle_time_s: 300
    power_kw: {off: 0.5, idle: 4, warmup: 6, running: 10, warmup_min: 5}
    tags:
      - {name: vibration, unit: mm/s, min: 0, max: 40, rate_s: 60}
      - {name: temperature, unit: degC, min: 0, max: 120, rate_s: 120}
    failure_modes:
      - {id: wear, mtbf_h: MTBF_WEAR, repair_h: 1, parts: {P1: 1}, signals: [vibration], repair_cost: 100}
      - {id: jam, mtbf_h: MTBF_SHOCK, repair_h: 0.5, repair_cost: 20}
  - id: tester
    ideal_cycle_time_s: 200
    power_kw: {off: 0.1, idle: 1, running: 3}
    tags:
      - {name: current, unit: A, min: 0, max: 20, rate_s: 60}
  - id: compressor
    power_kw: {off: 0, idle: 8, running: 30}
    tags:
      - {name: motor_vibration, unit: mm/s, min: 0, max: 30, rate_s: 60}
    failure_modes:
      - {id: bearing, mtbf_h: 5000, repair_h: 4, signals: [motor_vibration]}
parts:
  - {id: P1, unit_cost: 50, lead_time_days: 2, expedite_lead_time_days: 0.5, expedite_cost: 30, stock: {s1: 3}, reorder_point: 1}
products:
  - id: W1
    unit_price: 10
    scrap_cost: 5
    routings:
      - line: s1/a/l1
        steps: [{cell: pressing}, {cell: testing}]
    spec_limits:
      - {parameter: force, cell: pressing, unit: kN, target: 20, lsl: 16, usl: 24}
sites:
  - id: s1
    timezone: UTC
    shifts:
      - {id: day, start: "06:00", end: "18:00", days: [mon, tue, wed, thu, fri, sat, sun], breaks: [["12:00", "12:30"]]}
      - {id: night, start: "18:00", end: "06:00", days: [mon, tue, wed, thu, fri, sat, sun]}
    crews:
      - {id: techs, size: 2, hourly_cost: 40}
    maintenance_windows:
      - {id: sunday, day: sun, start: "02:00", duration_h: 4}
    tariff:
      price_per_kwh: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1]
      gco2e_per_kwh: [300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300]
    meters: [{id: main, interval_s: 900}]
    areas:
      - id: a
        lines:
          - id: l1
            meters: [{id: l1_meter}]
            cells:
              - id: pressing
                buffer_capacity: 5
                equipment: [{id: press1, class: press, downtime_cost_per_hour: 100, criticality: A}]
              - id: testing
                buffer_capacity: 5
                meters: [{id: test_meter}]
                equipment: [{id: tester1, class: tester}]
      - id: utilities
        lines:
          - id: air
            kind: process_cell
            cells:
              - id: compressors
                meters: [{id: air_meter, medium: compressed_air}]
                equipment: [{id: comp1, class: compressor}]
"""


def tiny_model(tmp_path: Path, *, mtbf_wear: float = 40.0, mtbf_shock: float = 60.0) -> Model:
    """Write and load the tiny plant with the given lives."""
    text = TINY.replace("MTBF_WEAR", str(mtbf_wear)).replace("MTBF_SHOCK", str(mtbf_shock))
    file = tmp_path / "tiny.yaml"
    file.write_text(text, encoding="utf-8")
    return load_model(file)


@pytest.fixture
def tiny(tmp_path: Path) -> Model:
    """The tiny plant with a 40 h wear life and a 60 h shock life on its press."""
    return tiny_model(tmp_path)
