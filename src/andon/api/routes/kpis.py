"""``/api/v1/kpis``: ISO 22400-2 KPIs per element and period, in the caller's sites."""

from __future__ import annotations

import datetime as dt
import math
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from andon.api.context import ApiContext, context
from andon.api.problems import PROBLEM_RESPONSES, ApiProblem
from andon.api.routes._params import PathPrefix, Since, Until, check_range
from andon.api.security import Authorized
from andon.decisions import Role
from andon.kpi import KPI_DEFINITIONS, Grain, Period, compute

router = APIRouter(prefix="/api/v1/kpis", tags=["kpis"], responses=PROBLEM_RESPONSES)

RULES = {("GET", "/api/v1/kpis"): Role.VIEWER}

Ctx = Annotated[ApiContext, Depends(context)]

MAX_RANGE = dt.timedelta(days=366)
_KPI_NAMES = tuple(k.name for k in KPI_DEFINITIONS)
_ELEMENTS = (
    "pbt_s",
    "apt_s",
    "aust_s",
    "adet_s",
    "adot_s",
    "pq",
    "gq",
    "sq",
    "rq",
    "pri_pq_s",
    "pri_gq_s",
)


class KpiPeriod(StrEnum):
    """Reporting periods, in each site's local time."""

    SHIFT = "shift"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class KpiRow(BaseModel):
    """One element (line, site ...) in one period: its KPIs and the time elements behind them."""

    model_config = ConfigDict(extra="forbid")

    path: str
    period: str
    period_start: dt.datetime
    period_end: dt.datetime
    kpis: dict[str, float | None]
    elements: dict[str, float | None]


class KpiPage(BaseModel):
    """KPIs of every visible element at a grain, per period."""

    model_config = ConfigDict(extra="forbid")

    grain: Grain
    period: KpiPeriod
    since: dt.datetime
    until: dt.datetime
    items: list[KpiRow]


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@router.get("")
def get_kpis(
    *,
    who: Authorized,
    ctx: Ctx,
    grain: Grain = Grain.LINE,
    period: KpiPeriod = KpiPeriod.DAY,
    path: PathPrefix = None,
    since: Since = None,
    until: Until = None,
) -> KpiPage:
    """Return ISO 22400-2 KPIs (availability, effectiveness, quality ratio, OEE ...) per element.

    The range defaults to the last 7 days and may span at most 366 days.
    """
    check_range(since, until)
    end = until or dt.datetime.now(dt.UTC)
    start = since or end - dt.timedelta(days=7)
    if end - start > MAX_RANGE:
        raise ApiProblem(422, "range.too_long", "a KPI range spans at most 366 days")
    if end <= start:
        raise ApiProblem(422, "range.invalid", "until must be after since")
    prefix = (path or ctx.model.root).rstrip("/")
    if path is not None and prefix.count("/") >= 1 and not who.can_see(prefix):
        raise ApiProblem(403, "auth.site", f"{prefix} is outside your sites")
    run = compute(
        ctx.store, ctx.model, start=start, end=end, period=Period(period.value), path_prefix=prefix
    )
    frame = run.kpis(grain)
    items = []
    for row in frame.to_dicts():
        element = str(row["path"])
        if not who.can_see(element) or not (element == prefix or element.startswith(prefix)):
            continue
        items.append(
            KpiRow(
                path=element,
                period=str(row["period"]),
                period_start=row["period_start"],
                period_end=row["period_end"],
                kpis={name: _number(row.get(name)) for name in _KPI_NAMES if name in row},
                elements={name: _number(row.get(name)) for name in _ELEMENTS if name in row},
            )
        )
    return KpiPage(grain=grain, period=period, since=start, until=end, items=items)
