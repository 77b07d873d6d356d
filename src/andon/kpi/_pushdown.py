"""Elements summed inside the store: one query, one row per (equipment, period) back.

Same results as :func:`andon.kpi._elements.compute_elements` on the store's intervals and
records (a test checks it on random data for both stores), without moving millions of
intervals into Python. The timeline, the cycle times and the labels stay in Python: they
are small, and go to :meth:`andon.store.Store.element_sums` as the plain values of an
:class:`~andon.store.kpi_queries.ElementQuery`; the store builds the SQL. Data-quality
details (unknown paths and states, counts without a state or a cycle time) are rare, so a
cheap probe (:meth:`~andon.store.Store.unknown_records`) finds them and only the records
concerned are fetched to describe them.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from andon.kpi._calendar import Period
from andon.kpi._elements import (
    DOWN,
    STATE_CLASS,
    STATE_SELECTIONS,
    UNKNOWN,
    KpiSettings,
    Plan,
    _count_frame,
    _flag_counts,
    _Issues,
    _state_columns,
    finish,
    plan,
    site_frame,
)
from andon.kpi._freshness import clip_intervals
from andon.model import Model
from andon.model.calendar import Zone
from andon.records import RecordKind
from andon.store.base import Store
from andon.store.kpi_queries import ElementQuery

__all__ = ["store_elements"]

_STATE_SUMS: Final = tuple(STATE_SELECTIONS)
_COUNT_INT: Final = (
    "gq",
    "sq",
    "rq",
    "pq",
    "out_gq",
    "out_pq",
    "pq_outside",
    "pq_no_state",
    "pq_no_pri",
)
_COUNT_FLOAT: Final = ("pri_pq_s", "pri_gq_s", "pri_sq_s", "pri_rq_s", "scrap_cost")


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _query(
    the_plan: Plan,
    *,
    lo: int,
    hi: int,
    count_lo: int,
    count_hi: int,
    settings: KpiSettings,
    newest: dict[str, int] | None = None,
) -> ElementQuery:
    """Return the query's inputs: equipment, cycle times and every site's segments.

    Each site's timeline is padded with off-range segments (period -1) so that every
    instant of ``[lo, hi)`` lies in exactly one segment of its site.
    """
    sites = list(the_plan.timelines)
    site_index = {s: i for i, s in enumerate(sites)}
    seg: dict[str, list[int]] = {k: [] for k in ("site", "index", "lo", "hi", "zone", "period")}
    for k, timeline in enumerate(the_plan.timelines.values()):
        bounds = timeline.bounds
        starts = [lo, *bounds[:-1].tolist(), int(bounds[-1])]
        ends = [int(bounds[0]), *bounds[1:].tolist(), hi]
        zones = [0, *timeline.zone.tolist(), 0]
        periods = [-1, *timeline.period.tolist(), -1]
        # Index -1 is the padding before the timeline, n the padding after it.
        for i, (a, b, z, per) in enumerate(zip(starts, ends, zones, periods, strict=True)):
            seg_lo, seg_hi = max(a, lo), min(b, hi)
            if seg_hi <= seg_lo:
                continue
            seg["site"].append(k)
            seg["index"].append(i - 1)
            seg["lo"].append(seg_lo)
            seg["hi"].append(seg_hi)
            seg["zone"].append(z)
            seg["period"].append(per)
    pri = the_plan.pri
    pri_values = pri.table.reshape(-1)
    return ElementQuery(
        paths=the_plan.paths,
        site_of=[site_index[s] for s in the_plan.site_of],
        last_cell=[bool(v) for v in pri.last_cell],
        products=pri.products,
        pri_s=[None if np.isnan(v) else float(v) for v in pri_values],
        scrap_cost=pri.scrap_cost.tolist(),
        seg_site=seg["site"],
        seg_index=seg["index"],
        seg_lo=seg["lo"],
        seg_hi=seg["hi"],
        seg_zone=seg["zone"],
        seg_period=seg["period"],
        work_zone=int(Zone.WORK),
        lo=lo,
        hi=hi,
        count_lo=count_lo,
        count_hi=count_hi,
        minor_us=int(settings.minor_stop_s * 1_000_000),
        fail_class=DOWN,
        state_classes=dict(STATE_CLASS),
        unknown_class=UNKNOWN,
        selections=dict(STATE_SELECTIONS),
        until=None if newest is None else [newest.get(p, lo) for p in the_plan.paths],
        stale_us=None
        if settings.stale_after_s is None
        else int(settings.stale_after_s * 1_000_000),
    )


def _scatter(
    result: pl.DataFrame, the_plan: Plan, site_path: str, n_per: int
) -> tuple[dict[str, npt.NDArray[Any]], bool]:
    """Return the sums of one site as arrays indexed ``equipment * periods + period``."""
    first, site_paths = the_plan.site_paths(site_path)
    n_eq = len(site_paths)
    rows = result.filter((pl.col("pid") >= first) & (pl.col("pid") < first + n_eq))
    flat = (rows["pid"].to_numpy() - first) * n_per + rows["pidx"].to_numpy()
    size = n_eq * n_per

    def total(name: str) -> npt.NDArray[np.float64]:
        weights = rows[name].cast(pl.Float64).fill_null(0.0).to_numpy()
        summed = np.bincount(flat, weights=weights, minlength=size)
        return np.asarray(summed, dtype=np.float64)

    sums: dict[str, npt.NDArray[Any]] = {name: total(name) / 1e6 for name in _STATE_SUMS}
    sums["fe"] = np.rint(total("fe")).astype(np.int64)
    has_counts = bool(rows["counts"].fill_null(0.0).sum() > 0)
    if has_counts:
        for name in _COUNT_INT:
            sums[name] = np.rint(total(name)).astype(np.int64)
        for name in _COUNT_FLOAT:
            sums[name] = total(name)
    return sums, has_counts


def store_elements(
    store: Store,
    model: Model,
    *,
    start: int,
    end: int,
    period: Period,
    prefix: str,
    settings: KpiSettings,
    custom_bounds: tuple[int, ...] = (),
    path_prefix: str | None = None,
    site_ranges: dict[str, tuple[int, int]] | None = None,
    inspections: pl.DataFrame | None = None,
    maintenance: pl.DataFrame | None = None,
    orders: pl.DataFrame | None = None,
    energy: pl.DataFrame | None = None,
    newest: dict[str, int] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (elements, issues) like ``compute_elements`` on the store's records.

    ``newest`` gives each equipment's newest record: its states last no longer (see
    :mod:`andon.kpi._freshness`).

    State intervals are cut at ``start`` less the minor-stop margin and at ``end`` plus it,
    exactly as ``compute`` fetches them; counts are those with ``start <= ts <= end``.
    """
    issues = _Issues()
    the_plan = plan(
        model,
        start=start,
        end=end,
        period=period,
        custom_bounds=custom_bounds,
        path_prefix=path_prefix,
        site_ranges=site_ranges,
        issues=issues,
    )
    margin = int(settings.minor_stop_s * 1_000_000) + 1
    lo, hi = start - margin, end + margin
    query = _query(
        the_plan,
        lo=lo,
        hi=hi,
        count_lo=start,
        count_hi=end + 1,
        settings=settings,
        newest=newest,
    )
    result = _frame(store.element_sums(query))
    _flag_strays(
        store, model, the_plan, prefix=prefix, query=query, settings=settings, issues=issues
    )
    frames = []
    any_counts = False
    for site_path, timeline in the_plan.timelines.items():
        _, site_paths = the_plan.site_paths(site_path)
        n_per = max(len(timeline.period_label), 1)
        sums, has_counts = _scatter(result, the_plan, site_path, n_per)
        any_counts = any_counts or has_counts
        frames.append(site_frame(timeline, site_paths=site_paths, sums=sums, issues=issues))
    flagged = result.select(pl.col("n_no_state", "n_no_pri").fill_null(0.0).sum()).row(0)
    if any_counts and sum(float(v) for v in flagged) > 0:
        _flag_count_rows(store, the_plan, query, issues)
    return finish(
        model,
        the_plan,
        frames,
        inspections=inspections,
        maintenance=maintenance,
        orders=orders,
        energy=energy,
        end=end,
        issues=issues,
    )


def _flag_count_rows(store: Store, the_plan: Plan, query: ElementQuery, issues: _Issues) -> None:
    rows = _frame(store.flagged_counts(query))
    if not rows.height:
        return
    rows = rows.sort("pid", "ts").with_columns(
        path=pl.col("pid").replace_strict(dict(enumerate(the_plan.paths)), return_dtype=pl.String)
    )
    _flag_counts(
        rows,
        qty=rows["qty"].to_numpy(),
        no_state=rows["no_state"].to_numpy(),
        no_pri=rows["no_pri"].to_numpy(),
        issues=issues,
    )


def _flag_strays(
    store: Store,
    model: Model,
    the_plan: Plan,
    *,
    prefix: str,
    query: ElementQuery,
    settings: KpiSettings,
    issues: _Issues,
) -> None:
    """Flag state and count records of paths the model lacks, and unknown state values."""
    found = _frame(
        store.unknown_records(
            path_prefix=prefix,
            paths=the_plan.paths,
            states=list(STATE_CLASS),
            end=query.hi,
            count_start=query.count_lo,
            count_end=query.count_hi,
        )
    )
    if not found.height:
        return
    until = dict(zip(the_plan.paths, query.until or [query.hi] * len(the_plan.paths), strict=True))
    stale = query.stale_us
    for path in found.filter(pl.col("kind") == "state")["path"].to_list():
        intervals = _frame(
            store.state_intervals(path_prefix=path, start=query.lo - (stale or 0), end=query.hi)
        )
        # The same cut as the statement's, so the flagged time is the time counted.
        intervals = clip_intervals(
            intervals.filter(pl.col("path") == path),
            model,
            newest=until,
            lo=query.lo,
            stale_us=stale,
        )
        _state_columns(intervals, the_plan.paths, settings, issues, model)
    for path in found.filter(pl.col("kind") == "count")["path"].to_list():
        counts = _frame(
            store.records(
                RecordKind.COUNT, path_prefix=path, start=query.count_lo, end=query.count_hi
            )
        )
        counts = counts.filter(pl.col("path") == path)
        _count_frame(counts, the_plan.paths, the_plan.pri, issues, model)
