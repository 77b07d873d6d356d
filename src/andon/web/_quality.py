"""What the data-quality page shows: quarantined records by reason and by source."""

from __future__ import annotations

import time
from dataclasses import dataclass

import polars as pl

from andon.store.base import Store

__all__ = ["QualityPage", "quality_page"]


@dataclass(frozen=True, slots=True, kw_only=True)
class QualityPage:
    """Quarantine counts by reason, by source, by the three together, and the latest rows."""

    total: int
    by_reason: list[tuple[str, int]]
    by_source: list[tuple[str, int]]
    rows: list[dict[str, object]]
    recent: list[dict[str, object]]


def quality_page(store: Store, *, recent: int = 50) -> QualityPage:
    """Return the quarantine summary and the most recent quarantined rows."""
    summary = pl.from_arrow(store.quarantine_summary())
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
    tail = latest.slice(max(latest.num_rows - recent, 0)).to_pylist()[::-1]
    return QualityPage(
        total=int(summary["rows"].sum()),
        by_reason=totals("reason"),
        by_source=totals("source"),
        rows=summary.to_dicts(),
        recent=tail,
    )
