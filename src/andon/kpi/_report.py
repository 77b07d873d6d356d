"""KPIs from a store: fetch the records of a time range once, compute elements, then KPIs.

The store's typed queries (``state_intervals``, ``records``) are the only I/O; the same code
runs on the DuckDB and the PostgreSQL store. Everything after the fetch is columnar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from andon.errors import KpiError, StoreError
from andon.kpi._calendar import Period
from andon.kpi._elements import ElementInputs, KpiSettings, compute_elements
from andon.kpi._formulas import Grain, aggregate, kpis
from andon.model import Model
from andon.records import RecordKind, to_micros
from andon.store.base import Store, TimeArg

__all__ = ["KpiRun", "compute", "elements_from_records", "kpi_table", "parse_period"]


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


def elements_from_records(
    model: Model,
    *,
    intervals: pl.DataFrame,
    start: TimeArg,
    end: TimeArg,
    period: Period | str = Period.DAY,
    counts: pl.DataFrame | None = None,
    maintenance: pl.DataFrame | None = None,
    orders: pl.DataFrame | None = None,
    energy: pl.DataFrame | None = None,
    settings: KpiSettings | None = None,
    custom_bounds: tuple[TimeArg, ...] = (),
    path_prefix: str | None = None,
) -> KpiRun:
    """Compute elements from record frames already in memory (no store): the pure core."""
    if start is None or end is None:
        msg = "give both start and end of the time range"
        raise KpiError(msg)
    start_us, end_us = to_micros(start), to_micros(end)
    chosen = parse_period(period)
    elements, issues = compute_elements(
        model,
        ElementInputs(
            intervals=intervals,
            counts=counts,
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
    )
    return KpiRun(elements, issues, chosen, _dt(start_us), _dt(end_us))


def compute(
    store: Store,
    model: Model,
    *,
    start: TimeArg,
    end: TimeArg,
    period: Period | str = Period.DAY,
    path_prefix: str | None = None,
    settings: KpiSettings | None = None,
    custom_bounds: tuple[TimeArg, ...] = (),
) -> KpiRun:
    """Fetch a time range's records from the store and compute elements and issues.

    State intervals are fetched with a margin of the minor-stop threshold on both sides so
    that a stop cut by the range is classed by its full length.
    """
    settings = settings or KpiSettings()
    if start is None or end is None:
        msg = "give both start and end of the time range"
        raise KpiError(msg)
    start_us, end_us = to_micros(start), to_micros(end)
    if end_us <= start_us:
        msg = f"the time range is empty: end {_dt(end_us)} is not after start {_dt(start_us)}"
        raise KpiError(msg)
    margin = int(settings.minor_stop_s * 1_000_000) + 1
    prefix = path_prefix or model.root
    try:
        intervals = store.state_intervals(
            path_prefix=prefix, start=start_us - margin, end=end_us + margin
        )
        counts = store.records(RecordKind.COUNT, path_prefix=prefix, start=start_us, end=end_us + 1)
        maintenance = store.records(RecordKind.MAINTENANCE, path_prefix=prefix, end=end_us)
        orders = store.records(RecordKind.ORDER, end=end_us)
        energy = store.records(
            RecordKind.ENERGY, path_prefix=prefix, start=start_us, end=end_us + 1
        )
    except StoreError as exc:
        msg = f"cannot read records for KPIs: {exc}"
        raise KpiError(msg) from exc
    return elements_from_records(
        model,
        intervals=_frame(intervals),
        counts=_frame(counts),
        maintenance=_frame(maintenance),
        orders=_frame(orders),
        energy=_frame(energy),
        start=start_us,
        end=end_us,
        period=period,
        settings=settings,
        custom_bounds=custom_bounds,
        path_prefix=path_prefix,
    )


def kpi_table(
    store: Store,
    model: Model,
    *,
    grain: Grain | str,
    start: TimeArg,
    end: TimeArg,
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
