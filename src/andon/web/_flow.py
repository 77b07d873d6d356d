"""The console's flow page: the flow map of one object type and the waiting by cause.

The flow map is the object-centric directly-follows graph of the chosen object type, drawn
here as SVG (no script, no external asset): activities in columns by their usual place in an
object's path (the median index of their steps), edges as curves whose width grows with the
frequency and whose colour goes from green to red with the median time between the two
activities, each labelled with its count and median. Beside it, the hours units waited at
each station by cause, the causes summed, and each line's bottleneck with what limits it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

import polars as pl
from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from andon.apps.flow import store_log
from andon.apps.flow.analysis import steps
from andon.apps.flow.delay import delays
from andon.ocel import directly_follows
from andon.store import flow_queries as fq
from andon.store.base import Store
from andon.time import DAY_US, to_iso

__all__ = ["FlowPage", "add_flow_routes", "flow_map", "flow_page"]

_COLUMN_W = 190
_ROW_H = 70
_NODE_W = 150
_NODE_H = 30
_PAD = 30
_MAX_EDGES = 60


def _duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return ""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _colour(share: float) -> str:
    """Green (quick) to red (slow) for a share in [0, 1]."""
    share = min(1.0, max(0.0, share))
    hue = 120.0 * (1.0 - share)
    return f"hsl({hue:.0f}, 70%, 40%)"


def _columns(positions: dict[str, float]) -> dict[str, tuple[int, int]]:
    """Column and row of each activity: columns by rounded position, rows in name order."""
    by_column: dict[int, list[str]] = {}
    for activity, position in sorted(positions.items(), key=lambda kv: (kv[1], kv[0])):
        by_column.setdefault(round(position), []).append(activity)
    placed: dict[str, tuple[int, int]] = {}
    for column, (_, names) in enumerate(sorted(by_column.items())):
        for row, name in enumerate(names):
            placed[name] = (column, row)
    return placed


def flow_map(edges: pl.DataFrame, positions: dict[str, float]) -> Markup:
    """Return the flow map as SVG: ``edges`` of one object type (``source``, ``target``,
    ``frequency``, ``median_s``), ``positions`` the usual index of each activity."""
    if edges.height == 0:
        return Markup(
            '<svg class="chart flow empty" viewBox="0 0 400 60" role="img">'
            '<text x="10" y="35">no flow in this range</text></svg>'
        )
    shown = edges.sort(["frequency", "source", "target"], descending=[True, False, False]).head(
        _MAX_EDGES
    )
    names = set(shown["source"]) | set(shown["target"])
    placed = _columns({n: positions.get(n, 0.0) for n in names})
    columns = max(c for c, _ in placed.values()) + 1
    rows = max(r for _, r in placed.values()) + 1
    width = _PAD * 2 + columns * _COLUMN_W
    height = _PAD * 2 + rows * _ROW_H + 20
    medians = [m for m in shown["median_s"].to_list() if m is not None]
    slowest = max(medians) if medians else 1.0
    busiest = max(shown["frequency"].to_list())

    def centre(name: str) -> tuple[float, float]:
        column, row = placed[name]
        return _PAD + column * _COLUMN_W + _NODE_W / 2, _PAD + row * _ROW_H + _NODE_H / 2

    parts = [
        f'<svg class="chart flow" viewBox="0 0 {width} {height}" role="img" aria-label="flow map">',
        (
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
            'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/>'
            "</marker></defs>"
        ),
    ]
    for row in shown.iter_rows(named=True):
        (x1, y1), (x2, y2) = centre(row["source"]), centre(row["target"])
        median = row["median_s"]
        colour = _colour((median or 0.0) / slowest if slowest > 0 else 0.0)
        stroke = 1.0 + 5.0 * math.log1p(row["frequency"]) / math.log1p(busiest)
        if row["source"] == row["target"]:
            path = (
                f"M{x1 - 20:.0f},{y1 - _NODE_H / 2:.0f} C{x1 - 40:.0f},{y1 - 60:.0f} "
                f"{x1 + 40:.0f},{y1 - 60:.0f} {x1 + 20:.0f},{y1 - _NODE_H / 2:.0f}"
            )
            lx, ly = x1, y1 - 48
        else:
            sx = x1 + (_NODE_W / 2 if x2 > x1 else -_NODE_W / 2 if x2 < x1 else 0)
            ex = x2 - (_NODE_W / 2 if x2 > x1 else -_NODE_W / 2 if x2 < x1 else 0)
            sy = y1 + (0 if x2 != x1 else _NODE_H / 2)
            ey = y2 - (0 if x2 != x1 else _NODE_H / 2)
            bend = 0 if x2 != x1 else 60
            path = (
                f"M{sx:.0f},{sy:.0f} C{(sx + ex) / 2 + bend:.0f},{sy:.0f} "
                f"{(sx + ex) / 2 + bend:.0f},{ey:.0f} {ex:.0f},{ey:.0f}"
            )
            lx, ly = (sx + ex) / 2 + bend * 0.75, (sy + ey) / 2 - 4
        title = (
            f"{row['source']} → {row['target']}: {row['frequency']} times, "
            f"median {_duration(median)}"
        )
        parts.append(
            f'<g class="edge" data-source="{escape(row["source"])}" '
            f'data-target="{escape(row["target"])}" data-frequency="{row["frequency"]}">'
            f"<title>{escape(title)}</title>"
            f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{stroke:.1f}" '
            f'marker-end="url(#arrow)"/>'
            f'<text x="{lx:.0f}" y="{ly:.0f}" text-anchor="middle" class="tick">'
            f"{row['frequency']} · {escape(_duration(median))}</text></g>"
        )
    for name, (column, row_index) in sorted(placed.items()):
        x, y = _PAD + column * _COLUMN_W, _PAD + row_index * _ROW_H
        label = name if len(name) <= 22 else name[:21] + "…"
        parts.append(
            f'<g class="activity" data-activity="{escape(name)}"><title>{escape(name)}</title>'
            f'<rect x="{x}" y="{y}" width="{_NODE_W}" height="{_NODE_H}" rx="6" '
            f'fill="#f4f6f8" stroke="#456"/>'
            f'<text x="{x + _NODE_W / 2}" y="{y + 19}" text-anchor="middle">'
            f"{escape(label)}</text></g>"
        )
    parts.append(
        f'<text class="unit" x="{_PAD}" y="{height - 8}">edge colour: median time, green '
        f"quick to red slow (slowest {escape(_duration(slowest))}); width: frequency</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value inside is escaped or numeric


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowPage:
    """What the flow page shows."""

    start: str
    end: str
    object_type: str
    object_types: list[str]
    flow: Markup | None
    """The flow map, or None for a user who does not see every site."""
    causes: list[dict[str, Any]]
    by_cause: list[tuple[str, float, float]]
    """Each cause, its hours and its share of the largest (for the bar)."""
    lines: list[dict[str, Any]]


def flow_page(
    store: Store,
    *,
    object_type: str,
    days: float,
    every_site: bool,
    can_see: Callable[[str], bool],
    unit_prices: dict[str, float],
) -> FlowPage:
    """Return the flow page of the ``days`` up to the newest order or unit record."""
    newest = fq.newest(store)
    end = (newest + 1) if newest is not None else 0
    start = end - round(days * DAY_US)
    flow: Markup | None = None
    object_types: list[str] = []
    if every_site:
        log = store_log(store, start=start, end=end, equipment_states=False)
        object_types = sorted(set(log.objects["type"].to_list()))
        graph = directly_follows(log, object_types=[object_type])
        positions = (
            steps(log, [object_type])
            .with_columns(pl.int_range(pl.len()).over("object_id").alias("_index"))
            .group_by("activity")
            .agg(pl.col("_index").median())
            .collect()
        )
        flow = flow_map(graph.edges, dict(positions.iter_rows()))
    report = delays(store, start=start, end=end, unit_prices=unit_prices)
    causes = [r for r in report.causes.iter_rows(named=True) if can_see(r["station"])]
    totals: dict[str, float] = {}
    for r in causes:
        totals[r["cause"]] = totals.get(r["cause"], 0.0) + float(r["hours"])
    top = max(totals.values(), default=0.0)
    by_cause = [
        (cause, hours, hours / top if top > 0 else 0.0)
        for cause, hours in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    lines = [r for r in report.lines.iter_rows(named=True) if can_see(r["line"])]
    return FlowPage(
        start=to_iso(start),
        end=to_iso(end),
        object_type=object_type,
        object_types=object_types,
        flow=flow,
        causes=causes[:30],
        by_cause=by_cause,
        lines=lines,
    )


def add_flow_routes(app: FastAPI, console: Any) -> None:
    """Add the flow page (``/flow``) to the console's app."""

    @app.get("/flow", response_class=HTMLResponse, include_in_schema=False)
    def flow(
        request: Request,
        object_type: str = Query("unit", max_length=100),
        days: float = Query(7.0, gt=0, le=90),
    ) -> HTMLResponse:
        who, secret = console.principal(request)
        prices = {n: p.unit_price for n, p in console.model.products.items() if p.unit_price > 0}
        page = flow_page(
            console.store,
            object_type=object_type,
            days=days,
            every_site=all(who.can_see(site) for site in console.model.sites),
            can_see=who.can_see,
            unit_prices=prices,
        )
        response: HTMLResponse = console.render.page(
            request,
            "flow.html",
            console.context(request, who, secret, active="/flow", title="Flow", page=page),
        )
        return response
