"""What the data-quality page shows: quarantined records by reason and by source."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
import pyarrow as pa

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
