"""Simulated sensors saturate at their tag's valid range, as a transmitter clamps at its span."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from andon.contracts import check
from andon.model import Model, load_model
from andon.records import RecordKind
from andon.sim import MemorySink, chunk, simulate
from andon.sim.signals import TagSignal, signal_for, source_bounds

ROOT = Path(__file__).resolve().parents[2]
DEGF_TAG = "acme/brno/machining/m1/milling/mill1/spindle_temperature"


@pytest.fixture(scope="module")
def discrete() -> Model:
    return load_model(ROOT / "examples" / "discrete")


def test_every_simulated_sample_is_inside_its_range(discrete: Model) -> None:
    sink = MemorySink()
    simulate(discrete, days=2, seed=3, sink=sink)
    samples = sink.table(RecordKind.SAMPLE)
    result = check(RecordKind.SAMPLE, samples, discrete, now_us=2**62)
    assert result.quarantined.num_rows == 0, result.reasons()
    values = result.good.column("value")
    paths = result.good.column("path").to_pylist()
    low = np.array([discrete.tags[p].definition.min for p in paths], dtype=float)
    numbers = values.to_numpy(zero_copy_only=False)
    # the clamp is reached, not only approached: the off-state pressure sits at its floor
    assert np.any(numbers[~np.isnan(numbers)] == low[~np.isnan(numbers)])


def test_bounds_of_a_converted_tag_convert_back_inside_the_range(discrete: Model) -> None:
    info = discrete.tags[DEGF_TAG]
    assert info.source_unit == "degF"
    lo, hi = source_bounds(info)
    assert lo == pytest.approx(14.0)
    assert hi == pytest.approx(302.0)
    assert info.definition.min is not None
    assert info.definition.max is not None
    assert info.definition.min <= lo * info.scale + info.offset
    assert hi * info.scale + info.offset <= info.definition.max


def test_bounds_are_nudged_inside_when_the_round_trip_rounds_out(discrete: Model) -> None:
    info = discrete.tags[DEGF_TAG]
    awkward = dataclasses.replace(
        info, definition=info.definition.model_copy(update={"min": 0.1, "max": 0.3})
    )
    lo, hi = source_bounds(awkward)
    for bound in (lo, hi):
        assert 0.1 <= bound * info.scale + info.offset <= 0.3


def test_an_open_range_does_not_clamp(discrete: Model) -> None:
    info = discrete.tags[DEGF_TAG]
    open_ended = dataclasses.replace(
        info, definition=info.definition.model_copy(update={"min": None, "max": None})
    )
    assert source_bounds(open_ended) == (-math.inf, math.inf)


def test_saturation_leaves_the_physics_and_the_truth_alone(
    discrete: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    clamped, raw = MemorySink(), MemorySink()
    a = simulate(discrete, days=1, seed=5, sink=clamped)
    unclamped = signal_for

    def no_clamp(*args: Any) -> TagSignal:
        return dataclasses.replace(unclamped(*args), bounds=(-math.inf, math.inf))

    monkeypatch.setattr(chunk, "signal_for", no_clamp)
    b = simulate(discrete, days=1, seed=5, sink=raw)
    assert a.failures.equals(b.failures)
    assert a.maintenance == b.maintenance
    assert clamped.truth_table("truth_health").equals(raw.truth_table("truth_health"))
    before = raw.table(RecordKind.SAMPLE)
    after = clamped.table(RecordKind.SAMPLE)
    assert before.drop_columns(["value"]).equals(after.drop_columns(["value"]))
    assert check(RecordKind.SAMPLE, before, discrete, now_us=2**62).reasons()["out_of_range"] > 0
