"""From a solved plan to what people see: one proposal per asset and round, in plain words.

Each asset's failure modes are planned apart; a person decides on the asset. The modes whose
best option does something are gathered into one proposal: work on several modes in the
same slot becomes one action (one stop, every mode); otherwise the mode worth most leads and
the others wait for the next round. Its value of deciding (the expected saving over doing
nothing, with its band) is held against the site's threshold (:mod:`.inbox`): below it the
proposal is still recorded and scored, but asks nobody. Every mode of every asset becomes a
:class:`~andon.apps.maintenance.inbox.WatchItem` of the round (the health cards and the
watch list).

The factors say what the condition tags did (:mod:`.explain`), never the model's internal
feature names; the evidence carries, under the stable keys listed in docs/decisions.md, what
the decision page shows: the trend that drove it, the failure curve with its band, the parts
and crew it needs and whether they are there, and the app's track record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from andon.apps.maintenance.actions import EXPEDITE_PART, WORK_KINDS, action_for
from andon.apps.maintenance.criticality import PlanningCalendar
from andon.apps.maintenance.explain import TagTrend, tag_trends, trend_words
from andon.apps.maintenance.inbox import DownAsset, InboxGate, WatchItem, gate, inbox_threshold
from andon.apps.maintenance.plan import PlannedAsset
from andon.apps.maintenance.recovery import Expedite
from andon.model import Model
from andon.proposals import Action, Factor, Option, PartQuantity, Proposal
from andon.time import HOUR_US

__all__ = [
    "ASSET_KEY",
    "RoundContext",
    "TrackRecord",
    "asset_proposal",
    "recovery_proposal",
]

ASSET_KEY = "asset"
"""The supersede key of every maintenance proposal: one open decision per asset."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackRecord:
    """How the app's measured decisions at a site turned out."""

    measured: int = 0
    succeeded: int = 0

    def to_json(self) -> dict[str, object]:
        """Return the evidence's ``track_record`` entry."""
        share = self.succeeded / self.measured if self.measured else None
        return {
            "measured": self.measured,
            "succeeded": self.succeeded,
            "share": None if share is None else round(share, 3),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundContext:
    """What a round knows besides the plan: the data, the stock, the calendars."""

    model: Model
    now: int
    samples: pl.DataFrame
    on_hand: Mapping[tuple[str, str], int]
    """(site id, part) -> parts on the shelf."""
    on_order: Mapping[tuple[str, str], int]
    """(site id, part) -> parts ordered and not yet come."""
    calendars: Mapping[str, PlanningCalendar]
    slot_use: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    """``site:slot`` -> (technician hours planned, technician hours there)."""
    track_records: Mapping[str, TrackRecord] = field(default_factory=dict)
    model_version: str = "prior"
    urgent_risk: float = 0.3
    watch_threshold: float = 0.05
    trend_window_h: float = 72.0
    ttl_h: float = 24.0


def _next_window_h(calendar: PlanningCalendar | None, horizon_h: float) -> float:
    """Hours to the next maintenance window in the horizon (the horizon when there is none)."""
    if calendar is None:
        return horizon_h
    for slot in calendar.slots:
        if slot.id != "now" and not slot.id.startswith("day+") and slot.start_h > 0:
            return slot.start_h
    return horizon_h


def _band(asset: PlannedAsset) -> tuple[float, float, float]:
    risk = asset.risk
    spread = (asset.saving(risk.p_low), asset.saving(), asset.saving(risk.p_high))
    return min(spread), asset.saving(), max(spread)


def _merge(lead: PlannedAsset, others: Sequence[PlannedAsset], now: int) -> Action:
    action = action_for(lead.choice, lead.risk, now=now)
    if not others:
        return action
    modes = list(action.failure_modes)
    parts: dict[str, int] = {p.part: p.quantity for p in action.parts}
    order: dict[str, int] = {p.part: p.quantity for p in action.order}
    end = action.slot_end
    for other in others:
        more = action_for(other.choice, other.risk, now=now)
        modes.extend(m for m in more.failure_modes if m not in modes)
        for p in more.parts:
            parts[p.part] = parts.get(p.part, 0) + p.quantity
        for p in more.order:
            order[p.part] = order.get(p.part, 0) + p.quantity
        if more.slot_end is not None and (end is None or more.slot_end > end):
            end = more.slot_end
    names = ", ".join(modes)
    return replace(
        action,
        failure_modes=tuple(modes),
        parts=tuple(PartQuantity(k, v) for k, v in sorted(parts.items())),
        order=tuple(PartQuantity(k, v) for k, v in sorted(order.items())),
        slot_end=end,
        label=f"{lead.choice.kind.replace('_', ' ')} on {names} in one stop: {lead.choice.action}",
    )


def _group(acting: list[PlannedAsset]) -> list[PlannedAsset]:
    """The modes one proposal carries: the most valuable, with work in the same slot."""
    lead = max(acting, key=lambda a: a.saving())
    if lead.choice.kind not in WORK_KINDS:
        return [lead]
    same = [
        a
        for a in acting
        if a is not lead and a.choice.kind == lead.choice.kind and a.choice.slot == lead.choice.slot
    ]
    return [lead, *same]


def _parts_evidence(
    group: Sequence[PlannedAsset], ctx: RoundContext, site_id: str
) -> list[dict[str, object]]:
    needed: dict[str, int] = {}
    for asset in group:
        for pid, qty in asset.risk.mode.parts.items():
            needed[pid] = needed.get(pid, 0) + qty
    out: list[dict[str, object]] = []
    for pid, qty in sorted(needed.items()):
        part = ctx.model.parts.get(pid)
        on_hand = ctx.on_hand.get((site_id, pid), 0)
        on_order = ctx.on_order.get((site_id, pid), 0)
        out.append(
            {
                "part": pid,
                "needed": qty,
                "on_hand": on_hand,
                "on_order": on_order,
                "available": on_hand >= qty,
                "lead_time_days": None if part is None else part.lead_time_days,
                "expedite_lead_time_days": None if part is None else part.expedite_lead_time_days,
            }
        )
    return out


def _crew_evidence(lead: PlannedAsset, ctx: RoundContext) -> dict[str, object] | None:
    choice = lead.choice
    if choice.slot is None or choice.crew_hours <= 0:
        return None
    used, there = ctx.slot_use.get(f"{lead.risk.site}:{choice.slot}", (choice.crew_hours, 0.0))
    return {
        "slot": choice.slot,
        "hours_needed": round(choice.crew_hours, 2),
        "hours_planned_in_slot": round(used, 2),
        "hours_available": round(there, 2),
        "available": used <= there + 1e-9,
    }


def _curve(asset: PlannedAsset) -> list[dict[str, float]]:
    risk = asset.risk
    hours = sorted({h for h, _ in risk.curve} | {risk.horizon_h}) or [risk.horizon_h]
    ts = np.array(hours, dtype=np.float64)
    mid = risk.cdf(ts)
    low = risk.cdf(ts, risk.p_low)
    high = risk.cdf(ts, risk.p_high)
    return [
        {
            "h": float(h),
            "p": round(float(m), 4),
            "low": round(float(a), 4),
            "high": round(float(b), 4),
        }
        for h, m, a, b in zip(hours, mid, low, high, strict=True)
    ]


def _mode_evidence(asset: PlannedAsset, status: str) -> dict[str, object]:
    risk = asset.risk
    return {
        "failure_mode": risk.mode.id,
        "p_fail": round(risk.p_fail, 4),
        "p_low": round(risk.p_low, 4),
        "p_high": round(risk.p_high, 4),
        "horizon_h": risk.horizon_h,
        "rul_h": round(risk.rul_h, 1),
        "rul_low_h": round(risk.rul_low_h, 1),
        "rul_high_h": round(risk.rul_high_h, 1),
        "choice": asset.choice.kind,
        "choice_label": asset.choice.action,
        "saving": round(asset.saving(), 2),
        "status": status,
    }


def _condition_factors(
    trends: Sequence[TagTrend], window_h: float, mode_ids: Sequence[str]
) -> list[Factor]:
    out: list[Factor] = []
    for trend in trends[:3]:
        share = trend.share_of_range
        out.append(
            Factor(
                name="condition",
                text=trend_words(trend, window_h=window_h)
                + (f" ({', '.join(mode_ids)})" if len(mode_ids) > 1 else ""),
                weight=round(max(trend.towards_wear, 0.0), 4),
                value=None if share is None else round(share, 3),
            )
        )
    return out


def _watch_items(
    assets: Sequence[PlannedAsset],
    ctx: RoundContext,
    statuses: Mapping[str, str],
    notes: Mapping[str, str] | None = None,
) -> list[WatchItem]:
    out: list[WatchItem] = []
    for asset in assets:
        risk = asset.risk
        mode = risk.mode.id
        status = statuses.get(mode)
        if status is None:
            watched = risk.p_fail >= ctx.watch_threshold or bool(risk.notes)
            status = "watch" if watched else "ok"
        out.append(
            WatchItem(
                round_at=ctx.now,
                subject=risk.subject,
                site=risk.site,
                failure_mode=mode,
                p_fail=float(risk.p_fail),
                p_low=float(risk.p_low),
                p_high=float(risk.p_high),
                horizon_h=float(risk.horizon_h),
                rul_h=float(risk.rul_h),
                choice=asset.choice.kind,
                saving=float(asset.saving()),
                status=status,
                note=(notes or {}).get(mode, "; ".join(risk.notes)),
            )
        )
    return out


def asset_proposal(
    assets: Sequence[PlannedAsset], ctx: RoundContext
) -> tuple[Proposal | None, list[WatchItem]]:
    """Return the asset's proposal of this round (``None``: nothing to decide) and the
    round's health-card items of each of its modes."""
    acting = [a for a in assets if a.choice.kind != "watch" and a.saving() > 0]
    if not acting:
        return None, _watch_items(assets, ctx, {})
    group = _group(acting)
    lead = group[0]
    risk = lead.risk
    model = ctx.model
    currency = model.currency
    site_id = risk.site.split("/")[-1]
    bands = [_band(a) for a in group]
    low, value, high = (sum(b[i] for b in bands) for i in range(3))
    calendar = ctx.calendars.get(risk.site)
    next_window = _next_window_h(calendar, risk.horizon_h)
    urgent = max(float(a.risk.cdf(next_window)[0]) for a in group)
    inbox: InboxGate = gate(
        value=value,
        threshold=inbox_threshold(model, risk.site),
        urgent_risk=urgent,
        urgent_bound=ctx.urgent_risk,
        currency=currency,
    )
    mode_ids = [a.risk.mode.id for a in group]
    signals = sorted({tag for a in group for tag in a.risk.mode.signals})
    trends = tag_trends(
        ctx.samples,
        model,
        equipment=risk.subject,
        tags=signals,
        now=ctx.now,
        window_h=ctx.trend_window_h,
    )
    horizon_days = risk.horizon_h / 24.0
    factors: list[Factor] = [
        Factor(
            name="failure_risk",
            text=f"{a.risk.p_fail:.0%} chance that {a.risk.mode.id} fails within "
            f"{horizon_days:.0f} days (between {a.risk.p_low:.0%} and {a.risk.p_high:.0%})",
            weight=a.risk.p_fail,
            value=a.risk.p_fail,
        )
        for a in group
    ]
    factors.extend(_condition_factors(trends, ctx.trend_window_h, mode_ids))
    if not trends and signals:
        factors.append(
            Factor(
                name="condition",
                text=f"no recent readings of {', '.join(signals)} to show a trend",
                weight=-1.0,
            )
        )
    if not signals:
        factors.append(
            Factor(
                name="condition",
                text=f"no tag shows {', '.join(mode_ids)} coming: judged from its failure "
                "rate and age",
            )
        )
    factors.append(
        Factor(
            name="remaining_life",
            text=f"remaining life about {risk.rul_h:.0f} h "
            f"({risk.rul_low_h:.0f}-{risk.rul_high_h:.0f} h, 10th-90th percentile)",
            value=risk.rul_h,
        )
    )
    crit = risk.criticality
    hourly = crit.cost_per_hour * crit.capacity_share
    factors.append(
        Factor(
            name="criticality",
            text=f"an hour down costs {hourly:,.0f} {currency}"
            + (
                f" ({crit.redundant_with} redundant machine(s) in the cell)"
                if crit.redundant_with
                else ", no redundancy in the cell"
            )
            + (
                f"; the buffer covers {crit.buffer_cover_h:.1f} h"
                if crit.buffer_cover_h > 0
                else ""
            ),
            weight=hourly,
            value=hourly,
        )
    )
    choice = lead.choice
    if choice.expedited:
        factors.append(
            Factor(
                name="parts",
                text=f"{', '.join(choice.expedited)} not on hand; normal delivery too late, "
                "expedited in time",
            )
        )
    elif choice.ordered:
        lead_days = max(
            (model.parts[p].lead_time_days for p in choice.ordered if p in model.parts),
            default=0.0,
        )
        factors.append(
            Factor(
                name="parts",
                text=f"{', '.join(choice.ordered)} not on hand; ordered now "
                f"({lead_days:g} days to come)",
            )
        )
    notes = sorted({n for a in group for n in a.risk.notes})
    factors.extend(Factor(name="data_quality", text=note, weight=-1.0) for note in notes)
    track = ctx.track_records.get(risk.site, TrackRecord())
    options = tuple(
        Option(action=o.action, expected_cost=round(a.cost(i), 2), description=o.kind)
        for a in group
        for i, o in enumerate(a.options)
    )
    do_nothing = sum(a.cost(a.do_nothing) for a in group)
    chosen = sum(a.cost(a.chosen) for a in group)
    action = _merge(lead, group[1:], ctx.now)
    verdict = (
        f"{action.label}: expected cost {chosen:,.0f} {currency} against {do_nothing:,.0f} "
        f"{currency} if left to run"
    )
    if notes:
        verdict += "; cannot fully judge: " + "; ".join(notes)
    in_group = {a.risk.mode.id for a in group}
    statuses = dict.fromkeys(in_group, "decision" if inbox.asks else "recorded")
    waiting = {
        a.risk.mode.id: f"next round: {a.choice.action}"
        for a in acting
        if a.risk.mode.id not in in_group
    }
    items = _watch_items(assets, ctx, statuses, waiting or None)
    confidence = float(np.mean([a.risk.confidence for a in group]))
    evidence: dict[str, object] = {
        "kind": "forecast",
        "failure_mode": risk.mode.id,
        "failure_modes": [_mode_evidence(a, statuses.get(a.risk.mode.id, "watch")) for a in assets],
        "p_fail": round(risk.p_fail, 4),
        "horizon_h": risk.horizon_h,
        "rul_h": round(risk.rul_h, 1),
        "rul_low_h": round(risk.rul_low_h, 1),
        "rul_high_h": round(risk.rul_high_h, 1),
        "curve": _curve(lead),
        "trend": [t.to_json() for t in trends],
        "parts": _parts_evidence(group, ctx, site_id),
        "crew": _crew_evidence(lead, ctx),
        "inbox": inbox.to_json(),
        "track_record": track.to_json(),
        "next_window_h": round(next_window, 2),
        "data_quality": notes,
    }
    proposal = Proposal(
        app="maintenance",
        subject=risk.subject,
        action=action,
        expected_value=round(value, 2),
        value_low=round(low, 2),
        value_high=round(high, 2),
        confidence=round(min(max(confidence, 0.0), 1.0), 3),
        explanation=verdict,
        created_at=ctx.now,
        expires_at=ctx.now + int(ctx.ttl_h * HOUR_US),
        options=options,
        factors=tuple(factors),
        evidence=evidence,
        model_version=ctx.model_version,
        supersede_key=ASSET_KEY,
        asks=inbox.asks,
    )
    return proposal, items


def recovery_proposal(
    down: DownAsset, fixes: Sequence[Expedite], ctx: RoundContext
) -> Proposal | None:
    """Return the decision for an asset that is down: expedite the parts its repair waits
    for, or wait for them (``None`` when there is nothing to decide)."""
    model = ctx.model
    info = model.equipment.get(down.subject)
    if info is None:
        return None
    site_id = info.site_path.split("/")[-1]
    modes = {m.id: m for m in info.equipment_class.failure_modes}
    mode = modes.get(down.failure_mode or "")
    currency = model.currency
    needed = dict(mode.parts) if mode is not None else {}
    parts = [
        {
            "part": pid,
            "needed": qty,
            "on_hand": ctx.on_hand.get((site_id, pid), 0),
            "on_order": ctx.on_order.get((site_id, pid), 0),
            "available": ctx.on_hand.get((site_id, pid), 0) >= qty,
            "lead_time_days": model.parts[pid].lead_time_days if pid in model.parts else None,
            "expedite_lead_time_days": (
                model.parts[pid].expedite_lead_time_days if pid in model.parts else None
            ),
        }
        for pid, qty in sorted(needed.items())
    ]
    if not fixes:
        return None
    saving = sum(f.saving for f in fixes)
    fee = sum(model.parts[f.part].expedite_cost for f in fixes if f.part in model.parts)
    hours = max(f.production_hours_saved for f in fixes)
    cost_h = info.equipment.downtime_cost_per_hour
    wait_cost = hours * cost_h
    inbox = gate(
        value=saving,
        threshold=inbox_threshold(model, info.site_path),
        urgent_risk=None,
        urgent_bound=ctx.urgent_risk,
        currency=currency,
    )
    order = tuple(PartQuantity(f.part, f.quantity) for f in fixes)
    names = ", ".join(f"{f.part} x{f.quantity}" for f in fixes)
    action = Action(
        kind=EXPEDITE_PART.name,
        subject=down.subject,
        failure_modes=(mode.id,) if mode is not None else (),
        order=order,
        expedite=True,
        label=f"expedite {names} for {down.work_order}",
    )
    factors = (
        Factor(name="down", text=f"down since {_ago(ctx.now, down.since)}: {down.reason}"),
        Factor(
            name="parts",
            text=f"{names} not on the shelf; expediting saves about {hours:.0f} production "
            f"hours ({wait_cost:,.0f} {currency}) for a fee of {fee:,.0f} {currency}",
            weight=saving,
            value=hours,
        ),
        Factor(
            name="crew",
            text="repair started" if down.repair_started else "repair waits for its parts or crew",
        ),
    )
    options = (
        Option(
            action=f"expedite {names}", expected_cost=round(fee, 2), description="expedite_part"
        ),
        Option(
            action="wait for the normal delivery",
            expected_cost=round(wait_cost, 2),
            description="wait_for_parts",
        ),
    )
    return Proposal(
        app="maintenance",
        subject=down.subject,
        action=action,
        expected_value=round(saving, 2),
        value_low=round(saving, 2),
        value_high=round(saving, 2),
        confidence=0.9,
        explanation=f"{down.subject.rsplit('/', 1)[-1]} is down ({down.reason}); "
        f"expediting {names} saves {saving:,.0f} {currency} over waiting",
        created_at=ctx.now,
        expires_at=ctx.now + int(min(ctx.ttl_h, 8.0) * HOUR_US),
        options=options,
        factors=factors,
        evidence={
            "kind": "recovery",
            "failure_mode": mode.id if mode is not None else None,
            "down": {
                "since": down.since,
                "work_order": down.work_order,
                "reason": down.reason,
                "repair_started": down.repair_started,
            },
            "parts": parts,
            "production_hours_saved": round(hours, 2),
            "inbox": inbox.to_json(),
            "track_record": ctx.track_records.get(info.site_path, TrackRecord()).to_json(),
            "data_quality": [],
        },
        model_version=ctx.model_version,
        supersede_key=ASSET_KEY,
        asks=inbox.asks,
    )


def _ago(now: int, since: int) -> str:
    hours = max(now - since, 0) / HOUR_US
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.1f} days"
