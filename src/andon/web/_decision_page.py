"""What a decision's own page shows, from its record and the store: the condition trend that
drove it (with the fitted failure curve and its band when the evidence carries them), the
options weighed, the parts it needs and whether they are on the shelf, the model version,
the app's track record and the decision's audit trail.

Built on the decision record as it is: evidence keys this page does not know are listed as
they are, so a new key an app adds is shown without a change here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from markupsafe import Markup

from andon.decisions import DecisionRecord
from andon.decisions.audit import AuditEntry
from andon.decisions.outcomes import AppRecord
from andon.model import Model
from andon.records import RecordKind
from andon.store.base import Store
from andon.time import DAY_US
from andon.web._charts import LineSeries, band_chart, line_chart

__all__ = ["DecisionView", "PartNeed", "decision_view"]

TREND_DAYS = 7
"""Days of condition data before the decision that its page draws."""
_KNOWN = frozenset(
    {"failure_mode", "p_fail", "horizon_h", "rul_h", "rul_low_h", "rul_high_h", "data_quality"}
)
_CURVE_KEYS = ("failure_curve", "survival_curve")


@dataclass(frozen=True, slots=True, kw_only=True)
class PartNeed:
    """A spare part the decision's action uses or orders, with the site's stock."""

    part: str
    needed: int
    on_hand: int | None
    on_order: int | None
    ordered_now: bool

    @property
    def there(self) -> bool:
        """Whether the site has enough on hand for the work."""
        return self.on_hand is not None and self.on_hand >= self.needed


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionView:
    """Everything the decision page shows."""

    record: DecisionRecord
    trends: list[tuple[str, Markup]]
    curve: Markup | None
    risk: list[tuple[str, str]]
    other_evidence: list[tuple[str, str]]
    parts: list[PartNeed]
    crew: str | None
    track: AppRecord | None
    audit: list[AuditEntry]


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, list | tuple):
        return "; ".join(_text(v) for v in value) or "—"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value)


def _risk(evidence: Mapping[str, Any]) -> list[tuple[str, str]]:
    risk: list[tuple[str, str]] = []
    if evidence.get("failure_mode"):
        risk.append(("failure mode", str(evidence["failure_mode"])))
    p_fail, horizon = evidence.get("p_fail"), evidence.get("horizon_h")
    if isinstance(p_fail, int | float):
        within = f" within {horizon:g} h" if isinstance(horizon, int | float) else ""
        risk.append(("failure probability", f"{p_fail:.0%}{within}"))
    rul, low, high = evidence.get("rul_h"), evidence.get("rul_low_h"), evidence.get("rul_high_h")
    if isinstance(rul, int | float):
        band = (
            f" ({low:,.0f} to {high:,.0f} h)"
            if isinstance(low, int | float) and isinstance(high, int | float)
            else ""
        )
        risk.append(("remaining useful life", f"{rul:,.0f} h{band}"))
    notes = evidence.get("data_quality")
    if notes:
        risk.append(("cannot fully judge", _text(notes)))
    return risk


def _curve(evidence: Mapping[str, Any]) -> Markup | None:
    """Draw the fitted failure curve (probability over hours ahead) with its band, if any."""
    for key in _CURVE_KEYS:
        curve = evidence.get(key)
        if not isinstance(curve, Mapping):
            continue
        hours = curve.get("hours") or curve.get("h")
        p = curve.get("p_fail") or curve.get("p")
        if not isinstance(hours, Sequence) or not isinstance(p, Sequence) or not hours:
            continue
        x = np.asarray(hours, dtype=np.float64)
        y = np.asarray(p, dtype=np.float64) * 100
        low, high = curve.get("low") or curve.get("p_low"), curve.get("high") or curve.get("p_high")
        lo = np.asarray(low, dtype=np.float64) * 100 if isinstance(low, Sequence) else None
        hi = np.asarray(high, dtype=np.float64) * 100 if isinstance(high, Sequence) else None
        return band_chart(
            x=x, mean=y, low=lo, high=hi, name="P(fail)", unit="%", x_unit="h", y_floor=0.0
        )
    return None


def _trends(store: Store, model: Model, record: DecisionRecord) -> list[tuple[str, Markup]]:
    info = model.equipment.get(record.subject)
    if info is None:
        return []
    mode_id = record.evidence.get("failure_mode")
    signals: tuple[str, ...] = ()
    for mode in info.equipment_class.failure_modes:
        if mode.id == mode_id:
            signals = tuple(mode.signals)
    tags = [t for t in info.equipment_class.tags if not signals or t.name in signals]
    if not tags:
        return []
    end = record.created_at + 1
    table = store.samples(
        tags=[f"{record.subject}/{t.name}" for t in tags], start=end - TREND_DAYS * DAY_US, end=end
    )
    if table.num_rows == 0:
        return []
    frame = pl.from_arrow(table.select(["ts", "path", "value"]))
    assert isinstance(frame, pl.DataFrame)
    frame = frame.with_columns(pl.col("ts").dt.epoch("us").alias("us"))
    out: list[tuple[str, Markup]] = []
    for tag in tags:
        group = frame.filter(pl.col("path") == f"{record.subject}/{tag.name}")
        if not group.height:
            continue
        series = LineSeries(
            name=tag.name,
            x=group["us"].to_numpy().astype(np.float64),
            y=group["value"].to_numpy().astype(np.float64),
            unit=tag.unit,
        )
        out.append((f"{tag.name} ({tag.unit})" if tag.unit else tag.name, line_chart([series])))
    return out


def _parts(store: Store, record: DecisionRecord) -> list[PartNeed]:
    needs: dict[str, tuple[int, bool]] = {}
    for item in record.action.parts:
        needs[item.part] = (item.quantity, False)
    for item in record.action.order:
        qty, _ = needs.get(item.part, (0, False))
        needs[item.part] = (max(qty, item.quantity), True)
    if not needs:
        return []
    stock: dict[str, tuple[int, int]] = {}
    table = store.records(RecordKind.INVENTORY, path_prefix=record.site, end=record.created_at + 1)
    if table.num_rows:
        frame = pl.from_arrow(table.select(["ts", "seq", "part", "on_hand", "on_order"]))
        assert isinstance(frame, pl.DataFrame)
        for row in frame.sort(["ts", "seq"]).group_by("part").agg(pl.all().last()).to_dicts():
            stock[str(row["part"])] = (int(row["on_hand"]), int(row["on_order"]))
    return [
        PartNeed(
            part=part,
            needed=qty,
            on_hand=stock.get(part, (None, None))[0],
            on_order=stock.get(part, (None, None))[1],
            ordered_now=ordered,
        )
        for part, (qty, ordered) in sorted(needs.items())
    ]


def decision_view(
    store: Store,
    model: Model,
    record: DecisionRecord,
    *,
    track: AppRecord | None,
    audit: list[AuditEntry],
) -> DecisionView:
    """Return the page of one decision the user may see."""
    evidence = record.evidence
    crew = evidence.get("crew")
    return DecisionView(
        record=record,
        trends=_trends(store, model, record),
        curve=_curve(evidence),
        risk=_risk(evidence),
        other_evidence=[
            (str(k), _text(v))
            for k, v in sorted(evidence.items())
            if k not in _KNOWN and k not in _CURVE_KEYS and k != "crew"
        ],
        parts=_parts(store, record),
        crew=None if crew is None else _text(crew),
        track=track,
        audit=audit,
    )
