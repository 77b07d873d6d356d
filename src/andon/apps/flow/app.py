"""The flow app: where orders and units lose time, and the decisions that win it back.

``fit`` reads the causes of delay (:func:`andon.apps.flow.delay.delays`) over the weeks
before ``until`` and keeps, per line, its bottleneck cell by the active period method with
its active share, and the median length of a quality hold: one versioned row of the
auxiliary table ``flow_models``. ``propose`` reads the recent days and proposes:

- ``protect_bottleneck`` or ``resequence_bottleneck`` on each line's bottleneck cell that
  lost running hours, by the larger of its down (with planned down) and changeover hours:
  each lost hour of the bottleneck is an hour of the line's output (Goldratt's rule the
  active period method rests on), valued at the units it passes per running hour times
  their unit price (the model's products), else at the equipment's downtime cost per hour;
  the expected value is the share of those hours a decision wins back
  (:attr:`FlowSettings.recovery_share`) over the proposal's life;
- ``release_hold`` on each order held, at ``now``, for longer than the fitted median hold:
  the order's value (quantity times unit price) times the cost of a day held
  (:attr:`FlowSettings.hold_cost_share_per_day`) over the days beyond the median.

The confidence rises with the units observed and when the fitted and the recent bottleneck
agree. ``outcome`` measures a bottleneck decision by the cell's lost hours a day after it
against the same span before it (its hours down, planned down or in changeover, or off
shift for a staffing decision, from the state records), and a hold decision by whether
the hold ended.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl

from andon.apps._artifacts import newest_artifact
from andon.apps.flow.actions import (
    PROTECT_BOTTLENECK,
    RELEASE_HOLD,
    RESEQUENCE_BOTTLENECK,
    STAFF_BOTTLENECK,
)
from andon.apps.flow.delay import DelayReport, delays
from andon.errors import InsufficientHistoryError
from andon.model import Model
from andon.proposals import Action, ActionKind, Factor, FitReport, Option, Outcome, Proposal
from andon.store import flow_queries as fq
from andon.store.base import Store
from andon.time import DAY_US, HOUR_US, to_iso

__all__ = ["ARTIFACT_TABLE", "FlowApp", "FlowSettings"]

APP: Final = "flow"
ARTIFACT_TABLE: Final = "flow_models"
_ARTIFACT_SCHEMA: Final = {"trained_until": pl.Int64, "version": pl.Utf8, "artifact": pl.Utf8}


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowSettings:
    """How much history the flow app reads and how it values what it finds."""

    fit_lookback_days: float = 14.0
    """History the bottlenecks and the typical hold are learnt from, days before ``until``."""
    propose_lookback_days: float = 7.0
    """Recent days the causes of delay are measured on, before ``now``."""
    expiry_days: float = 7.0
    """Days a proposal stays open: the span its value is counted over."""
    recovery_share: float = 0.5
    """Share of the bottleneck's lost hours a decision is expected to win back (its low and
    high bounds are half and one and a half times it)."""
    hold_cost_share_per_day: float = 0.01
    """Cost of a day an order is held, as a share of its value (late delivery, stock)."""
    default_hold_h: float = 4.0
    """The typical hold, in hours, when the history holds none."""
    min_units: int = 20
    """Unit steps a line needs in the recent days for its bottleneck to be judged."""
    full_share: float = 0.9
    """Active share of its staffed time from which a bottleneck limited by its capacity is
    worth staffing longer."""


def _round(value: float, digits: int = 6) -> float:
    """Round to ``digits`` significant digits, so that sums taken in another order agree."""
    if not math.isfinite(value) or abs(value) < 1e-9:
        return 0.0
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def _unit_prices(model: Model) -> dict[str, float]:
    return {name: float(p.unit_price) for name, p in model.products.items() if p.unit_price > 0}


def _holds(orders: pl.DataFrame, end: int) -> pl.DataFrame:
    """Each hold of an order: ``order_id``, ``product``, ``quantity``, ``path``, ``held_us``,
    ``unheld_us`` (null while it lasts at ``end``)."""
    marks = orders.filter(pl.col("event").is_in(["held", "unheld"])).sort(
        "order_id", "ts_us", pl.col("event") != "held"
    )
    following = marks.with_columns(
        pl.col("event").shift(-1).over("order_id").alias("_next"),
        pl.col("ts_us").shift(-1).over("order_id").alias("_next_us"),
    )
    unheld = pl.when(pl.col("_next") == "unheld").then(pl.col("_next_us"))
    return following.filter((pl.col("event") == "held") & (pl.col("ts_us") < end)).select(
        "order_id",
        "product",
        "quantity",
        "path",
        pl.col("ts_us").alias("held_us"),
        unheld.alias("unheld_us"),
    )


_LOST_STATES: Final = ("unplanned_down", "planned_down", "setup")
"""The states in which a bottleneck is active without producing: its hours lost."""


def _state_hours(store: Store, cell: str, states: tuple[str, ...], start: int, end: int) -> float:
    """Hours the stations of ``cell`` spent in ``states`` within ``[start, end)``, summed."""
    rows = _frame(fq.states(store, start=start, end=end))
    mine = rows.filter(pl.col("path").str.starts_with(cell + "/")).sort("path", "ts_us")
    lengths = mine.with_columns(
        (pl.col("ts_us").shift(-1).over("path").fill_null(end) - pl.col("ts_us")).alias("_us")
    )
    chosen = lengths.filter(pl.col("state").is_in(list(states)))["_us"].sum()
    return float(chosen) / HOUR_US


def _frame(table: object) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    if not isinstance(frame, pl.DataFrame):  # pragma: no cover - a table gives a frame
        raise TypeError("expected a table")
    return frame


def _line_entries(report: DelayReport, window_h: float) -> dict[str, dict[str, Any]]:
    """Per line: its bottleneck cell, active share, lost hours by cause, the hours its
    stations stood off shift (on average) in a window of ``window_h``, and its rates."""
    entries: dict[str, dict[str, Any]] = {}
    stations = report.stations
    for row in report.lines.sort("line").iter_rows(named=True):
        cell = str(row["bottleneck"])
        mine = stations.filter(pl.col("cell") == cell)
        down = float(mine["down_active_h"].sum()) + float(mine["planned down_active_h"].sum())
        changeover = float(mine["changeover_active_h"].sum())
        offline = max(0.0, window_h - float(mine["staffed_h"].mean() or 0.0))  # type: ignore[arg-type]
        entries[str(row["line"])] = {
            "bottleneck": cell,
            "limited_by": str(row["limited_by"]),
            "active_share": _round(float(row["active_share"] or 0.0)),
            "down_h": _round(down),
            "changeover_h": _round(changeover),
            "offline_h": _round(offline),
            "units_per_h": _round(float(row["units_per_h"] or 0.0)),
            "lost_value": _round(float(row["lost_value"] or 0.0)),
            "lost_h": _round(float(row["lost_h"] or 0.0)),
            "visits": int(mine["visits"].sum()),
            "stations": sorted(str(s) for s in mine["station"]),
        }
    return entries


@dataclass
class FlowApp:
    """Bottlenecks, holds and their decisions from the object-centric flow (a
    ``DecisionApp``)."""

    settings: FlowSettings = field(default_factory=FlowSettings)
    name: str = APP
    _cache: dict[str, Any] = field(default_factory=dict)

    # -------------------------------------------------------------- fit

    def fit(self, store: Store, model: Model, *, until: int) -> FitReport:
        """Learn each line's bottleneck and the typical hold from the weeks before ``until``."""
        start = until - round(self.settings.fit_lookback_days * DAY_US)
        report = delays(store, start=start, end=until, unit_prices=_unit_prices(model))
        if report.waits.height == 0 or report.lines.height == 0:
            reason = "too little history: no unit moved between stations with state records"
            raise InsufficientHistoryError(reason, app=APP)
        holds = _holds(_frame(fq.orders(store, start=start, end=until)), until)
        ended = holds.filter(pl.col("unheld_us").is_not_null())
        lengths = (ended["unheld_us"] - ended["held_us"]) / HOUR_US
        median = float(lengths.median()) if lengths.len() else self.settings.default_hold_h  # type: ignore[arg-type]
        artifact: dict[str, Any] = {
            "lines": _line_entries(report, (until - start) / HOUR_US),
            "median_hold_h": _round(median),
            "holds": ended.height,
        }
        text = json.dumps(artifact, sort_keys=True)
        version = hashlib.sha256(text.encode()).hexdigest()[:16]
        store.write_table(
            ARTIFACT_TABLE,
            pl.DataFrame(
                {"trained_until": [until], "version": [version], "artifact": [text]},
                schema=_ARTIFACT_SCHEMA,
            ).to_arrow(),
        )
        self._cache = {"version": version, "trained_until": until, "artifact": artifact}
        return FitReport(
            app=APP,
            version=version,
            trained_until=until,
            rows=report.waits.height,
            metrics={
                "lines": float(len(artifact["lines"])),
                "unit_steps": float(report.waits.height),
                "holds": float(ended.height),
                "median_hold_h": artifact["median_hold_h"],
            },
            notes=tuple(
                f"{line}: bottleneck {entry['bottleneck']} (active {entry['active_share']:.0%}, "
                f"limited by {entry['limited_by']})"
                for line, entry in artifact["lines"].items()
            ),
        )

    def _artifact(self, store: Store, now: int) -> dict[str, Any] | None:
        found = newest_artifact(store, ARTIFACT_TABLE, now=now, cached=self._cache)
        if found is not None:
            self._cache = found
        return found

    # -------------------------------------------------------------- propose

    def propose(self, store: Store, model: Model, *, now: int) -> list[Proposal]:
        """Return the bottleneck and hold decisions of the recent days."""
        found = self._artifact(store, now)
        if found is None:
            return []
        version = str(found["version"])
        fitted: dict[str, Any] = found["artifact"]
        start = now - round(self.settings.propose_lookback_days * DAY_US)
        prices = _unit_prices(model)
        report = delays(store, start=start, end=now, unit_prices=prices)
        proposals: list[Proposal] = []
        for line, entry in _line_entries(report, (now - start) / HOUR_US).items():
            made = self._bottleneck(model, line, entry, fitted, now=now, version=version)
            if made is not None:
                proposals.append(made)
        since = now - round(self.settings.fit_lookback_days * DAY_US)
        orders = _frame(fq.orders(store, start=since, end=now))
        open_holds = _holds(orders, now).filter(pl.col("unheld_us").is_null())
        for hold in open_holds.iter_rows(named=True):
            made = self._hold(model, hold, fitted, now=now, prices=prices, version=version)
            if made is not None:
                proposals.append(made)
        return sorted(proposals, key=lambda p: (p.subject, p.action.kind, p.action.job or ""))

    def _threshold(self, model: Model, subject: str, hour_cost: float) -> float:
        site = model.sites.get("/".join(subject.split("/")[:2]))
        if site is not None and site.inbox_min_value is not None:
            return float(site.inbox_min_value)
        return hour_cost

    def _hour_value(self, model: Model, entry: dict[str, Any]) -> tuple[float, str]:
        """The value of one hour of the bottleneck's output, and where it comes from."""
        lost_h = float(entry["lost_h"])
        if entry["lost_value"] > 0 and lost_h > 0:
            return float(entry["lost_value"]) / lost_h, "units per running hour x unit price"
        costs = [
            model.equipment[s].equipment.downtime_cost_per_hour
            for s in entry["stations"]
            if s in model.equipment
        ]
        return (max(costs) if costs else 0.0), "the equipment's downtime cost per hour"

    def _kind(self, entry: dict[str, Any]) -> tuple[ActionKind | None, float]:
        """What would win the bottleneck's hours back, and the hours at stake: its down or
        changeover hours, the larger; when it lost none and was active all its staffed
        time (limited by capacity), the hours it stood off shift."""
        down_h, changeover_h = float(entry["down_h"]), float(entry["changeover_h"])
        if max(down_h, changeover_h) > 0:
            if changeover_h > down_h:
                return RESEQUENCE_BOTTLENECK, changeover_h
            return PROTECT_BOTTLENECK, down_h
        full = float(entry["active_share"]) >= self.settings.full_share
        if entry["limited_by"] == "capacity" and full and entry["offline_h"] > 0:
            return STAFF_BOTTLENECK, float(entry["offline_h"])
        return None, 0.0

    def _bottleneck(
        self,
        model: Model,
        line: str,
        entry: dict[str, Any],
        fitted: dict[str, Any],
        *,
        now: int,
        version: str,
    ) -> Proposal | None:
        cell = str(entry["bottleneck"])
        down_h, changeover_h = float(entry["down_h"]), float(entry["changeover_h"])
        if cell not in model.elements or entry["visits"] < self.settings.min_units:
            return None
        kind, lost_h = self._kind(entry)
        if kind is None:
            return None
        days = self.settings.propose_lookback_days
        horizon = self.settings.expiry_days
        hour_value, basis = self._hour_value(model, entry)
        at_stake = lost_h / days * horizon * hour_value
        share = self.settings.recovery_share
        value = _round(at_stake * share)
        before = fitted.get("lines", {}).get(line, {})
        agrees = before.get("bottleneck") == cell
        confidence = _round(
            min(
                0.95, 0.35 + 0.3 * (1.0 if agrees else 0.0) + 0.3 * min(1.0, entry["visits"] / 500)
            ),
            3,
        )
        name = cell.rsplit("/", 1)[-1]
        what, label = {
            RESEQUENCE_BOTTLENECK.name: (
                "changeovers",
                f"re-sequence {name} to cut its changeovers",
            ),
            PROTECT_BOTTLENECK.name: (
                "stops",
                f"keep {name} running: its stops out of production, a crew first at it",
            ),
            STAFF_BOTTLENECK.name: (
                "standing off shift",
                f"staff {name} through the hours it stands off shift",
            ),
        }[kind.name]
        action = Action(
            kind=kind.name,
            subject=cell,
            label=label,
            slot_start=now,
            slot_end=now + round(horizon * DAY_US),
        )
        explanation = (
            f"{name} is the bottleneck of {line.rsplit('/', 1)[-1]} (active "
            f"{entry['active_share']:.0%} of its staffed time); it lost {lost_h:.1f} h to "
            f"{what} in {days:g} days, each an hour of the line's output worth "
            f"{hour_value:,.0f}; winning back {share:.0%} is worth {value:,.0f} in "
            f"{horizon:g} days"
        )
        return Proposal(
            app=APP,
            subject=cell,
            action=action,
            options=(
                Option(action="do nothing", expected_cost=_round(at_stake)),
                Option(action=label, expected_cost=_round(at_stake - value)),
            ),
            expected_value=value,
            value_low=_round(value * 0.5),
            value_high=_round(value * 1.5),
            confidence=confidence,
            explanation=explanation,
            factors=(
                Factor(
                    name="active_share",
                    text="share of staffed time the cell was active",
                    weight=0.4,
                    value=entry["active_share"],
                ),
                Factor(
                    name="lost_h",
                    text=f"hours lost to {what} in the recent days",
                    weight=0.4,
                    value=_round(lost_h),
                ),
                Factor(
                    name="fitted_bottleneck",
                    text="the bottleneck of the fitted weeks",
                    weight=0.2,
                    value=str(before.get("bottleneck", "")),
                ),
            ),
            evidence={
                "line": line,
                "bottleneck": cell,
                "limited_by": entry["limited_by"],
                "active_share": entry["active_share"],
                "down_h": down_h,
                "changeover_h": changeover_h,
                "offline_h": entry["offline_h"],
                "units_per_h": entry["units_per_h"],
                "hour_value": _round(hour_value),
                "hour_value_basis": basis,
                "unit_steps": entry["visits"],
                "window_days": days,
                "fitted_bottleneck": before.get("bottleneck"),
            },
            created_at=now,
            expires_at=now + round(horizon * DAY_US),
            model_version=version,
            supersede_key=f"bottleneck:{line}",
            asks=value >= self._threshold(model, cell, hour_value),
        )

    def _hold(
        self,
        model: Model,
        hold: dict[str, Any],
        fitted: dict[str, Any],
        *,
        now: int,
        prices: dict[str, float],
        version: str,
    ) -> Proposal | None:
        subject = hold["path"]
        if subject is None or subject not in model.elements:
            return None
        held_h = (now - int(hold["held_us"])) / HOUR_US
        median_h = float(fitted.get("median_hold_h", self.settings.default_hold_h))
        if held_h <= median_h:
            return None
        order_value = float(hold["quantity"] or 0) * prices.get(str(hold["product"]), 0.0)
        per_day = order_value * self.settings.hold_cost_share_per_day
        horizon_days = max(1.0, (held_h - median_h) / 24.0)
        value = _round(per_day * horizon_days)
        order = str(hold["order_id"])
        label = f"decide the hold of order {order}: held {held_h:.0f} h, typical {median_h:.0f} h"
        return Proposal(
            app=APP,
            subject=subject,
            action=Action(kind=RELEASE_HOLD.name, subject=subject, label=label, job=order),
            options=(
                Option(action="keep holding", expected_cost=value),
                Option(action="expedite the lab or apply the release rule", expected_cost=0.0),
            ),
            expected_value=value,
            value_low=_round(value * 0.5),
            value_high=_round(value * 1.5),
            confidence=_round(min(0.9, 0.4 + 0.1 * held_h / max(median_h, 1.0)), 3),
            explanation=(
                f"order {order} has been held {held_h:.1f} h, longer than the median hold of "
                f"{median_h:.1f} h; a day held costs {per_day:,.0f}"
            ),
            evidence={
                "order": order,
                "held_since": to_iso(int(hold["held_us"])),
                "held_h": _round(held_h),
                "median_hold_h": median_h,
                "order_value": _round(order_value),
            },
            created_at=now,
            expires_at=now + round(self.settings.expiry_days * DAY_US),
            model_version=version,
            supersede_key=f"hold:{order}",
            asks=value >= self._threshold(model, subject, 0.0),
        )

    # -------------------------------------------------------------- outcome

    def outcome(
        self, store: Store, model: Model, *, action: Action, decided_at: int, now: int
    ) -> Outcome | None:
        """Measure a decision: a bottleneck's lost hours a day after against before it, or
        whether a hold ended; ``None`` before a day has passed."""
        span = now - decided_at
        if span < DAY_US:
            return None
        if action.kind == RELEASE_HOLD.name:
            orders = _frame(fq.orders(store, start=decided_at, end=now))
            ended = orders.filter(
                (pl.col("order_id") == action.job) & (pl.col("event") == "unheld")
            )
            return Outcome(
                measured_at=now,
                realised_value=None,
                success=ended.height > 0,
                detail={"unheld": ended.height > 0},
            )
        span = min(span, round(self.settings.expiry_days * DAY_US))
        states = ("offline",) if action.kind == STAFF_BOTTLENECK.name else _LOST_STATES
        lost_before = _state_hours(store, action.subject, states, decided_at - span, decided_at)
        lost_after = _state_hours(store, action.subject, states, decided_at, decided_at + span)
        value_h = self._fitted_hour_value(store, model, action.subject, decided_at)
        return Outcome(
            measured_at=now,
            realised_value=_round((lost_before - lost_after) * value_h),
            success=lost_after < lost_before,
            detail={"lost_h_before": _round(lost_before), "lost_h_after": _round(lost_after)},
        )

    def _fitted_hour_value(self, store: Store, model: Model, cell: str, at: int) -> float:
        """The value of an hour of the cell's output: from the fit before ``at`` where the
        cell was its line's bottleneck, else its equipment's downtime cost per hour."""
        found = self._artifact(store, at)
        lines = {} if found is None else found["artifact"].get("lines", {})
        for entry in lines.values():
            if entry["bottleneck"] == cell:
                return self._hour_value(model, entry)[0]
        costs = [
            info.equipment.downtime_cost_per_hour
            for path, info in model.equipment.items()
            if path.startswith(cell + "/")
        ]
        return max(costs) if costs else 0.0
