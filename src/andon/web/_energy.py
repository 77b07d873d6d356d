"""The energy page: energy by hour against price and carbon, by machine and state, the waste.

Every figure is the energy app's (:mod:`andon.apps.energy.views`, as the REST API serves it)
for the sites the user may see; the charts are drawn on the server (:mod:`andon.web._charts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from andon.apps.energy.accounting import account
from andon.apps.energy.app import EnergyApp
from andon.apps.energy.baseline import Baseline
from andon.apps.energy.views import EnergyReport, energy_report, waste_findings
from andon.apps.energy.waste import Waste
from andon.model import Model
from andon.store.base import Store
from andon.time import DAY_US
from andon.web._charts import STATE_COLOURS, Bar, LineSeries, bars, line_chart

__all__ = ["EnergyPage", "add_energy_routes", "energy_page"]

DAYS = (1, 7, 14, 30)
_CATEGORY_COLOURS = {
    "running": STATE_COLOURS["running"],
    "setup": STATE_COLOURS["setup"],
    "warmup": "#e07b39",
    "idle": STATE_COLOURS["idle"],
    "off": STATE_COLOURS["offline"],
}


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyPage:
    """What the energy page shows for one period."""

    days: int
    report: EnergyReport
    energy_chart: Markup
    price_chart: Markup
    carbon_chart: Markup
    machine_bars: Markup
    state_table: list[dict[str, Any]]
    waste: list[Waste]
    baselines: list[Baseline]


def _hourly(report: EnergyReport, field: str, unit: str) -> Markup:
    series = []
    for site in sorted({h.site for h in report.hours}):
        rows = [h for h in report.hours if h.site == site and getattr(h, field) is not None]
        if rows:
            series.append(
                LineSeries(
                    name=site,
                    x=np.array([h.hour_us for h in rows], dtype=np.float64),
                    y=np.array([getattr(h, field) for h in rows], dtype=np.float64),
                    unit=unit,
                )
            )
    return line_chart(series, height=150, y_floor=0.0)


def energy_page(
    store: Store, model: Model, *, now: int, days: int, can_see: Any = None
) -> EnergyPage:
    """Return the energy page of the ``days`` before ``now`` for what ``can_see`` allows."""
    start, end = now - days * DAY_US, now
    acc = account(store, model, start=start, end=end)
    visible = can_see or (lambda _: True)
    report = energy_report(store, model, start=start, end=end, can_see=visible, acc=acc)
    app = EnergyApp()
    waste = [
        w
        for w in waste_findings(
            store,
            model,
            start=start,
            end=end,
            reference_base_kw=app.reference_base_kw(store, now=now),
            acc=acc,
        )
        if visible(w.subject)
    ]
    per_machine: dict[str, dict[str, float]] = {}
    for row in report.states:
        per_machine.setdefault(row.path, {})[row.category] = row.kwh
    top = sorted(per_machine.items(), key=lambda kv: -sum(kv[1].values()))[:15]
    machine_bars = bars(
        [
            Bar(
                label=path.rsplit("/", 1)[-1],
                value=sum(kwh.values()),
                text=f"{sum(kwh.values()):,.0f} kWh, idle and warm-up "
                f"{kwh.get('idle', 0.0) + kwh.get('warmup', 0.0):,.0f}",
                colour=_CATEGORY_COLOURS["running"],
            )
            for path, kwh in top
        ],
        width=640,
    )
    table = [
        {"path": path, **{c: kwh.get(c, 0.0) for c in _CATEGORY_COLOURS}}
        for path, kwh in sorted(per_machine.items())
    ]
    return EnergyPage(
        days=days,
        report=report,
        energy_chart=_hourly(report, "kwh", "kWh"),
        price_chart=_hourly(report, "price_per_kwh", "per kWh"),
        carbon_chart=_hourly(report, "gco2e_per_kwh", "gCO2e/kWh"),
        machine_bars=machine_bars,
        state_table=table,
        waste=waste,
        baselines=[b for b in app.baselines(store, now=now) if visible(b.meter)],
    )


def add_energy_routes(app: FastAPI, console: Any) -> None:
    """Add ``/energy``: the energy page over the last ``days`` (1, 7, 14 or 30)."""

    @app.get("/energy", response_class=HTMLResponse, include_in_schema=False)
    def energy(request: Request, days: int = 7) -> HTMLResponse:
        who, secret = console.principal(request)
        chosen = days if days in DAYS else 7
        page = energy_page(
            console.store, console.model, now=console.now(), days=chosen, can_see=who.can_see
        )
        return console.render.page(  # type: ignore[no-any-return]
            request,
            "energy.html",
            console.context(
                request,
                who,
                secret,
                active="/energy",
                title="Energy",
                page=page,
                day_choices=DAYS,
                categories=list(_CATEGORY_COLOURS),
            ),
        )
