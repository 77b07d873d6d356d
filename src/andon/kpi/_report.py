"""KPIs from a store: fetch the records of a time range once, compute elements, then KPIs.

The store's typed queries (``state_intervals``, ``records``) are the only I/O; the same code
runs on the DuckDB and the PostgreSQL store. Everything after the fetch is columnar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
import pyarrow as pa

from andon.errors import KpiError, StoreError
from andon.kpi._calendar import Period
from andon.kpi._elements import ElementInputs, KpiSettings, compute_elements
from andon.kpi._formulas import Grain, aggregate, kpis
from andon.kpi._freshness import clip_intervals, newest_by_equipment, stopped_feeds
from andon.kpi._pushdown import store_elements
from andon.model import Model
from andon.records import RecordKind, to_micros
from andon.store.base import Store, TimeArg
from andon.store.queries import inspections_of_units

__all__ = [
    "KpiRun",
    "compute",
    "data_quality",
    "elements_from_records",
    "kpi_table",
    "parse_period",
    "state_record_issues",
]


IN_STORE_BY_DEFAULT: Final[dict[str, bool]] = {"duckdb": True, "postgres": False}
"""Whether ``compute`` sums elements inside the store unless told, by dialect. Measured
with benchmarks/kpi.py on a year of 200 equipment: in DuckDB the SQL takes about half the
time of fetching the intervals and summing them in Polars; PostgreSQL runs the same
statement in one backend process, about 20 CPU-seconds, where the Polars path (COPY out,
numpy) takes less than half the wall time, so PostgreSQL keeps the Polars path."""


@dataclass(frozen=True, slots=True)
class KpiRun:
    """Elements per equipment and period of one computation, with its data-quality issues."""

    elements: pl.DataFrame
    """Additive elements per element path and period (see ``ELEMENT_COLUMNS``)."""
    issues: pl.DataFrame
    """Data-quality issues: code, path, start, end, quantity, message."""
    period: Period
    start: dt.datetime
    end: dt.datetime
    newest: pl.DataFrame | None = None
    """The newest record of each equipment (``path``, ``newest_at``), from the store: a feed
    that stopped is also an issue ``data.stopped`` ("no data from ... since ...")."""

    def stopped(self) -> pl.DataFrame:
        """Return the ``data.stopped`` issues: equipment whose data stopped, and since when."""
        return self.issues.filter(pl.col("code") == "data.stopped")

    def kpis(self, grain: Grain | str) -> pl.DataFrame:
        """Return summed elements and every KPI per element of ``grain`` and period."""
        return kpis(aggregate(self.elements, grain))


def parse_period(period: Period | str) -> Period:
    """Return the period named, or a :class:`KpiError` that lists the choices."""
    try:
        return Period(period)
    except ValueError as exc:
        choices = ", ".join(p.value for p in Period)
        msg = f"unknown period {period!r}; choose one of {choices}"
        raise KpiError(msg) from exc


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _dt(micros: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


When = TimeArg | dt.date
"""A bound: UTC microseconds, an aware datetime, or a date meaning each site's local midnight."""


def _site_ranges(
    model: Model, start: When, end: When
) -> tuple[int, int, dict[str, tuple[int, int]] | None]:
    """Return the overall UTC range and, for dates, each site's range of whole local days."""
    if start is None or end is None:
        msg = "give both start and end of the time range"
        raise KpiError(msg)
    if _is_date(start) != _is_date(end):
        msg = "give start and end both as dates or both as times"
        raise KpiError(msg)
    if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        return to_micros(start), to_micros(end), None  # type: ignore[arg-type]
    assert isinstance(end, dt.date)
    ranges: dict[str, tuple[int, int]] = {}
    for site_path, site in model.sites.items():
        try:
            tz = ZoneInfo(site.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            msg = f"site {site_path} has an unknown time zone {site.timezone!r}"
            raise KpiError(msg) from exc
        lo = dt.datetime(start.year, start.month, start.day, tzinfo=tz)
        hi = dt.datetime(end.year, end.month, end.day, tzinfo=tz)
        ranges[site_path] = (to_micros(lo.astimezone(dt.UTC)), to_micros(hi.astimezone(dt.UTC)))
    if not ranges:
        msg = "the model has no site"
        raise KpiError(msg)
    return min(r[0] for r in ranges.values()), max(r[1] for r in ranges.values()), ranges


def elements_from_records(
    model: Model,
    *,
    intervals: pl.DataFrame,
    start: When,
    end: When,
    period: Period | str = Period.DAY,
    counts: pl.DataFrame | None = None,
    inspections: pl.DataFrame | None = None,
    maintenance: pl.DataFrame | None = None,
    orders: pl.DataFrame | None = None,
    energy: pl.DataFrame | None = None,
    settings: KpiSettings | None = None,
    custom_bounds: tuple[TimeArg, ...] = (),
    path_prefix: str | None = None,
) -> KpiRun:
    """Compute elements from record frames already in memory (no store): the pure core.

    Dates for ``start`` and ``end`` mean whole local days at every site.
    """
    start_us, end_us, site_ranges = _site_ranges(model, start, end)
    if end_us <= start_us:
        msg = f"the time range is empty: end {_dt(end_us)} is not after start {_dt(start_us)}"
        raise KpiError(msg)
    chosen = parse_period(period)
    elements, issues = compute_elements(
        model,
        ElementInputs(
            intervals=intervals,
            counts=counts,
            inspections=inspections,
            maintenance=maintenance,
            orders=orders,
            energy=energy,
        ),
        start=start_us,
        end=end_us,
        period=chosen,
        settings=settings,
        custom_bounds=tuple(to_micros(b) for b in custom_bounds if b is not None),
        path_prefix=path_prefix,
        site_ranges=site_ranges,
    )
    return KpiRun(elements, issues, chosen, _dt(start_us), _dt(end_us))


def compute(
    store: Store,
    model: Model,
    *,
    start: When,
    end: When,
    period: Period | str = Period.DAY,
    path_prefix: str | None = None,
    settings: KpiSettings | None = None,
    custom_bounds: tuple[TimeArg, ...] = (),
    in_store: bool | None = None,
) -> KpiRun:
    """Compute a time range's elements and issues from the store's records.

    Dates for ``start`` and ``end`` mean whole local days at every site. State intervals are
    cut with a margin of the minor-stop threshold on both sides so that a stop cut by the
    range is classed by its full length.

    With ``in_store`` the state and count elements are summed by the store's own engine
    (DuckDB or PostgreSQL) and only one row per equipment and period comes back; without it
    the intervals and records are fetched and summed in Polars (the reference the SQL is
    tested against). ``None`` picks the faster for the store (:data:`IN_STORE_BY_DEFAULT`).
    """
    settings = settings or KpiSettings()
    start_us, end_us, site_ranges = _site_ranges(model, start, end)
    if end_us <= start_us:
        msg = f"the time range is empty: end {_dt(end_us)} is not after start {_dt(start_us)}"
        raise KpiError(msg)
    margin = int(settings.minor_stop_s * 1_000_000) + 1
    prefix = path_prefix or model.root
    stale_us = None if settings.stale_after_s is None else int(settings.stale_after_s * 1e6)
    newest = newest_by_equipment(store, model, prefix=prefix, since=start_us - margin)
    if in_store is None:
        in_store = IN_STORE_BY_DEFAULT.get(store.dialect, False)
    if in_store:
        run = _compute_in_store(
            store,
            model,
            start_us=start_us,
            end_us=end_us,
            site_ranges=site_ranges,
            period=parse_period(period),
            prefix=prefix,
            path_prefix=path_prefix,
            settings=settings,
            custom_bounds=custom_bounds,
            newest=newest,
        )
        return _with_freshness(run, store, model, newest, prefix=prefix, settings=settings)
    try:
        intervals = store.state_intervals(
            path_prefix=prefix, start=start_us - margin - (stale_us or 0), end=end_us + margin
        )
        counts = store.records(RecordKind.COUNT, path_prefix=prefix, start=start_us, end=end_us + 1)
        inspections = inspections_of_units(store, path_prefix=prefix, start=start_us, end=end_us)
        maintenance = store.records(RecordKind.MAINTENANCE, path_prefix=prefix, end=end_us)
        orders = store.records(RecordKind.ORDER, end=end_us)
        energy = store.records(
            RecordKind.ENERGY, path_prefix=prefix, start=start_us, end=end_us + 1
        )
    except StoreError as exc:
        msg = f"cannot read records for KPIs: {exc}"
        raise KpiError(msg) from exc
    run = elements_from_records(
        model,
        intervals=clip_intervals(
            _frame(intervals), model, newest=newest, lo=start_us - margin, stale_us=stale_us
        ),
        counts=_frame(counts),
        inspections=_frame(inspections),
        maintenance=_frame(maintenance),
        orders=_frame(orders),
        energy=_frame(energy),
        start=start,
        end=end,
        period=period,
        settings=settings,
        custom_bounds=custom_bounds,
        path_prefix=path_prefix,
    )
    return _with_freshness(run, store, model, newest, prefix=prefix, settings=settings)


def _with_freshness(
    run: KpiRun,
    store: Store,
    model: Model,
    newest: dict[str, int],
    *,
    prefix: str,
    settings: KpiSettings,
) -> KpiRun:
    """Add the newest record of each equipment and the ``data.stopped`` issues to a run."""
    paths = sorted(
        p for p in model.equipment if p == prefix or p.startswith(prefix.rstrip("/") + "/")
    )
    silent = [p for p in paths if p not in newest]
    if silent:
        # Silent over the whole range: when did it last say anything? (rare, so one more
        # look-up rather than a scan of all history on every computation)
        older = newest_by_equipment(store, model, prefix=prefix, since=None)
        newest = {**{p: older[p] for p in silent if p in older}, **newest}
    end_us = to_micros(run.end)
    silent_us = int(settings.silent_after_s * 1_000_000)
    stopped = stopped_feeds(newest, paths, end=end_us, silent_us=silent_us)
    issues = run.issues
    if stopped.height:
        stopped = stopped.with_columns(
            pl.from_epoch("start", time_unit="us").dt.replace_time_zone("UTC"),
            pl.from_epoch("end", time_unit="us").dt.replace_time_zone("UTC"),
        )
        issues = pl.concat([issues, stopped.select(issues.columns)], how="vertical_relaxed")
        issues = issues.sort("code", "path", "start", nulls_last=False)
    frame = pl.DataFrame(
        {
            "path": list(newest),
            "newest_at": pl.Series(list(newest.values()), dtype=pl.Int64),
        }
    ).with_columns(pl.from_epoch("newest_at", time_unit="us").dt.replace_time_zone("UTC"))
    return KpiRun(run.elements, issues, run.period, run.start, run.end, newest=frame.sort("path"))


def _compute_in_store(
    store: Store,
    model: Model,
    *,
    start_us: int,
    end_us: int,
    site_ranges: dict[str, tuple[int, int]] | None,
    period: Period,
    prefix: str,
    path_prefix: str | None,
    settings: KpiSettings,
    custom_bounds: tuple[TimeArg, ...],
    newest: dict[str, int],
) -> KpiRun:
    try:
        # A unit's first inspection may precede the range: those of the units in it.
        inspections = inspections_of_units(store, path_prefix=prefix, start=start_us, end=end_us)
        maintenance = store.records(RecordKind.MAINTENANCE, path_prefix=prefix, end=end_us)
        orders = store.records(RecordKind.ORDER, end=end_us)
        energy = store.records(
            RecordKind.ENERGY, path_prefix=prefix, start=start_us, end=end_us + 1
        )
        elements, issues = store_elements(
            store,
            model,
            start=start_us,
            end=end_us,
            period=period,
            prefix=prefix,
            settings=settings,
            custom_bounds=tuple(to_micros(b) for b in custom_bounds if b is not None),
            path_prefix=path_prefix,
            site_ranges=site_ranges,
            inspections=_frame(inspections),
            maintenance=_frame(maintenance),
            orders=_frame(orders),
            energy=_frame(energy),
            newest=newest,
        )
    except StoreError as exc:
        msg = f"cannot compute KPIs in the store: {exc}"
        raise KpiError(msg) from exc
    return KpiRun(elements, issues, period, _dt(start_us), _dt(end_us))


def kpi_table(
    store: Store,
    model: Model,
    *,
    grain: Grain | str,
    start: When,
    end: When,
    period: Period | str = Period.DAY,
    path_prefix: str | None = None,
    settings: KpiSettings | None = None,
) -> pl.DataFrame:
    """Return every KPI per element of ``grain`` and period, with the elements they come from."""
    run = compute(
        store,
        model,
        start=start,
        end=end,
        period=period,
        path_prefix=path_prefix,
        settings=settings,
    )
    return run.kpis(grain)


def state_record_issues(states: pl.DataFrame) -> pl.DataFrame:
    """Flag what state intervals cannot show: conflicting records and competing sources.

    ``states`` are raw state records (``andon.records`` state kind). Two records of one
    equipment at the same instant with different states (``state.conflict``) leave one of
    them as a zero-length interval; two sources that report the same equipment over the
    same time (``state.sources``) interleave into one timeline. Both are listed with path,
    time range and a count, for a person to decide which source is right.
    """
    columns = ["code", "path", "start", "end", "quantity", "message"]
    if not states.height:
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.String)).cast(
            {
                "start": pl.Datetime("us", "UTC"),
                "end": pl.Datetime("us", "UTC"),
                "quantity": pl.Float64,
            }
        )
    conflicts = (
        states.group_by("path", "ts")
        .agg(
            n=pl.col("state").n_unique(),
            states=pl.col("state").unique().sort().str.join(", "),
        )
        .filter(pl.col("n") > 1)
        .group_by("path")
        .agg(
            start=pl.col("ts").min(),
            end=pl.col("ts").max(),
            quantity=pl.len().cast(pl.Float64),
            message=pl.format(
                "records at the same instant with different states ({}); the store keeps one",
                pl.col("states").first(),
            ),
        )
        .with_columns(code=pl.lit("state.conflict"))
    )
    spans = states.group_by("path", "source").agg(lo=pl.col("ts").min(), hi=pl.col("ts").max())
    shared = (
        spans.join(spans, on="path", suffix="_other")
        .filter(
            (pl.col("source") < pl.col("source_other"))
            & (pl.col("lo") < pl.col("hi_other"))
            & (pl.col("lo_other") < pl.col("hi"))
        )
        .select(
            "path",
            start=pl.max_horizontal("lo", "lo_other"),
            end=pl.min_horizontal("hi", "hi_other"),
            quantity=pl.lit(2.0),
            message=pl.format(
                "sources {} and {} both report this equipment's state over the same time",
                pl.col("source"),
                pl.col("source_other"),
            ),
            code=pl.lit("state.sources"),
        )
    )
    return pl.concat([conflicts.select(columns), shared.select(columns)]).sort("code", "path")


def data_quality(
    store: Store,
    model: Model,
    *,
    start: When,
    end: When,
    path_prefix: str | None = None,
    settings: KpiSettings | None = None,
) -> pl.DataFrame:
    """Return the whole data-quality report of a range: the KPI run's issues and the raw
    state records' conflicts (:func:`state_record_issues`)."""
    run = compute(store, model, start=start, end=end, path_prefix=path_prefix, settings=settings)
    start_us, end_us, _ = _site_ranges(model, start, end)
    try:
        raw = store.records(
            RecordKind.STATE, path_prefix=path_prefix or model.root, start=start_us, end=end_us
        )
    except StoreError as exc:
        msg = f"cannot read state records: {exc}"
        raise KpiError(msg) from exc
    extra = state_record_issues(_frame(raw))
    return pl.concat([run.issues, extra], how="vertical_relaxed").sort("code", "path")
