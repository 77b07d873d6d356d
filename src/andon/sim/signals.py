"""Condition tags from the hidden health, a chunk at a time, with numpy (no event per sample).

Each tag has three levels (off, idle, running) derived from its kind of measurement and
range, a degradation term driven by the health of the failure modes that list it as a signal
(convex, so that it shows late as real condition indicators do; rising or falling as the
model's ``wear`` says), phase profiles for recipe-driven tags, and sensor noise. Values are
produced in the class's unit and reported in the equipment's own, as a plant's sensor reports
them: the contracts convert them to the class unit on the way into the store. A boolean tag
reads 0 or 1 (1 while running); an integer tag reads whole numbers.

A sensor reports only what its measuring range holds: a reading saturates at the tag's valid
range (``min``/``max`` of the tag definition) instead of leaving it, as a 4-20 mA transmitter
clamps at its span. Only the report saturates; the hidden health and the failure times are
not touched. The bounds are taken in the equipment's unit so that a reading at a bound
converts back to the class's unit inside the range (the contract check converts it with the
same scale and offset), never a rounding step outside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from andon.model.plant import TagInfo
from andon.model.schema import TagType

__all__ = ["TagSignal", "signal_for"]

OFF, IDLE, RUN = 0, 1, 2


@dataclass(frozen=True, slots=True)
class TagSignal:
    """How one tag responds to state and health."""

    info: TagInfo
    levels: tuple[float, float, float]
    direction: float
    span: float
    modes: tuple[int, ...]
    """Indexes of the equipment's failure modes this tag shows."""
    profile: tuple[np.ndarray, np.ndarray] | None
    bounds: tuple[float, float] = (-math.inf, math.inf)
    """Where the sensor saturates, in the equipment's (source) unit."""

    def values(
        self,
        *,
        level: np.ndarray,
        health: np.ndarray,
        cycle_fraction: np.ndarray | None,
        noise: np.ndarray,
        gain: float,
    ) -> np.ndarray:
        """Return tag values in the source unit for one grid of times.

        ``level`` holds 0 (off), 1 (idle) or 2 (running) per time; ``health`` the summed
        squared health of the tag's modes; ``noise`` standard normal draws. Values saturate
        at :attr:`bounds`.
        """
        lv = np.asarray(self.levels)[level]
        if self.profile is not None and cycle_fraction is not None:
            fx, fy = self.profile
            running = (level == RUN) & ~np.isnan(cycle_fraction)
            lv = np.where(running, np.interp(np.nan_to_num(cycle_fraction), fx, fy), lv)
        on = np.where(level == OFF, 0.0, np.where(level == IDLE, 0.5, 1.0))
        value = lv + self.direction * gain * self.span * health * on + noise
        kind = self.info.definition.type
        if kind is TagType.BOOL:
            # A switch or a flag reads 0 or 1: on while its level and wear carry it past half.
            return np.asarray(value >= self.levels[0] + 0.5 * self.span, dtype=np.float64)
        scale, offset = self.info.scale, self.info.offset
        result: np.ndarray = np.clip((value - offset) / scale, *self.bounds)
        if kind is TagType.INT:
            # A counter or a step reads whole numbers, inside its range once rounded.
            lo, hi = self.bounds
            result = np.clip(np.round(result), math.ceil(lo), math.floor(hi))
        return result


def signal_for(
    info: TagInfo,
    mode_signals: list[tuple[str, ...]],
    profile: tuple[np.ndarray, np.ndarray] | None,
) -> TagSignal:
    """Derive a tag's levels from its kind of measurement and valid range, and its direction
    under wear from the model (:attr:`~andon.model.schema.TagDefinition.wear`)."""
    d = info.definition
    if d.type is TagType.BOOL:
        # Off and idle read 0, running reads 1; a mode that lists the tag turns it over.
        modes = tuple(i for i, signals in enumerate(mode_signals) if d.name in signals)
        direction = -1.0 if d.wear == "falls" else 1.0
        return TagSignal(info, (0.0, 0.0, 1.0), direction, 1.0, modes, None, (0.0, 1.0))
    lo = d.min if d.min is not None else 0.0
    hi = d.max if d.max is not None else lo + 100.0
    span = max(hi - lo, 1e-9)
    name = d.name.lower()
    # Which way wear moves the signal is the model's word (a filter's differential pressure
    # rises as it clogs, a pump's outlet pressure falls), never the tag's name.
    direction = -1.0 if d.wear == "falls" else 1.0
    if "temp" in name:
        ambient = min(max(20.0, lo), hi)
        levels = (ambient, lo + 0.25 * span, lo + 0.4 * span)
        levels = (levels[0], max(levels[1], ambient), max(levels[2], ambient + 0.1 * span))
    elif "vib" in name:
        levels = (lo + 0.01 * span, lo + 0.05 * span, lo + 0.12 * span)
    elif "pressure" in name:
        levels = (lo, lo + 0.4 * span, lo + 0.6 * span)
    elif "current" in name or "torque" in name or "power" in name:
        levels = (lo, lo + 0.1 * span, lo + 0.45 * span)
    else:
        levels = (lo + 0.1 * span, lo + 0.3 * span, lo + 0.5 * span)
    modes = tuple(i for i, signals in enumerate(mode_signals) if d.name in signals)
    return TagSignal(info, levels, direction, span, modes, profile, source_bounds(info))


def source_bounds(info: TagInfo) -> tuple[float, float]:
    """Return the tag's valid range in its source unit, each end nudged inside if need be.

    ``class = source * scale + offset`` rounds, so the source value of a bound may convert
    back a hair outside the range; such an end moves inward one ulp at a time until it does
    not (a step or two).
    """
    d = info.definition
    low = -math.inf if d.min is None else d.min
    high = math.inf if d.max is None else d.max
    lo, hi = sorted(((low - info.offset) / info.scale, (high - info.offset) / info.scale))

    def inside(source: float) -> bool:
        return bool(low <= source * info.scale + info.offset <= high)

    for _ in range(64):
        if not math.isfinite(lo) or inside(lo):
            break
        lo = math.nextafter(lo, math.inf)
    for _ in range(64):
        if not math.isfinite(hi) or inside(hi):
            break
        hi = math.nextafter(hi, -math.inf)
    return lo, hi
