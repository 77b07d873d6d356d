"""What the enterprise overview shows: sites side by side on ISO 22400-2 KPIs, their trend,
the OEE loss tree, and the gap to the best site by loss, all from :mod:`andon.kpi`.

KPIs over a week of a whole enterprise take longer than a page may, so the overview is
computed once per new data and kept: a request is served from the last result while a
fresh one is computed in the background (the page says which time it shows).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from andon.errors import AndonError
from andon.kpi import Grain, aggregate, compare_sites, compute, kpis, loss_tree
from andon.model import Model
from andon.store.base import Store
from andon.time import DAY_US
from andon.web._app import Console
from andon.web._charts import PALETTE, Bar, LineSeries, bars, line_chart
from andon.web._freshness import StoppedFeed, from_run, visible
from andon.web._render import format_time

__all__ = [
    "OVERVIEW_KPIS",
    "Overview",
    "OverviewCache",
    "add_overview_routes",
    "build_overview",
    "element_kpis",
]


OVERVIEW_KPIS: tuple[tuple[str, str, str], ...] = (
    ("oee", "OEE", "pct"),
    ("availability", "Availability", "pct"),
    ("effectiveness", "Effectiveness", "pct"),
    ("quality_ratio", "Quality ratio", "pct"),
    ("scrap_ratio", "Scrap ratio", "pct"),
    ("setup_ratio", "Setup ratio", "pct"),
    ("throughput_rate", "Throughput", "units/h"),
    ("mtbf_h", "MTBF", "h"),
    ("mttr_h", "MTTR", "h"),
    ("energy_per_unit_kwh", "Energy per unit", "kWh"),
    ("technical_efficiency", "Technical efficiency", "pct"),
    ("first_pass_yield", "First pass yield", "pct"),
)
"""KPI column, label and how to show it, in the order of the site cards."""

LOSS_LABELS = {
    "breakdowns": "Breakdowns",
    "minor_stops": "Minor stops",
    "setups": "Setups",
    "delays": "Delays (idle, starved, blocked)",
    "unaccounted": "Unaccounted",
    "speed": "Speed loss",
    "scrap": "Scrap",
    "rework": "Rework",
}


def _text(value: float | None, how: str) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    if how == "pct":
        return f"{value * 100:.1f}%"
    return f"{value:,.1f} {how}"


@dataclass(frozen=True, slots=True, kw_only=True)
class KpiCell:
    """One KPI of one site, as shown and as computed."""

    key: str
    label: str
    text: str
    raw: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteCard:
    """One site's card on the overview."""

    path: str
    name: str
    kpis: list[KpiCell]


@dataclass(frozen=True, slots=True, kw_only=True)
class GapRow:
    """How far one site is behind the best site on one loss."""

    site: str
    loss: str
    value: str
    best: str
    gap: str
    best_path: str = ""
    """The best site's path: a row is shown only to a user who may see both sites."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Overview:
    """Everything the overview page shows, for one time range."""

    start: int
    end: int
    sites: list[SiteCard]
    series: list[tuple[str, LineSeries]]
    daily: list[tuple[str, int, float | None]]
    """Site path, day start (UTC micros) and the day's OEE, as the trend draws them."""
    losses: list[tuple[str, str, float, float]]
    gaps: list[tuple[str, GapRow]]
    gap_note: str
    currency: str
    stopped: list[StoppedFeed] = field(default_factory=list)
    """Equipment whose data stopped before the end (the KPI run's ``data.stopped``)."""
    computed_at: float = field(default_factory=time.time)
    computed_in_s: float = 0.0

    def figures(self) -> dict[str, dict[str, float | None]]:
        """Return site -> KPI -> value, as computed (used to check the page against the API)."""
        return {s.path: {k.key: k.raw for k in s.kpis} for s in self.sites}

    def view(self, can_see: Callable[[str], bool]) -> dict[str, Any]:
        """Return the page's parts limited to the sites a user may see."""
        trend = [s for path, s in self.series if can_see(path)]
        hours: dict[str, float] = {}
        money: dict[str, float] = {}
        for site, loss, h, m in self.losses:
            if can_see(site):
                hours[loss] = hours.get(loss, 0.0) + h
                money[loss] = money.get(loss, 0.0) + m
        tree = sorted(
            (
                Bar(
                    label=LOSS_LABELS[loss],
                    value=h,
                    text=f"{h:,.0f} h · {money[loss]:,.0f} {self.currency}",
                    colour="#d64545" if loss == "breakdowns" else "#e07b39",
                )
                for loss, h in hours.items()
            ),
            key=lambda b: -b.value,
        )
        gaps = [g for site, g in self.gaps if can_see(site) and can_see(g.best_path)]
        return {
            "sites": [s for s in self.sites if can_see(s.path)],
            "trend": line_chart(trend, height=200, y_floor=0.0),
            "partial_days": sorted(
                {day for _, day, _ in self.daily if day < self.start or day + DAY_US > self.end}
            ),
            "trend_names": [s.name for s in trend],
            "daily_sites": [(p, s.name) for p, s in self.series if can_see(p)],
            "daily_days": sorted({day for _, day, _ in self.daily}),
            "daily_oee": {(p, day): v for p, day, v in self.daily if can_see(p)},
            "loss_tree": bars(tree, width=520),
            "gaps": gaps,
            "gap_note": self.gap_note,
            "palette": PALETTE,
            "overview_start": self.start,
            "overview_end": self.end,
            "stopped": visible(self.stopped, can_see),
        }


def _floats(frame: pl.DataFrame, column: str) -> list[float | None]:
    if column not in frame.columns:
        return [None] * frame.height
    return [None if v is None else float(v) for v in frame[column].to_list()]


def build_overview(store: Store, model: Model, *, now: int, days: int = 7) -> Overview:
    """Compute the overview for the ``days`` before ``now`` from the store's records."""
    started = time.perf_counter()
    start, end = now - days * DAY_US, now
    run = compute(store, model, start=start, end=end, period="day")
    elements = run.elements
    names = {f"{model.root}/{s.id}": s.name or s.id for s in model.plant.sites}
    cards: list[SiteCard] = []
    totals = kpis(aggregate(elements, Grain.SITE, by_period=False)) if elements.height else None
    for site_path, site_name in names.items():
        row: dict[str, Any] = {}
        if totals is not None:
            hit = totals.filter(pl.col("path") == site_path)
            if hit.height:
                row = hit.row(0, named=True)
        cells = [
            KpiCell(
                key=key,
                label=label,
                text=_text(row.get(key), how),
                raw=None if row.get(key) is None else float(row[key]),
            )
            for key, label, how in OVERVIEW_KPIS
        ]
        cards.append(SiteCard(path=site_path, name=site_name, kpis=cells))
    series: list[tuple[str, LineSeries]] = []
    daily_rows: list[tuple[str, int, float | None]] = []
    losses: list[tuple[str, str, float, float]] = []
    gaps: list[tuple[str, GapRow]] = []
    gap_note = "Not enough production in this period to compare sites."
    if elements.height:
        daily = run.kpis(Grain.SITE)
        for site_path, site_name in names.items():
            part = daily.filter(pl.col("path") == site_path).sort("period_start")
            if not part.height:
                continue
            x = part["period_start"].dt.epoch("us").to_numpy().astype(np.float64)
            y = np.array(
                [np.nan if v is None else v * 100 for v in _floats(part, "oee")], dtype=np.float64
            )
            # A day cut by the window's start or end is not drawn: its OEE covers a few hours
            # and would read as a dip. The table below still lists it, marked partial.
            whole = (x >= start) & (x + DAY_US <= end)
            series.append((site_path, LineSeries(name=site_name, x=x[whole], y=y[whole], unit="%")))
            for start_us, value in zip(x.tolist(), _floats(part, "oee"), strict=True):
                daily_rows.append((site_path, int(start_us), value))
        tree = loss_tree(elements, model, Grain.SITE, by_period=False)
        for row in tree.iter_rows(named=True):
            loss = str(row["loss"])
            if loss in LOSS_LABELS:
                losses.append(
                    (
                        str(row["path"]),
                        loss,
                        float(row.get("hours") or 0.0),
                        float(row.get("money") or 0.0),
                    )
                )
        compared = compare_sites(elements, model)
        if "gap_points" in compared.columns:
            behind = compared.filter(
                (pl.col("loss") != "valuable")
                & (pl.col("gap_points").is_not_null())
                & (pl.col("gap_points") > 0)
                & (pl.col("path") != pl.col("best_path"))
            ).sort("gap_points", descending=True)
            for row in behind.head(12).iter_rows(named=True):
                best_name = names.get(str(row["best_path"]), str(row["best_path"]))
                gaps.append(
                    (
                        str(row["path"]),
                        GapRow(
                            site=names.get(str(row["path"]), str(row["path"])),
                            loss=LOSS_LABELS.get(str(row["loss"]), str(row["loss"])),
                            value=f"{float(row['share']) * 100:.1f}% of PBT",
                            best=f"{float(row['best_share']) * 100:.1f}% ({best_name})",
                            gap=f"{float(row['gap_points']):.1f} pts · "
                            f"{float(row.get('gap_hours') or 0):,.0f} h",
                            best_path=str(row["best_path"]),
                        ),
                    )
                )
            if not gaps:
                gap_note = "No site is behind the best one on any loss in this period."
    return Overview(
        start=start,
        end=end,
        sites=cards,
        series=series,
        daily=daily_rows,
        losses=losses,
        gaps=gaps,
        gap_note=gap_note,
        currency=model.currency,
        stopped=from_run(run),
        computed_in_s=time.perf_counter() - started,
    )


def element_kpis(
    store: Store, model: Model, path: str, *, now: int, days: int = 7
) -> dict[str, Any]:
    """Return a line's (or area's, site's) KPI cards over the ``days`` before ``now``: the
    element itself first, then each equipment below it, as ISO 22400-2 sums them."""
    start = now - days * DAY_US
    try:
        run = compute(store, model, start=start, end=now + 1, period="day", path_prefix=path)
    except AndonError:
        return {}
    stopped = from_run(run)
    if not run.elements.height:
        return {
            "cards": [],
            "period": f"the {days} days to {format_time(now)} UTC",
            "stopped": stopped,
        }
    depth = path.count("/")
    grain = {1: Grain.SITE, 2: Grain.AREA, 3: Grain.LINE}.get(depth, Grain.LINE)
    cards: list[SiteCard] = []
    for level in (grain, Grain.EQUIPMENT):
        rows = kpis(aggregate(run.elements, level, by_period=False))
        for row in rows.sort("path").iter_rows(named=True):
            if not str(row["path"]).startswith(path):
                continue
            cells = [
                KpiCell(
                    key=key,
                    label=label,
                    text=_text(row.get(key), how),
                    raw=None if row.get(key) is None else float(row[key]),
                )
                for key, label, how in OVERVIEW_KPIS[:6]
            ]
            name = str(row["path"])[len(path) + 1 :] or str(row["path"]).rsplit("/", 1)[-1]
            cards.append(SiteCard(path=str(row["path"]), name=name, kpis=cells))
    return {
        "cards": cards,
        "period": f"the {days} days to {format_time(now)} UTC",
        "stopped": stopped,
    }


class OverviewCache:
    """Keep the last overview; recompute in the background when newer data has arrived."""

    def __init__(
        self,
        *,
        build: Callable[[int], Overview],
        now: Callable[[], int],
        max_age_s: float = 30.0,
    ) -> None:
        self._build = build
        self._now = now
        self._max_age_s = max_age_s
        self._lock = threading.Lock()
        self._value: tuple[int, Overview] | None = None
        self._refreshing = False

    def _refresh(self, now: int) -> None:
        try:
            value = self._build(now)
            with self._lock:
                self._value = (now, value)
        finally:
            with self._lock:
                self._refreshing = False

    def get(self) -> Overview:
        """Return the newest overview; compute it now only when there is none yet."""
        now = self._now()
        with self._lock:
            current = self._value
            stale = current is None or (
                current[0] != now and time.time() - current[1].computed_at > self._max_age_s
            )
            start_refresh = stale and current is not None and not self._refreshing
            if start_refresh:
                self._refreshing = True
        if current is None:
            value = self._build(now)
            with self._lock:
                self._value = (now, value)
            return value
        if start_refresh:
            threading.Thread(target=self._refresh, args=(now,), daemon=True).start()
        return current[1]

    def warm(self) -> None:
        """Compute the overview now (at start-up, so the first visitor does not wait)."""
        now = self._now()
        value = self._build(now)
        with self._lock:
            self._value = (now, value)


def add_overview_routes(
    app: FastAPI, console: Console, *, days: int = 7, max_age_s: float = 30.0
) -> OverviewCache:
    """Add the enterprise overview at ``/``; return its cache (warm it at start-up)."""
    cache = OverviewCache(
        build=lambda now: build_overview(console.store, console.model, now=now, days=days),
        now=console.now,
        max_age_s=max_age_s,
    )

    console.node_extra = lambda path, now: element_kpis(
        console.store, console.model, path, now=now, days=days
    )

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview(request: Request) -> HTMLResponse:
        who, secret = console.principal(request)
        data = cache.get()
        model = console.model
        return console.render.page(
            request,
            "overview.html",
            console.context(
                request,
                who,
                secret,
                active="/",
                title="Overview",
                enterprise=model.plant.enterprise.name or model.root,
                period_label=f"the {days} days to {format_time(data.end)} UTC",
                **data.view(who.can_see),
            ),
        )

    return cache
