"""Plain words for the factors behind a unit's risk, from its per-feature contributions.

A feature's name says what it measures (:mod:`andon.apps.quality.signature`); its value in
the unit's row and its contribution to the model's score say how much it mattered. The words
name the station, the parameter or tag and the figure, e.g. "paste_height at print 2.1 sd
above the product's mean" or "blower_vibration of the reflow machine at 81 % of its range".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = ["factor_text"]


def _signed(value: float, unit: str) -> str:
    side = "above" if value >= 0 else "below"
    return f"{abs(value):.1f} {unit} {side}"


def factor_text(feature: str, value: float | None, shifts: Sequence[str] = ()) -> str:
    """Return a feature's value in plain words (``shifts``: the site's shift ids)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        kind, _, rest = feature.partition(":")
        cell, _, name = rest.partition(".")
        where = f"{name} at {cell}" if name else (cell or feature)
        return f"no {where} on record" if kind else f"{feature} unknown"
    kind, _, rest = feature.partition(":")
    cell, _, name = rest.partition(".")
    if kind == "z":
        return f"{name} at {cell} {_signed(value, 'sd')} the product's mean"
    if kind == "dlot":
        return f"{name} at {cell} {_signed(value, 'sd')} its lot's mean"
    if kind == "absz":
        return f"{name} at {cell} {abs(value):.1f} sd off the product's mean"
    if kind == "absdlot":
        return f"{name} at {cell} {abs(value):.1f} sd off its lot's mean"
    if kind == "cond":
        return f"{name} of the {cell} machine at {100 * value:.0f} % of its range"
    if kind == "maint_h":
        return f"{value:.0f} h since the {cell} machine's last work order"
    if kind == "setup_h":
        return f"a changeover at {cell} {value:.1f} h before"
    if feature == "shift":
        k = round(value)
        return f"on the {shifts[k]} shift" if 0 <= k < len(shifts) else "outside any shift"
    if feature == "hour":
        return f"started at {round(value):02d}:00 local time"
    if feature == "missing_stations":
        return f"{round(value)} station(s) of its routing missing from its record"
    if feature == "product":
        return "its product"
    return f"{feature} = {value:.3g}"


def top_factors(
    contributions: Mapping[str, float], values: Mapping[str, float | None], *, count: int = 3
) -> list[tuple[str, float]]:
    """Return the ``count`` features that raised the risk most, with their contributions."""
    ranked = sorted(
        ((name, weight) for name, weight in contributions.items() if weight > 0),
        key=lambda item: (-item[1], item[0]),
    )
    del values
    return ranked[:count]
