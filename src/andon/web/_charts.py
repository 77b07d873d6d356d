"""Charts drawn on the server as SVG: line trends, state timelines and horizontal bars.

Drawing on the server keeps the console free of any chart library and of the internet: the
browser receives a finished picture, a few kilobytes, already downsampled
(:mod:`andon.series`) to at most :data:`andon.series.MAX_POINTS` points per series. Each
series carries ``data-points`` so that tests (and people) can check the budget.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
import numpy.typing as npt
from markupsafe import Markup

from andon.series import MAX_POINTS, downsample

__all__ = ["STATE_COLOURS", "Bar", "LineSeries", "bars", "line_chart", "state_timeline"]

STATE_COLOURS = {
    "running": "#2e9d5b",
    "idle": "#c9ced6",
    "starved": "#f0b429",
    "blocked": "#e07b39",
    "setup": "#5b8def",
    "planned_down": "#8c6bb1",
    "unplanned_down": "#d64545",
    "offline": "#5f6b7a",
}
PALETTE = ("#2f6fd6", "#d64545", "#2e9d5b", "#e07b39", "#8c6bb1", "#13a3a3", "#8a8f98")


@dataclass(frozen=True, slots=True, kw_only=True)
class LineSeries:
    """One named series: x in UTC microseconds (or any increasing number), y in its unit."""

    name: str
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    unit: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Bar:
    """One horizontal bar with its label and a formatted value."""

    label: str
    value: float
    text: str
    colour: str = "#2f6fd6"


def _fmt_time(micros: float, span_s: float) -> str:
    when = dt.datetime.fromtimestamp(micros / 1e6, tz=dt.UTC)
    return when.strftime("%H:%M" if span_s <= 2 * 86_400 else "%d %b")


def _nice(value: float) -> str:
    if value == 0 or 0.01 <= abs(value) < 10_000:
        return f"{value:.3g}"
    return f"{value:.2e}"


def line_chart(
    series: Sequence[LineSeries],
    *,
    width: int = 760,
    height: int = 180,
    time_axis: bool = True,
    max_points: int = MAX_POINTS,
) -> Markup:
    """Return an SVG trend of one or more series, each downsampled to ``max_points``."""
    pad_l, pad_r, pad_t, pad_b = 48, 8, 10, 22
    drawn = [(s, *downsample(s.x, s.y, max_points=min(max_points, MAX_POINTS))) for s in series]
    drawn = [(s, x, y) for s, x, y in drawn if len(x)]
    if not drawn:
        return Markup(  # noqa: S704 - every value inside is escaped or numeric
            f'<svg class="chart empty" viewBox="0 0 {width} {height}" role="img">'
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">no data</text></svg>'
        )
    x_lo = min(float(x[0]) for _, x, _ in drawn)
    x_hi = max(float(x[-1]) for _, x, _ in drawn)
    y_lo = min(float(y.min()) for _, _, y in drawn)
    y_hi = max(float(y.max()) for _, _, y in drawn)
    if x_hi <= x_lo:
        x_hi = x_lo + 1.0
    if y_hi <= y_lo:
        y_lo, y_hi = y_lo - 1.0, y_hi + 1.0
    inner_w, inner_h = width - pad_l - pad_r, height - pad_t - pad_b
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img">'
    ]
    for i in range(5):
        frac = i / 4
        y_px = pad_t + inner_h * (1 - frac)
        parts.append(
            f'<line class="grid" x1="{pad_l}" x2="{width - pad_r}" y1="{y_px:.1f}" '
            f'y2="{y_px:.1f}"/><text class="tick" x="{pad_l - 4}" y="{y_px + 3:.1f}" '
            f'text-anchor="end">{_nice(y_lo + (y_hi - y_lo) * frac)}</text>'
        )
    if time_axis:
        span_s = (x_hi - x_lo) / 1e6
        for i in range(5):
            frac = i / 4
            x_px = pad_l + inner_w * frac
            label = _fmt_time(x_lo + (x_hi - x_lo) * frac, span_s)
            parts.append(
                f'<text class="tick" x="{x_px:.1f}" y="{height - 6}" '
                f'text-anchor="middle">{label}</text>'
            )
    for index, (s, x, y) in enumerate(drawn):
        px = pad_l + (x - x_lo) / (x_hi - x_lo) * inner_w
        py = pad_t + (1 - (y - y_lo) / (y_hi - y_lo)) * inner_h
        coords = np.column_stack([px, py]).round(1)
        points = " ".join(f"{a:g},{b:g}" for a, b in coords.tolist())
        colour = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<polyline class="series" data-series="{escape(s.name)}" data-points="{len(x)}" '
            f'fill="none" stroke="{colour}" stroke-width="1.3" points="{points}">'
            f"<title>{escape(s.name)} {escape(s.unit)}</title></polyline>"
        )
    parts.append("</svg>")
    return Markup(  # noqa: S704 - every value inside is escaped or numeric
        "".join(parts)
    )


def state_timeline(
    path: Sequence[str],
    state: Sequence[str],
    start_us: npt.NDArray[np.int64],
    end_us: npt.NDArray[np.int64],
    *,
    window: tuple[int, int],
    width: int = 760,
    row_height: int = 18,
    labels: Sequence[str] | None = None,
) -> Markup:
    """Return an SVG of state intervals, one row per equipment, over ``window``.

    Intervals narrower than a pixel are merged into one bar per pixel column coloured by the
    state that held longest in it, so a year of micro-stops stays a few hundred rectangles.
    """
    lo, hi = window
    span = max(hi - lo, 1)
    pad_l = 150 if labels else 4
    inner = width - pad_l - 4
    rows = list(dict.fromkeys(path))
    height = row_height * max(len(rows), 1) + 16
    parts = [f'<svg class="timeline" viewBox="0 0 {width} {height}" role="img">']
    start = np.asarray(start_us, dtype=np.int64)
    end = np.asarray(end_us, dtype=np.int64)
    paths = np.asarray(path, dtype=object)
    states = np.asarray(state, dtype=object)
    bucket_us = span / inner
    bars = 0
    for row, name in enumerate(rows):
        sel = paths == name
        s0 = np.clip(start[sel], lo, hi)
        s1 = np.clip(end[sel], lo, hi)
        st = states[sel]
        y = 4 + row * row_height
        if labels:
            label = escape(labels[rows.index(name)] if len(labels) == len(rows) else name)
            parts.append(f'<text class="tick" x="{pad_l - 6}" y="{y + 12}" text-anchor="end">')
            parts.append(f"{label}</text>")
        wide = (s1 - s0) >= bucket_us
        for a, b, state_name in zip(s0[wide], s1[wide], st[wide], strict=True):
            x = pad_l + (a - lo) / span * inner
            w = max((b - a) / span * inner, 0.5)
            colour = STATE_COLOURS.get(str(state_name), "#999")
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_height - 4}" '
                f'fill="{colour}"><title>{escape(str(state_name))}</title></rect>'
            )
            bars += 1
        narrow = ~wide & (s1 > s0)
        if narrow.any():
            column = ((s0[narrow] - lo) / bucket_us).astype(np.int64)
            dur = (s1[narrow] - s0[narrow]).astype(np.float64)
            names = st[narrow]
            # The longest state in each pixel column wins it: sort by column, then by
            # duration descending, and keep the first row of each column.
            order = np.lexsort((-dur, column))
            cols, first = np.unique(column[order], return_index=True)
            winners = names[order][first]
            for col, nm in zip(cols.tolist(), winners.tolist(), strict=True):
                x = pad_l + col * inner / max(span / bucket_us, 1)
                colour = STATE_COLOURS.get(str(nm), "#999")
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="1" height="{row_height - 4}" '
                    f'fill="{colour}"/>'
                )
                bars += 1
    parts.append(f'<desc data-bars="{bars}"></desc></svg>')
    return Markup(  # noqa: S704 - every value inside is escaped or numeric
        "".join(parts)
    )


def bars(items: Sequence[Bar], *, width: int = 420, row_height: int = 22) -> Markup:
    """Return horizontal bars scaled to the largest absolute value."""
    if not items:
        return Markup('<p class="muted">nothing to show</p>')
    top = max(abs(b.value) for b in items) or 1.0
    pad_l, pad_r = 200, 120
    inner = width - pad_l - pad_r
    height = row_height * len(items) + 4
    parts = [f'<svg class="bars" viewBox="0 0 {width} {height}" role="img">']
    for i, bar in enumerate(items):
        y = 2 + i * row_height
        w = abs(bar.value) / top * inner
        parts.append(
            f'<text class="tick" x="{pad_l - 6}" y="{y + 14}" text-anchor="end">'
            f"{escape(bar.label)}</text>"
            f'<rect x="{pad_l}" y="{y + 3}" width="{w:.1f}" height="{row_height - 8}" '
            f'fill="{bar.colour}"/>'
            f'<text class="tick" x="{pad_l + w + 4:.1f}" y="{y + 14}">{escape(bar.text)}</text>'
        )
    parts.append("</svg>")
    return Markup(  # noqa: S704 - every value inside is escaped or numeric
        "".join(parts)
    )
