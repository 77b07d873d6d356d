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

__all__ = [
    "STATE_COLOURS",
    "Bar",
    "LineSeries",
    "band_chart",
    "bars",
    "line_chart",
    "nice_ticks",
    "state_timeline",
    "time_ticks",
]

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


_TIME_STEPS_S = (
    60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 2 * 86_400,
    7 * 86_400, 14 * 86_400, 30 * 86_400, 61 * 86_400, 91 * 86_400,
)  # fmt: skip


def nice_ticks(lo: float, hi: float, *, count: int = 5) -> list[float]:
    """Return round tick values (steps of 1, 2 or 5 times a power of ten) covering lo..hi.

    >>> nice_ticks(46.4, 47.8)
    [46.5, 47.0, 47.5]
    >>> nice_ticks(0, 100)
    [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    """
    span = hi - lo
    if span <= 0 or not np.isfinite(span):
        return [lo]
    raw = span / max(count, 1)
    power = 10.0 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)
    first = np.ceil(lo / step - 1e-9) * step
    ticks = np.arange(first, hi + step * 1e-6, step)
    return [round(float(t), 10) + 0.0 for t in ticks]  # + 0.0 turns -0.0 into 0.0


def time_ticks(lo_us: float, hi_us: float, *, count: int = 6) -> list[tuple[float, str]]:
    """Return tick times on round UTC hours or days across a window, with their labels."""
    span_s = (hi_us - lo_us) / 1e6
    step = next((s for s in _TIME_STEPS_S if span_s / s <= count), _TIME_STEPS_S[-1])
    step_us = step * 1_000_000
    first = np.ceil(lo_us / step_us) * step_us
    fmt = "%H:%M" if step < 86_400 else "%d %b"
    out = []
    for t in np.arange(first, hi_us + 1, step_us):
        when = dt.datetime.fromtimestamp(float(t) / 1e6, tz=dt.UTC)
        label = when.strftime(fmt)
        if step < 86_400 and when.hour == 0 and when.minute == 0:
            label = when.strftime("%d %b")
        out.append((float(t), label))
    return out


def _fmt_tick(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.6g}"


def _axes(
    parts: list[str],
    *,
    box: tuple[float, float, float, float],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    y_unit: str,
    time_axis: bool,
    x_unit: str = "",
) -> None:
    """Append grid lines, y ticks with the unit, and x ticks that never run off the edge."""
    left, top, right, bottom = box
    x_lo, x_hi = x_range
    y_lo, y_hi = y_range
    for value in nice_ticks(y_lo, y_hi):
        y_px = bottom - (value - y_lo) / (y_hi - y_lo) * (bottom - top)
        parts.append(
            f'<line class="grid" x1="{left}" x2="{right}" y1="{y_px:.1f}" y2="{y_px:.1f}"/>'
            f'<text class="tick y" x="{left - 4}" y="{y_px + 3:.1f}" text-anchor="end">'
            f"{_fmt_tick(value)}</text>"
        )
    if y_unit:
        parts.append(
            f'<text class="unit" x="{left - 4}" y="{top - 2}" text-anchor="end">'
            f"{escape(y_unit)}</text>"
        )
    ticks = (
        time_ticks(x_lo, x_hi)
        if time_axis
        else [(v, _fmt_tick(v) + (f" {x_unit}" if x_unit else "")) for v in nice_ticks(x_lo, x_hi)]
    )
    for value, label in ticks:
        x_px = left + (value - x_lo) / (x_hi - x_lo) * (right - left)
        # A label near an edge is anchored inside the chart, so it is never clipped.
        anchor = "end" if x_px > right - 24 else "start" if x_px < left + 24 else "middle"
        parts.append(
            f'<text class="tick x" x="{x_px:.1f}" y="{bottom + 14}" '
            f'text-anchor="{anchor}">{escape(label)}</text>'
        )


def band_chart(
    *,
    x: npt.NDArray[np.float64],
    mean: npt.NDArray[np.float64],
    low: npt.NDArray[np.float64] | None,
    high: npt.NDArray[np.float64] | None,
    name: str,
    unit: str = "",
    x_unit: str = "",
    time_axis: bool = False,
    y_floor: float | None = None,
    y_ceiling: float | None = None,
    width: int = 760,
    height: int = 180,
) -> Markup:
    """Return an SVG of a mean line inside a shaded low..high band (a min-max or a
    confidence band), over a time axis or a numeric one (``x_unit``)."""
    pad_l, pad_r, pad_t, pad_b = 52, 10, 14, 22
    keep = np.isfinite(mean)
    x, mean = x[keep], mean[keep]
    low = low[keep] if low is not None and len(low) == len(keep) else None
    high = high[keep] if high is not None and len(high) == len(keep) else None
    if not len(x):
        return line_chart([])
    y_lo = float(np.nanmin(low if low is not None else mean))
    y_hi = float(np.nanmax(high if high is not None else mean))
    if y_floor is not None:
        y_lo = min(y_lo, y_floor)
    if y_ceiling is not None:
        y_hi = max(y_hi, y_ceiling)
    if y_hi <= y_lo:
        y_lo, y_hi = y_lo - 1.0, y_hi + 1.0
    ticks = nice_ticks(y_lo, y_hi)
    y_lo, y_hi = min(y_lo, ticks[0]), max(y_hi, ticks[-1])
    x_lo, x_hi = float(x[0]), float(x[-1])
    if x_hi <= x_lo:
        x_hi = x_lo + 1.0
    left, top, right, bottom = pad_l, pad_t, width - pad_r, height - pad_b
    parts = [f'<svg class="chart band" viewBox="0 0 {width} {height}" role="img">']
    _axes(
        parts,
        box=(left, top, right, bottom),
        x_range=(x_lo, x_hi),
        y_range=(y_lo, y_hi),
        y_unit=unit,
        time_axis=time_axis,
        x_unit=x_unit,
    )
    px = left + (x - x_lo) / (x_hi - x_lo) * (right - left)

    def py(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return bottom - (values - y_lo) / (y_hi - y_lo) * (bottom - top)

    if low is not None and high is not None:
        upper = np.column_stack([px, py(high)]).round(1).tolist()
        lower = np.column_stack([px, py(low)]).round(1).tolist()[::-1]
        outline = " ".join(f"{a:g},{b:g}" for a, b in upper + lower)
        parts.append(
            f'<polygon class="range" data-series="{escape(name)}" data-points="{len(x)}" '
            f'fill="#2f6fd6" fill-opacity="0.18" stroke="none" points="{outline}"/>'
        )
    line = " ".join(f"{a:g},{b:g}" for a, b in np.column_stack([px, py(mean)]).round(1).tolist())
    parts.append(
        f'<polyline class="series mean" data-series="{escape(name)}" data-points="{len(x)}" '
        f'fill="none" stroke="#2f6fd6" stroke-width="1.4" points="{line}">'
        f"<title>{escape(name)} {escape(unit)}</title></polyline></svg>"
    )
    return Markup(  # noqa: S704 - every value inside is escaped or numeric
        "".join(parts)
    )


def line_chart(
    series: Sequence[LineSeries],
    *,
    width: int = 760,
    height: int = 180,
    time_axis: bool = True,
    max_points: int = MAX_POINTS,
    y_floor: float | None = None,
) -> Markup:
    """Return an SVG trend of one or more series, each downsampled to ``max_points``.

    The y axis has round ticks and the series' unit; ``y_floor`` keeps a value in range
    (0 for a share in %, so that a small change does not look like a crash).
    """
    pad_l, pad_r, pad_t, pad_b = 52, 10, 14, 22
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
    if y_floor is not None:
        y_lo = min(y_lo, y_floor)
    ticks = nice_ticks(y_lo, y_hi)
    y_lo, y_hi = min(y_lo, ticks[0]), max(y_hi, ticks[-1])
    inner_w, inner_h = width - pad_l - pad_r, height - pad_t - pad_b
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img">'
    ]
    units = sorted({s.unit for s, _, _ in drawn if s.unit})
    _axes(
        parts,
        box=(pad_l, pad_t, width - pad_r, height - pad_b),
        x_range=(x_lo, x_hi),
        y_range=(y_lo, y_hi),
        y_unit=", ".join(units),
        time_axis=time_axis,
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
