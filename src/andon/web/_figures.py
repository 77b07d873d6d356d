"""The inbox's figures on a live plant, from the decision records and their outcomes: how many
decisions reached people per site and day, what share they approved and had executed, and
what the measured outcomes gave against what was expected.

The same questions ``benchmarks/inbox.py`` answers on the simulator's ground truth; here the
truth is the outcomes the apps measured afterwards. Shadow decisions are recorded and scored
but never shown to a person, so they are counted apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from andon.time import DAY_US

__all__ = ["InboxFigures", "SiteFigures", "inbox_figures"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteFigures:
    """One site's inbox over the period."""

    site: str
    name: str
    shown: int
    shadow: int
    per_day: float
    approved_share: float | None
    executed_share: float | None
    rejected_share: float | None
    expired_share: float | None
    measured: int
    expected_value: float
    realised_value: float
    success_rate: float | None

    @property
    def realisation(self) -> float | None:
        """Realised over expected value of the decisions with a measured outcome."""
        return self.realised_value / self.expected_value if self.expected_value else None


@dataclass(frozen=True, slots=True, kw_only=True)
class InboxFigures:
    """Every site the user may see, and the days the figures cover."""

    sites: list[SiteFigures]
    days: float


_DECIDED = ("approved", "executed", "rejected", "expired")


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def inbox_figures(
    table: pa.Table, *, site_names: Mapping[str, str], days: float | None = None
) -> InboxFigures:
    """Return the figures of a table of decisions (``DecisionTable.figures``) by site.

    ``days`` is the period the table covers; by default from the first decision to the last,
    counted in whole days (at least one).
    """
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if frame.height == 0:
        return InboxFigures(sites=[], days=float(days or 0))
    created = frame["created_at"]
    if created.dtype != pl.Int64:
        created = created.cast(pl.Datetime("us")).dt.epoch("us")
    span = days or max(1.0, float((created.max() - created.min()) // DAY_US + 1))  # type: ignore[operator]
    out: list[SiteFigures] = []
    for (site,), part in frame.group_by(["site"], maintain_order=True):
        shown = part.filter(~pl.col("shadow") & (pl.col("status") != "superseded"))
        status = shown["status"].to_list()
        decided = sum(1 for s in status if s in _DECIDED)
        measured = shown.filter(pl.col("outcome_at").is_not_null())
        valued = measured.filter(pl.col("realised_value").is_not_null())
        scored = measured["outcome_success"].drop_nulls()
        out.append(
            SiteFigures(
                site=str(site),
                name=site_names.get(str(site), str(site)),
                shown=shown.height,
                shadow=int(part["shadow"].sum()),
                per_day=shown.height / span,
                approved_share=_share(sum(s in {"approved", "executed"} for s in status), decided),
                executed_share=_share(sum(s == "executed" for s in status), decided),
                rejected_share=_share(sum(s == "rejected" for s in status), decided),
                expired_share=_share(sum(s == "expired" for s in status), decided),
                measured=measured.height,
                expected_value=float(valued["expected_value"].sum()),
                realised_value=float(valued["realised_value"].sum()),
                success_rate=float(scored.cast(pl.Float64).mean()) if len(scored) else None,  # type: ignore[arg-type]
            )
        )
    return InboxFigures(sites=sorted(out, key=lambda f: f.name), days=float(span))
