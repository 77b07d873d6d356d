"""Hostile ranges, units and health: a simulated reading never leaves its tag's range."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from andon.model.plant import TagInfo
from andon.model.schema import TagDefinition, TagType
from andon.model.units import conversion
from andon.sim.signals import signal_for

UNITS = [("degC", "degF"), ("bar", "psi"), ("mm/s", "in/s"), ("N·m", "lbf·in"), ("A", "A")]
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def tags(draw: st.DrawFn) -> TagInfo:
    low = draw(finite)
    width = draw(st.floats(min_value=1e-3, max_value=1e6))
    kind = draw(st.sampled_from([TagType.FLOAT, TagType.INT, TagType.BOOL]))
    unit, source = draw(st.sampled_from(UNITS))
    if kind is not TagType.FLOAT:
        unit = source = "dimensionless"
    high = low + width
    if kind is TagType.INT:
        low, high = math.floor(low), math.floor(low) + max(1, math.ceil(width))
    definition = TagDefinition(
        name=draw(st.sampled_from(["pressure", "temperature", "vibration", "flow", "level"])),
        type=kind,
        unit=unit,
        min=None if kind is TagType.BOOL else low,
        max=None if kind is TagType.BOOL else high,
        wear=draw(st.sampled_from(["rises", "falls"])),
    )
    scale, offset = conversion(source, unit)
    return TagInfo(
        path="e/s/a/l/c/x/" + definition.name,
        equipment_path="e/s/a/l/c/x",
        definition=definition,
        source_unit=source,
        node_id=None,
        scale=scale,
        offset=offset,
    )


@settings(max_examples=300, deadline=None)
@given(
    info=tags(),
    health=st.lists(st.floats(min_value=0, max_value=4), min_size=1, max_size=20),
    noise=st.floats(min_value=0, max_value=5),
    gain=st.floats(min_value=0, max_value=3),
    seed=st.integers(0, 2**16),
)
def test_readings_stay_in_range_in_class_units(
    info: TagInfo, health: list[float], noise: float, gain: float, seed: int
) -> None:
    signal = signal_for(info, [(info.definition.name,)], None)
    n = len(health)
    rng = np.random.default_rng(seed)
    values = signal.values(
        level=rng.integers(0, 3, size=n),
        health=np.asarray(health),
        cycle_fraction=None,
        noise=rng.standard_normal(n) * noise * signal.span,
        gain=gain,
    )
    d = info.definition
    if d.type is TagType.BOOL:
        assert set(values.tolist()) <= {0.0, 1.0}
        return
    converted = values * info.scale + info.offset
    assert d.min is not None
    assert d.max is not None
    assert np.all(converted >= d.min)
    assert np.all(converted <= d.max)
    if d.type is TagType.INT:
        assert np.all(values == np.round(values))
