"""What reaches a person: the value of deciding against the site's threshold, urgency, and the
watch list beside the inbox.

A proposal asks for a decision when the best action's expected saving over doing nothing
passes the site's threshold (:attr:`andon.model.schema.Site.inbox_min_value`, by default one
hour of the median downtime cost of the site's production equipment), or when it is urgent
(the chance of failing before the next maintenance window passes a bound). Anything else is
recorded and scored, never shown. Watching is not a decision: every asset's modes go onto
its health card each round, and those left to run with a risk worth a look onto the
plant-wide watch list, sorted by risk. Both are rows of the store's auxiliary table
:data:`WATCH_TABLE`, so the console reads them as any other surface does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from andon.errors import StoreError
from andon.model import Model
from andon.records import MaintenanceEvent, MaintenanceKind
from andon.store.base import Store

__all__ = [
    "WATCH_TABLE",
    "DownAsset",
    "InboxGate",
    "WatchItem",
    "down_assets",
    "gate",
    "health_card",
    "inbox_threshold",
    "watch_list",
    "write_watch_items",
]

WATCH_TABLE = "maintenance_watch"
"""Auxiliary store table: every asset's failure modes at every round (the health cards)."""


def inbox_threshold(model: Model, site_path: str) -> float:
    """Return the saving a proposal at a site must pass to ask a person, in the currency.

    The site's ``inbox_min_value``, else one hour of the median downtime cost of the
    site's production equipment (its other equipment when it has none).
    """
    site = model.sites[site_path]
    if site.inbox_min_value is not None:
        return float(site.inbox_min_value)
    here = [info for info in model.equipment.values() if info.site_path == site_path]
    producing = [i.equipment.downtime_cost_per_hour for i in here if i.produces]
    costs = producing or [i.equipment.downtime_cost_per_hour for i in here]
    return float(np.median(costs)) if costs else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class InboxGate:
    """Whether a proposal asks a person, and why (the evidence's ``inbox`` entry)."""

    asks: bool
    reason: str
    value: float
    threshold: float
    urgent_risk: float | None
    urgent_bound: float

    def to_json(self) -> dict[str, object]:
        """Return the gate as the evidence's ``inbox`` entry."""
        return {
            "asks": self.asks,
            "reason": self.reason,
            "value": round(self.value, 2),
            "threshold": round(self.threshold, 2),
            "urgent_risk": None if self.urgent_risk is None else round(self.urgent_risk, 4),
            "urgent_bound": self.urgent_bound,
        }


def gate(
    *,
    value: float,
    threshold: float,
    urgent_risk: float | None,
    urgent_bound: float,
    currency: str,
) -> InboxGate:
    """Decide whether a proposal worth ``value`` asks a person.

    >>> gate(value=500.0, threshold=900.0, urgent_risk=0.1, urgent_bound=0.3,
    ...      currency="EUR").asks
    False
    >>> gate(value=500.0, threshold=900.0, urgent_risk=0.4, urgent_bound=0.3,
    ...      currency="EUR").reason
    'urgent: 40 % chance of failing before the next maintenance window (bound 30 %)'
    """
    if value > threshold:
        reason = (
            f"worth {value:,.0f} {currency} over doing nothing, above the site's "
            f"threshold of {threshold:,.0f} {currency}"
        )
        return InboxGate(
            asks=True,
            reason=reason,
            value=value,
            threshold=threshold,
            urgent_risk=urgent_risk,
            urgent_bound=urgent_bound,
        )
    if urgent_risk is not None and urgent_risk >= urgent_bound and value > 0:
        reason = (
            f"urgent: {urgent_risk:.0%} chance of failing before the next maintenance window "
            f"(bound {urgent_bound:.0%})"
        ).replace("%", " %")
        return InboxGate(
            asks=True,
            reason=reason,
            value=value,
            threshold=threshold,
            urgent_risk=urgent_risk,
            urgent_bound=urgent_bound,
        )
    reason = (
        f"worth {value:,.0f} {currency}, below the site's threshold of {threshold:,.0f} "
        f"{currency}: recorded and scored, not shown"
    )
    return InboxGate(
        asks=False,
        reason=reason,
        value=value,
        threshold=threshold,
        urgent_risk=urgent_risk,
        urgent_bound=urgent_bound,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class DownAsset:
    """An asset that is down now: unplanned down, or with an open failure work order."""

    subject: str
    since: int
    work_order: str | None
    failure_mode: str | None
    repair_started: bool
    reason: str


def down_assets(states: pl.DataFrame, maintenance: pl.DataFrame, *, now: int) -> list[DownAsset]:
    """Return the assets down at ``now``, by path.

    Down means its newest state record is ``unplanned_down``, or a failure work order of it
    is opened and not closed.
    """
    found: dict[str, DownAsset] = {}
    if not maintenance.is_empty():
        failures = maintenance.filter(
            (pl.col("kind") == MaintenanceKind.FAILURE.value) & (pl.col("ts") <= now)
        )
        if not failures.is_empty():
            orders = failures.group_by("work_order").agg(
                pl.col("path").first(),
                pl.col("failure_mode").first(),
                pl.col("ts")
                .filter(pl.col("event") == MaintenanceEvent.OPENED.value)
                .min()
                .alias("opened"),
                (pl.col("event") == MaintenanceEvent.STARTED.value).any().alias("started"),
                (pl.col("event") == MaintenanceEvent.CLOSED.value).any().alias("closed"),
            )
            open_ = orders.filter(~pl.col("closed") & pl.col("opened").is_not_null()).sort("opened")
            for row in open_.iter_rows(named=True):
                path = str(row["path"])
                if path in found:
                    continue
                mode = row["failure_mode"]
                found[path] = DownAsset(
                    subject=path,
                    since=int(row["opened"]),
                    work_order=str(row["work_order"]),
                    failure_mode=None if mode is None else str(mode),
                    repair_started=bool(row["started"]),
                    reason=f"failure work order {row['work_order']} open"
                    + (f" ({mode})" if mode else ""),
                )
    if not states.is_empty():
        newest = states.filter(pl.col("ts") <= now).sort("ts").group_by("path").last()
        for row in newest.filter(pl.col("state") == "unplanned_down").iter_rows(named=True):
            path = str(row["path"])
            if path in found:
                continue
            reason = row.get("reason")
            found[path] = DownAsset(
                subject=path,
                since=int(row["ts"]),
                work_order=None,
                failure_mode=None,
                repair_started=False,
                reason="unplanned down" + (f" ({reason})" if reason else ""),
            )
    return [found[p] for p in sorted(found)]


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchItem:
    """One asset's failure mode at one round: its risk and what became of it.

    ``status`` is ``decision`` (it asks a person), ``recorded`` (a decision below the
    threshold, scored, not shown), ``watch`` (left to run, on the watch list), ``ok`` (left
    to run, risk too small to watch) or ``down`` (the asset is down: its recovery counts).
    """

    round_at: int
    subject: str
    site: str
    failure_mode: str
    p_fail: float
    p_low: float
    p_high: float
    horizon_h: float
    rul_h: float
    choice: str
    saving: float
    status: str
    note: str


_SCHEMA = pa.schema(
    [
        ("round_at", pa.int64()),
        ("subject", pa.string()),
        ("site", pa.string()),
        ("failure_mode", pa.string()),
        ("p_fail", pa.float64()),
        ("p_low", pa.float64()),
        ("p_high", pa.float64()),
        ("horizon_h", pa.float64()),
        ("rul_h", pa.float64()),
        ("choice", pa.string()),
        ("saving", pa.float64()),
        ("status", pa.string()),
        ("note", pa.string()),
    ]
)


def write_watch_items(store: Store, items: Sequence[WatchItem]) -> None:
    """Append one round's items to :data:`WATCH_TABLE`."""
    if not items:
        return
    rows = [asdict(item) for item in items]
    table = pa.Table.from_pylist(rows, schema=_SCHEMA)
    store.write_table(WATCH_TABLE, table)


def _latest_round(store: Store, at: int | None) -> list[WatchItem]:
    try:
        table = store.read_table(WATCH_TABLE)
    except StoreError:
        return []
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if frame.is_empty():
        return []
    if at is not None:
        frame = frame.filter(pl.col("round_at") <= at)
    if frame.is_empty():
        return []
    newest = frame["round_at"].max()
    rows = frame.filter(pl.col("round_at") == newest)
    return [WatchItem(**row) for row in rows.iter_rows(named=True)]


def watch_list(
    store: Store, *, sites: Iterable[str] | None = None, at: int | None = None
) -> list[WatchItem]:
    """Return the plant-wide watch list of the newest round (at or before ``at``), riskiest
    first: the modes left to run whose risk is worth a look, of the given sites (all)."""
    wanted = None if sites is None else set(sites)
    items = [
        i
        for i in _latest_round(store, at)
        if i.status == "watch" and (wanted is None or i.site in wanted)
    ]
    items.sort(key=lambda i: (-i.p_fail, i.subject, i.failure_mode))
    return items


def health_card(store: Store, subject: str, *, at: int | None = None) -> list[WatchItem]:
    """Return every failure mode of one asset at the newest round, riskiest first."""
    items = [i for i in _latest_round(store, at) if i.subject == subject]
    items.sort(key=lambda i: (-i.p_fail, i.failure_mode))
    return items
