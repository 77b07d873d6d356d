"""What the quality pages show: the data-quality page (quarantined records by reason and by
source), and the latent-risk pages (SPC charts with their limits, zones and violated rules,
the T² and SPE chart with the contributions of an alarm, a unit's page, held units and lots,
batches awaiting the lab), drawn on the server as SVG."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from andon.apps.quality import HOLD, QualityApp
from andon.apps.quality.spc import CannotJudge
from andon.apps.quality.views import (
    MultivariateView,
    SpcView,
    multivariate_view,
    spc_view,
    unit_view,
)
from andon.decisions import DecisionFilter, DecisionRecord, Role, Status
from andon.decisions import Principal as DecisionPrincipal
from andon.model import Model
from andon.store.base import Store
from andon.time import DAY_US
from andon.web._charts import Bar, LineSeries, bars, line_chart, nice_ticks, time_ticks

__all__ = [
    "LatentPage",
    "QualityPage",
    "add_latent_quality_routes",
    "control_chart",
    "latent_page",
    "monitor_chart",
    "quality_page",
]

LATENT_NAV = "/quality/latent"
"""The menu entry the latent-risk, SPC, monitor and unit pages light up."""


@dataclass(frozen=True, slots=True, kw_only=True)
class QualityPage:
    """Quarantine counts by reason, by source, by the three together, and the latest rows."""

    total: int
    by_reason: list[tuple[str, int]]
    by_source: list[tuple[str, int]]
    rows: list[dict[str, object]]
    recent: list[dict[str, object]]


def quality_page(
    store: Store, *, recent: int = 50, can_see: Callable[[str | None], bool] | None = None
) -> QualityPage:
    """Return the quarantine summary and the most recent quarantined rows.

    With ``can_see``, only rows whose path the user may see are counted and listed: a user
    scoped to one site never learns what another site quarantined. Scoping reads the
    quarantined rows themselves (the summary has no path), deciding once per distinct path.
    """
    if can_see is None:
        summary = pl.from_arrow(store.quarantine_summary())
    else:
        scoped = pl.from_arrow(store.quarantined().select(["kind", "source", "reason", "path"]))
        assert isinstance(scoped, pl.DataFrame)
        paths = scoped["path"].unique().to_list()
        visible = [p for p in paths if p is not None and can_see(p)]
        in_scope = pl.col("path").is_in(visible)
        if can_see(None):
            in_scope = in_scope | pl.col("path").is_null()
        summary = (
            scoped.filter(in_scope)
            .group_by(["kind", "source", "reason"])
            .agg(pl.len().cast(pl.Int64).alias("rows"))
            .sort(["rows", "kind", "reason"], descending=[True, False, False])
        )
    assert isinstance(summary, pl.DataFrame)
    if summary.height == 0:
        return QualityPage(total=0, by_reason=[], by_source=[], rows=[], recent=[])
    summary = summary.with_columns(pl.col("source").fill_null("(unknown)"))

    def totals(column: str) -> list[tuple[str, int]]:
        grouped = summary.group_by(column).agg(pl.col("rows").sum()).sort("rows", descending=True)
        return [
            (str(k), int(v))
            for k, v in zip(grouped[column].to_list(), grouped["rows"].to_list(), strict=True)
        ]

    # Only the last month is read for the list: the counts above cover everything.
    month_ago = int((time.time() - 30 * 86_400) * 1_000_000)
    latest = store.quarantined(start=month_ago)
    if can_see is not None:
        paths = latest.column("path").to_pylist()
        latest = latest.filter(pa.array([can_see(p) for p in paths], type=pa.bool_()))
    tail = latest.slice(max(latest.num_rows - recent, 0)).to_pylist()[::-1]
    return QualityPage(
        total=int(summary["rows"].sum()),
        by_reason=totals("reason"),
        by_source=totals("source"),
        rows=summary.to_dicts(),
        recent=tail,
    )


# --------------------------------------------------------------------------------------------
# Latent quality risk: SPC charts, T² and SPE, a unit's page, held units and lots.


def control_chart(view: SpcView, *, width: int = 760, height: int = 220) -> Markup:
    """Return an SVG individuals chart: the points, the centre line, the control limits,
    the zones at one and two sigma shaded, the specification limits dashed, and each point
    that violates a rule marked red with the rules in its title (``data-rules``)."""
    pad_l, pad_r, pad_t, pad_b = 56, 10, 14, 22
    x = np.array([p.ts_us for p in view.points], dtype=np.float64)
    y = np.array([p.value for p in view.points], dtype=np.float64)
    marks = [v for v in (view.lsl, view.usl) if v is not None]
    lo = float(min(y.min(), view.lower, *marks))
    hi = float(max(y.max(), view.upper, *marks))
    ticks = nice_ticks(lo, hi)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    x_lo, x_hi = float(x[0]), float(max(x[-1], x[0] + 1))
    left, top, right, bottom = pad_l, pad_t, width - pad_r, height - pad_b

    def px(v: npt.NDArray[np.float64] | float) -> npt.NDArray[np.float64]:
        return np.asarray(left + (np.asarray(v) - x_lo) / (x_hi - x_lo) * (right - left))

    def py(v: npt.NDArray[np.float64] | float) -> npt.NDArray[np.float64]:
        return np.asarray(bottom - (np.asarray(v) - lo) / (hi - lo) * (bottom - top))

    parts = [f'<svg class="chart spc" viewBox="0 0 {width} {height}" role="img">']
    z = view.zones  # -3, -2, -1, +1, +2, +3 sigma
    for (a, b), shade in (((z[0], z[1]), 0.10), ((z[1], z[2]), 0.05), ((z[3], z[4]), 0.05),
                          ((z[4], z[5]), 0.10)):  # fmt: skip
        parts.append(
            f'<rect class="zone" x="{left}" width="{right - left}" y="{float(py(b)):.1f}" '
            f'height="{float(py(a) - py(b)):.1f}" fill="#e07b39" fill-opacity="{shade}"/>'
        )
    parts.extend(
        f'<text class="tick y" x="{left - 4}" y="{float(py(value)) + 3:.1f}" '
        f'text-anchor="end">{value:g}</text>'
        for value in ticks
    )
    parts.extend(
        f'<text class="tick x" x="{float(px(value)):.1f}" y="{bottom + 14}" '
        f'text-anchor="middle">{escape(label)}</text>'
        for value, label in time_ticks(x_lo, x_hi)
    )
    lines: tuple[tuple[str, float | None, str], ...] = (
        ("centre", view.centre, 'stroke="#2e9d5b"'),
        ("ucl", view.upper, 'stroke="#d64545"'),
        ("lcl", view.lower, 'stroke="#d64545"'),
        ("usl", view.usl, 'stroke="#5f6b7a" stroke-dasharray="6 3"'),
        ("lsl", view.lsl, 'stroke="#5f6b7a" stroke-dasharray="6 3"'),
    )
    for name, value, style in lines:
        if value is None:
            continue
        parts.append(
            f'<line class="limit {name}" data-value="{value:.6g}" x1="{left}" x2="{right}" '
            f'y1="{float(py(value)):.1f}" y2="{float(py(value)):.1f}" {style}>'
            f"<title>{name} {value:.6g}</title></line>"
        )
    coords = np.column_stack([px(x), py(y)]).round(1)
    line = " ".join(f"{a:g},{b:g}" for a, b in coords.tolist())
    parts.append(
        f'<polyline class="series" data-points="{len(x)}" fill="none" stroke="#2f6fd6" '
        f'stroke-width="1" points="{line}"/>'
    )
    for point, (cx, cy) in zip(view.points, coords.tolist(), strict=True):
        if not point.rules:
            continue
        rules = " ".join(point.rules)
        parts.append(
            f'<circle class="violation" data-rules="{escape(rules)}" cx="{cx:g}" cy="{cy:g}" '
            f'r="3" fill="#d64545"><title>{escape(point.serial)} {point.value:.4g}: '
            f"{escape(rules)}</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value inside is escaped or numeric


def monitor_chart(view: MultivariateView, statistic: str) -> Markup:
    """Return an SVG of one multivariate statistic (``t2`` or ``spe``) with its limit."""
    values = np.asarray(view.t2 if statistic == "t2" else view.spe, dtype=np.float64)
    x = np.asarray(view.ts_us, dtype=np.float64)
    limit = view.limits[statistic]
    return line_chart(
        [
            LineSeries(name=statistic, x=x, y=values),
            LineSeries(name=f"{statistic} limit", x=x, y=np.full(len(x), limit)),
        ]
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class LatentPage:
    """The latent-risk overview: charts one can open, held decisions, batches at the lab."""

    charts: list[dict[str, str]]
    products: list[str]
    held: list[dict[str, object]]
    awaiting_lab: list[dict[str, object]]


def _visible_products(model: Model, can_see: Callable[[str | None], bool]) -> list[str]:
    return sorted(
        p.id
        for p in model.products.values()
        if not p.routings or any(can_see(f"{model.root}/{r.line}") for r in p.routings)
    )


def latent_page(
    store: Store,
    model: Model,
    *,
    held: list[DecisionRecord],
    now: int,
    can_see: Callable[[str | None], bool],
) -> LatentPage:
    """Return the charts a quality engineer can open (one per product, station and
    specification parameter), the units and lots held, and the batches awaiting the lab."""
    charts: list[dict[str, str]] = []
    products = _visible_products(model, can_see)
    for product in products:
        info = model.products[product]
        for routing in info.routings:
            line = f"{model.root}/{routing.line}"
            charts.extend(
                {"product": product, "station": path, "parameter": spec.parameter}
                for spec in info.spec_limits
                for path in sorted(model.equipment)
                if path.startswith(f"{line}/{spec.cell}/") and can_see(path)
            )
    waiting = QualityApp().batches_awaiting_lab(store, model, now=now)
    rows = (
        []
        if waiting.height == 0
        else waiting.select("serial", "product", "t2", "limit", "inside", "confidence").to_dicts()
    )
    return LatentPage(
        charts=charts,
        products=products,
        held=[
            {
                "id": r.id,
                "station": r.subject,
                "status": r.status.value,
                "units": list(r.action.units),
                "lots": list(r.action.lots),
                "decided_at": r.decided_at,
            }
            for r in held
            if r.action.kind == HOLD and can_see(r.subject)
        ],
        awaiting_lab=rows,
    )


def add_latent_quality_routes(app: FastAPI, console: Any) -> None:
    """Add the latent-risk pages: ``/quality/latent`` (overview and held units),
    ``/quality/spc``, ``/quality/multivariate`` and ``/quality/unit/{serial}``."""

    def held(request: Request, who: Any) -> list[DecisionRecord]:
        decisions = request.app.state.andon.decisions
        principal = DecisionPrincipal(
            username=who.username, role=Role(str(who.role)), sites=who.sites
        )
        return list(
            decisions.list(
                DecisionFilter(app="quality", statuses=(Status.APPROVED, Status.EXECUTED)),
                who=principal,
                limit=200,
            )
        )

    def page(request: Request, template: str, title: str, **extra: Any) -> HTMLResponse:
        who, secret = console.principal(request)
        return console.render.page(  # type: ignore[no-any-return]
            request,
            template,
            console.context(request, who, secret, active=LATENT_NAV, title=title, **extra),
        )

    def window(now: int) -> tuple[int, int]:
        return now - 7 * DAY_US, now + 1

    @app.get("/quality/latent", response_class=HTMLResponse, include_in_schema=False)
    def latent(request: Request) -> HTMLResponse:
        who, _ = console.principal(request)
        overview = latent_page(
            console.store, console.model, held=held(request, who), now=console.now(),
            can_see=who.can_see,
        )  # fmt: skip
        return page(request, "quality_latent.html", "Latent quality risk", page=overview)

    @app.get("/quality/spc", response_class=HTMLResponse, include_in_schema=False)
    def spc(request: Request, product: str, station: str, parameter: str) -> HTMLResponse:
        who, _ = console.principal(request)
        if product not in console.model.products or not who.can_see(station):
            raise console.not_found(station, who)
        start, end = window(console.now())
        view = spc_view(
            console.store, console.model, product=product, station=station,
            parameter=parameter, start=start, end=end,
        )  # fmt: skip
        judged = not isinstance(view, CannotJudge)
        return page(
            request,
            "quality_spc.html",
            f"SPC {parameter}",
            product=product,
            station=station,
            parameter=parameter,
            view=view if judged else None,
            why=None if judged else view,
            chart=control_chart(view) if not isinstance(view, CannotJudge) else None,
            violations=[p for p in view.points if p.rules][-50:]
            if not isinstance(view, CannotJudge)
            else [],
        )

    @app.get("/quality/multivariate", response_class=HTMLResponse, include_in_schema=False)
    def multivariate(request: Request, product: str) -> HTMLResponse:
        who, _ = console.principal(request)
        if product not in _visible_products(console.model, who.can_see):
            raise console.not_found(product, who)
        start, end = window(console.now())
        view = multivariate_view(
            console.store, console.model, product=product, start=start, end=end
        )
        if isinstance(view, CannotJudge):
            return page(request, "quality_multivariate.html", f"T² and SPE of {product}",
                        product=product, view=None, why=view)  # fmt: skip
        alarm = view.alarms[0] if view.alarms else None
        return page(
            request,
            "quality_multivariate.html",
            f"T² and SPE of {product}",
            product=product,
            view=view,
            why=None,
            t2_chart=monitor_chart(view, "t2"),
            spe_chart=monitor_chart(view, "spe"),
            alarm=alarm,
            alarm_bars=None
            if alarm is None
            else bars(
                [
                    Bar(label=name, value=max(part, 0.0), text=f"{part:.3g}")
                    for name, part in alarm.contributions
                ]
            ),
        )

    @app.get("/quality/unit/{serial}", response_class=HTMLResponse, include_in_schema=False)
    def unit(request: Request, serial: str) -> HTMLResponse:
        who, _ = console.principal(request)
        now = console.now()
        view = unit_view(console.store, serial=serial, end=now + 1)
        paths = {str(r["path"]) for r in view.signature} if view is not None else set()
        if view is None or (paths and not any(who.can_see(p) for p in paths)):
            raise console.not_found(serial, who)
        assessment = (
            QualityApp().assess_unit(console.store, console.model, serial=serial, now=now + 1)
            if view.signature
            else None
        )
        return page(
            request, "quality_unit.html", f"Unit {serial}", unit=view, assessment=assessment
        )
