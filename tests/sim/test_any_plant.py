"""The simulator assumes nothing about the example plant: each rule comes from the model."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from tests.sim.conftest import TINY

from andon.contracts import check, in_class_units
from andon.model import Model, load_model
from andon.model.calendar import SiteCalendar
from andon.records import RecordKind
from andon.sim import MaintenancePlan, MemorySink, PlantView, Scenario, simulate
from andon.sim.calendar import SimCalendar
from andon.sim.signals import signal_for
from andon.time import from_datetime

ROOT = Path(__file__).resolve().parents[2]
START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
PRESS = "tiny/s1/a/l1/pressing/press1"
TESTER = "tiny/s1/a/l1/testing/tester1"
PRESSING_CELL = (
    "              - id: pressing\n                buffer_capacity: 5\n"
    "                equipment: [{id: press1, class: press, downtime_cost_per_hour: 100, "
    "criticality: A}]\n"
)
TESTER_LINE = "                equipment: [{id: tester1, class: tester}]\n"


def _tiny(tmp_path: Path, *edits: tuple[str, str], mtbf_wear: float = 400.0) -> Model:
    text = TINY.replace("MTBF_WEAR", str(mtbf_wear)).replace("MTBF_SHOCK", "600")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    file = tmp_path / "tiny.yaml"
    file.write_text(text, encoding="utf-8")
    return load_model(file)


def _intervals(states: pa.Table, path: str, end_us: int) -> list[tuple[int, int, str]]:
    rows = states.filter(pc.equal(states["path"], path)).sort_by("ts")
    ts = rows["ts"].cast(pa.int64()).to_pylist()
    names = rows["state"].to_pylist()
    return [(a, b, s) for a, b, s in zip(ts, [*ts[1:], end_us], names, strict=True)]


# ------------------------------------------------------------------ night shift


def test_an_evening_start_night_shift_is_a_night_shift(tiny: Model) -> None:
    site = tiny.sites["tiny/s1"]
    cal = SimCalendar(site, start=START, days=2)
    shifts = [s.id for s in site.shifts]
    assert cal.is_night(shifts.index("night"))  # 18:00-06:00: never "after 20:00"
    assert not cal.is_night(shifts.index("day"))


def test_the_night_factor_reaches_units_of_an_18h_night_shift(tmp_path: Path) -> None:
    model = _tiny(tmp_path, mtbf_wear=30.0)
    scenario = {
        "practices": {"s1": {"defect_base_rate": 0.0, "night_defect_factor": 0.0}},
        "defects": {
            "W1": {
                "upstream_cell": "pressing",
                "upstream_parameter": "force",
                "downstream_cell": "pressing",
                "strength": 1.0,
                "z0": -5.0,
            }
        },
    }
    sink = MemorySink()
    simulate(model, days=3, seed=2, scenario=Scenario.model_validate(scenario), sink=sink)
    units = sink.truth_table("truth_units")
    defective = units.filter(units["defective"])
    hours = [
        (ts.hour) for ts in defective["ts"].to_pylist()
    ]  # the site is on UTC: 18:00-06:00 is the night shift
    # A zero night factor switches the mechanism off on the night shift, and only there.
    assert defective.num_rows > 0
    night_made = [h for h in hours if h >= 18 or h < 6]
    assert night_made == []


# ------------------------------------------------------------------ signals


def test_the_direction_under_wear_is_the_model_s_not_the_name(tmp_path: Path) -> None:
    model = _tiny(
        tmp_path,
        (
            "{name: vibration, unit: mm/s, min: 0, max: 40, rate_s: 60}",
            "{name: filter_differential_pressure, unit: bar, min: 0, max: 6, rate_s: 60}",
        ),
        ("signals: [vibration]", "signals: [filter_differential_pressure]"),
    )
    info = model.tags[f"{PRESS}/filter_differential_pressure"]
    assert info.definition.wear == "rises"
    signal = signal_for(info, [("filter_differential_pressure",), ()], None)
    running = np.full(2, 2, dtype=np.int64)
    values = signal.values(
        level=running,
        health=np.array([0.0, 1.0]),
        cycle_fraction=None,
        noise=np.zeros(2),
        gain=0.35,
    )
    assert values[1] > values[0]  # a clogging filter's differential pressure rises
    falling = info.definition.model_copy(update={"wear": "falls"})
    down = signal_for(dataclasses.replace(info, definition=falling), [(falling.name,)], None)
    low = down.values(
        level=running,
        health=np.array([0.0, 1.0]),
        cycle_fraction=None,
        noise=np.zeros(2),
        gain=0.35,
    )
    assert low[1] < low[0]


def test_a_boolean_tag_reads_zero_or_one_and_an_integer_tag_whole_numbers(
    tmp_path: Path,
) -> None:
    model = _tiny(
        tmp_path,
        (
            "      - {name: current, unit: A, min: 0, max: 20, rate_s: 60}\n",
            (
                "      - {name: current, unit: A, min: 0, max: 20, rate_s: 60}\n"
                "      - {name: door_closed, type: bool, rate_s: 60}\n"
                "      - {name: fixture_count, type: int, min: 0, max: 7, rate_s: 60}\n"
            ),
        ),
    )
    sink = MemorySink()
    simulate(model, days=1, seed=4, sink=sink)
    samples = sink.table(RecordKind.SAMPLE)
    flag = samples.filter(pc.equal(samples["path"], f"{TESTER}/door_closed"))
    values = set(flag["value"].drop_null().to_pylist())
    assert values <= {0.0, 1.0}
    assert values == {0.0, 1.0}  # it reads 1 while running and 0 off shift
    count = samples.filter(pc.equal(samples["path"], f"{TESTER}/fixture_count"))
    numbers = np.asarray(count["value"].drop_null().to_pylist())
    assert numbers.size
    assert np.all(numbers == np.round(numbers))
    assert check(RecordKind.SAMPLE, samples, model, now_us=2**62).quarantined.num_rows == 0


# ------------------------------------------------------------------ states


def test_one_state_per_machine_at_the_start(tmp_path: Path) -> None:
    # The tiny site's day shift runs at the start (a Monday 06:00 start): the machines warm up
    # at once, and their first state is that one, not "offline" and "setup" together.
    model = _tiny(tmp_path)
    sink = MemorySink()
    simulate(model, days=0.5, seed=1, sink=sink, scenario=Scenario(start="2026-01-05T07:00:00Z"))
    states = sink.table(RecordKind.STATE)
    first = states.filter(pc.equal(states["ts"], pc.min(states["ts"])))
    paths = first["path"].to_pylist()
    assert len(paths) == len(set(paths)) == len(model.equipment)
    assert dict(zip(paths, first["state"].to_pylist(), strict=True))[PRESS] != "offline"


def test_a_long_batch_stops_for_the_break(tmp_path: Path) -> None:
    # A three-hour cycle on a line whose day shift has a 12:00-12:30 break.
    model = _tiny(tmp_path, ("ideal_cycle_time_s: 300", "ideal_cycle_time_s: 10800"))
    sink = MemorySink()
    result = simulate(model, days=3, seed=3, sink=sink)
    states = sink.table(RecordKind.STATE)
    calendar = SiteCalendar.of(model.sites["tiny/s1"])
    breaks = calendar.breaks(result.start_us, result.end_us)
    assert breaks
    running_in_breaks = 0
    for a, b, state in _intervals(states, PRESS, result.end_us):
        if state != "running":
            continue
        for br in breaks:
            running_in_breaks += max(0, min(b, br.end) - max(a, br.start))
    assert running_in_breaks == 0


# ------------------------------------------------------------------ roles


UTILITY_CELL = (
    "              - id: compressors\n"
    "                meters: [{id: air_meter, medium: compressed_air}]\n"
    "                equipment: [{id: comp1, class: compressor}]\n"
)


def test_equipment_outside_a_routing_runs_as_its_role_says(tmp_path: Path) -> None:
    model = _tiny(
        tmp_path,
        (
            UTILITY_CELL,
            UTILITY_CELL + "              - id: chilling\n"
            "                equipment: [{id: chiller1, class: chiller}]\n"
            "              - id: spare\n"
            "                equipment: [{id: spare_press, class: press}]\n",
        ),
        (
            "  - id: compressor\n",
            (
                "  - id: chiller\n"
                "    role: utility\n"
                "    power_kw: {off: 0, idle: 20, running: 120}\n"
                "  - id: compressor\n"
            ),
        ),
    )
    sink = MemorySink()
    result = simulate(model, days=2, seed=1, sink=sink)
    states = sink.table(RecordKind.STATE)
    base = "tiny/s1/utilities/air"
    spare = _intervals(states, f"{base}/spare/spare_press", result.end_us)
    assert {s for _, _, s in spare} <= {"idle", "offline", "planned_down"}
    assert "idle" in {s for _, _, s in spare}
    energy = sink.truth_table("truth_energy")
    by_path = dict(zip(energy["path"].to_pylist(), energy["kwh"].to_pylist(), strict=True))
    chiller = sum(
        k
        for p, k in zip(energy["path"].to_pylist(), energy["kwh"].to_pylist(), strict=True)
        if p == f"{base}/chilling/chiller1"
    )
    # A chiller is not a compressor: it does not run at 1.5 kW per running machine of air
    # (that would be about 2 % of its span); it keeps a base load and follows production.
    assert chiller > 48 * (20 + 0.3 * 100) * 0.9
    assert by_path


def test_the_inspection_station_is_the_cell_with_the_inspection_role(tmp_path: Path) -> None:
    sink = MemorySink()
    simulate(_tiny(tmp_path), days=1, seed=1, sink=sink)
    stations = set(sink.table(RecordKind.INSPECTION)["path"].to_pylist())
    assert stations == {TESTER}
    # The same line with an inspection station first and a production cell last.
    swapped = _tiny(
        tmp_path,
        (
            "steps: [{cell: pressing}, {cell: testing}]",
            "steps: [{cell: testing}, {cell: pressing}]",
        ),
        # a routing follows its line's cell order (model.bad_routing): swap the cells too
        (PRESSING_CELL, ""),
        (TESTER_LINE, TESTER_LINE + PRESSING_CELL),
    )
    sink = MemorySink()
    simulate(swapped, days=1, seed=1, sink=sink)
    assert set(sink.table(RecordKind.INSPECTION)["path"].to_pylist()) == {TESTER}
    # Without an inspection role nobody inspects (the last cell is not one by its place).
    plain = _tiny(tmp_path, ("    role: inspection\n", ""))
    sink = MemorySink()
    simulate(plain, days=1, seed=1, sink=sink)
    assert sink.table(RecordKind.INSPECTION).num_rows == 0


def test_a_packing_cell_counts_in_its_own_unit(tmp_path: Path) -> None:
    model = _tiny(
        tmp_path,
        (
            "              - id: testing\n                buffer_capacity: 5\n",
            (
                "              - id: testing\n                buffer_capacity: 5\n"
                "                counting_unit: case\n                units_per_count: 4\n"
            ),
        ),
    )
    assert model.lines["tiny/s1/a/l1"].cells[1].counting_unit == "case"
    sink = MemorySink()
    simulate(model, days=2, seed=1, sink=sink)
    counts = sink.table(RecordKind.COUNT)
    press = pc.sum(counts.filter(pc.equal(counts["path"], PRESS))["good"]).as_py()
    cases = pc.sum(counts.filter(pc.equal(counts["path"], TESTER))["good"]).as_py()
    assert press > 40
    assert cases == pytest.approx(press / 4, abs=3)


def test_a_filler_counts_the_bottles_of_each_case_it_fills(tmp_path: Path) -> None:
    # The line moves cases; its first cell counts bottles, six to a case, 300 s a bottle.
    model = _tiny(
        tmp_path,
        (
            "              - id: pressing\n                buffer_capacity: 5\n",
            (
                "              - id: pressing\n                buffer_capacity: 5\n"
                "                counting_unit: bottle\n                counts_per_unit: 6\n"
            ),
        ),
    )
    sink = MemorySink()
    result = simulate(model, days=2, seed=1, sink=sink)
    counts = sink.table(RecordKind.COUNT)
    press = counts.filter(pc.equal(counts["path"], PRESS))
    bottles = pc.sum(press["good"]).as_py() + pc.sum(press["scrap"]).as_py()
    assert bottles % 6 == 0
    assert bottles / 6 == pytest.approx(result.quality.units, abs=3)
    # a bottle takes its 300 s: about 12 cases in a 12-hour shift, not 144
    assert result.quality.units < 2 * 24 * 3600 / (6 * 300) + 2


def test_a_holiday_stops_production(tmp_path: Path) -> None:
    model = _tiny(
        tmp_path, ("    timezone: UTC\n", "    timezone: UTC\n    holidays: [2026-01-06]\n")
    )
    sink = MemorySink()
    result = simulate(model, days=3, seed=1, sink=sink)
    states = sink.table(RecordKind.STATE)
    lo = from_datetime(dt.datetime(2026, 1, 6, 6, tzinfo=dt.UTC))
    hi = from_datetime(dt.datetime(2026, 1, 6, 18, tzinfo=dt.UTC))
    running = sum(
        max(0, min(b, hi) - max(a, lo))
        for a, b, s in _intervals(states, PRESS, result.end_us)
        if s == "running"
    )
    assert running == 0


# ------------------------------------------------------------------ units


class _Recorder:
    name = "recorder"

    def __init__(self) -> None:
        self.samples: list[pa.Table] = []

    def decide(self, view: PlantView) -> MaintenancePlan:
        self.samples.append(view.samples)
        return MaintenancePlan()


def test_policies_read_class_units_as_the_store_holds_them() -> None:
    model = load_model(ROOT / "examples" / "discrete")
    tag = "acme/brno/machining/m1/milling/mill1/spindle_temperature"
    assert model.tags[tag].source_unit == "degF"
    recorder = _Recorder()
    sink = MemorySink()
    simulate(model, days=1, seed=2, sink=sink, policy=recorder)
    raw = sink.table(RecordKind.SAMPLE)
    seen = pa.concat_tables(recorder.samples)
    raw_tag = raw.filter(pc.equal(raw["path"], tag))["value"].drop_null().to_numpy()
    seen_tag = seen.filter(pc.equal(seen["path"], tag))["value"].drop_null().to_numpy()
    stored = check(RecordKind.SAMPLE, raw, model, now_us=2**62).good
    stored_tag = stored.filter(pc.equal(stored["path"], tag))["value"].drop_null().to_numpy()
    assert raw_tag.mean() > 60  # the plant reports degF
    np.testing.assert_allclose(seen_tag, stored_tag)  # the policy sees degC, as stored
    np.testing.assert_allclose(
        in_class_units(raw, model)["value"].drop_null().to_numpy(),
        stored["value"].drop_null().to_numpy(),
    )
