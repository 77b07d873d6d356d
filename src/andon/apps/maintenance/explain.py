"""What a condition tag did, in the plant's words: "spindle_vibration up 38 % over 72 h".

The risk model reads tags as shares of their range in shared slots; a planner reads tag
names, engineering units and how far a value has moved. This module says the second from
the store's samples (in the class unit, as the contracts stored them). Pure functions of
Polars frames and the plant model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from andon.model import Model
from andon.time import HOUR_US, to_iso

__all__ = ["TagTrend", "tag_trends", "trend_words"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TagTrend:
    """How one tag moved over a window: its level at the start and at the end."""

    tag: str
    path: str
    unit: str
    window_start: int
    window_end: int
    start_value: float
    end_value: float
    low: float | None
    high: float | None
    wear: str
    """``rises`` or ``falls``: how the tag moves as the mode wears."""

    @property
    def change_pct(self) -> float | None:
        """Change from the start level, in percent of it (``None`` from a zero level)."""
        if abs(self.start_value) < 1e-12:
            return None
        return 100.0 * (self.end_value - self.start_value) / abs(self.start_value)

    @property
    def share_of_range(self) -> float | None:
        """Where the end level sits in the tag's valid range, 0 to 1 (``None``: no range)."""
        if self.low is None or self.high is None or self.high <= self.low:
            return None
        return (self.end_value - self.low) / (self.high - self.low)

    @property
    def towards_wear(self) -> float:
        """How far the tag moved the way wear moves it, as a share of its range (or of its
        start level without a range); the larger, the more it speaks for the risk."""
        span = (
            self.high - self.low
            if self.low is not None and self.high is not None and self.high > self.low
            else max(abs(self.start_value), 1e-9)
        )
        moved = (self.end_value - self.start_value) / span
        return moved if self.wear == "rises" else -moved

    def to_json(self) -> dict[str, object]:
        """Return the trend as the evidence's ``trend`` entry (see docs/decisions.md)."""
        change = self.change_pct
        share = self.share_of_range
        return {
            "tag": self.tag,
            "path": self.path,
            "unit": self.unit,
            "window_start": to_iso(self.window_start),
            "window_end": to_iso(self.window_end),
            "start_value": round(self.start_value, 4),
            "end_value": round(self.end_value, 4),
            "change_pct": None if change is None else round(change, 1),
            "share_of_range": None if share is None else round(share, 3),
            "low": self.low,
            "high": self.high,
        }


def tag_trends(
    samples: pl.DataFrame,
    model: Model,
    *,
    equipment: str,
    tags: Sequence[str],
    now: int,
    window_h: float = 72.0,
    level_h: float = 6.0,
) -> list[TagTrend]:
    """Return each tag's trend over the ``window_h`` hours before ``now``, strongest first.

    A level is the mean of the good samples in the first or the last ``level_h`` hours of the
    window; a tag with no sample in either stretch has no trend.
    """
    if samples.is_empty() or not tags:
        return []
    start = int(now - window_h * HOUR_US)
    level_us = int(level_h * HOUR_US)
    paths = [f"{equipment}/{tag}" for tag in tags]
    window = samples.filter(
        pl.col("path").is_in(paths)
        & (pl.col("ts") >= start)
        & (pl.col("ts") < now)
        & (pl.col("quality") != "bad")
        & pl.col("value").is_not_null()
        & pl.col("value").is_finite()
    )
    if window.is_empty():
        return []
    first = (
        window.filter(pl.col("ts") < start + level_us)
        .group_by("path")
        .agg(pl.col("value").mean().alias("start_value"))
    )
    last = (
        window.filter(pl.col("ts") >= now - level_us)
        .group_by("path")
        .agg(pl.col("value").mean().alias("end_value"))
    )
    levels = first.join(last, on="path", how="inner")
    out: list[TagTrend] = []
    for row in levels.iter_rows(named=True):
        info = model.tags.get(row["path"])
        if info is None:
            continue
        definition = info.definition
        a, b = float(row["start_value"]), float(row["end_value"])
        if not (math.isfinite(a) and math.isfinite(b)):
            continue
        out.append(
            TagTrend(
                tag=definition.name,
                path=row["path"],
                unit=definition.unit,
                window_start=start,
                window_end=now,
                start_value=a,
                end_value=b,
                low=definition.min,
                high=definition.max,
                wear=definition.wear,
            )
        )
    out.sort(key=lambda t: (-t.towards_wear, t.tag))
    return out


def trend_words(trend: TagTrend, *, window_h: float = 72.0) -> str:
    """Say a trend as a planner reads it.

    >>> t = TagTrend(tag="spindle_vibration", path="p/spindle_vibration", unit="mm/s",
    ...     window_start=0, window_end=1, start_value=4.42, end_value=6.1, low=0.0,
    ...     high=8.5, wear="rises")
    >>> trend_words(t)
    'spindle_vibration up 38 % over 72 h, to 6.1 mm/s, 72 % of its range'
    """
    change = trend.change_pct
    unit = "" if trend.unit in ("", "dimensionless") else f" {trend.unit}"
    value = f"{trend.end_value:.3g}{unit}"
    if change is None:
        moved = f"{trend.tag} at {value} over {window_h:.0f} h"
    elif abs(change) < 0.5:
        moved = f"{trend.tag} steady over {window_h:.0f} h, at {value}"
    else:
        way = "up" if change > 0 else "down"
        moved = f"{trend.tag} {way} {abs(change):.0f} % over {window_h:.0f} h, to {value}"
    share = trend.share_of_range
    if share is not None:
        moved += f", {share:.0%} of its range".replace("%", " %")
    return moved
