"""The Store protocol: what every layer may ask of andon's storage, with typed results.

Two implementations pass one parametrised test suite: :class:`~andon.store.duckdb.DuckDBStore`
(embedded, the default) and :class:`~andon.store.postgres.PostgresStore` (server). Queries
that apps need are methods here, not SQL strings scattered through apps.

Every time argument is UTC microseconds since the epoch (an ``int``) or an aware datetime.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pyarrow as pa

from andon.records import TS_TYPE, RecordKind

if TYPE_CHECKING:
    from andon.store._aux import AuxTable
    from andon.store.kpi_queries import ElementQuery

__all__ = [
    "QUARANTINE_SCHEMA",
    "STATE_INTERVAL_SCHEMA",
    "Store",
    "TimeArg",
    "WriteResult",
]

TimeArg = int | dt.datetime | None
"""A bound of a time range: UTC microseconds, an aware datetime, or ``None`` for open."""

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("received_at", TS_TYPE, nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("source", pa.string()),
        pa.field("ts", TS_TYPE),
        pa.field("path", pa.string()),
        pa.field("reason", pa.string(), nullable=False),  # stable code, e.g. "unknown_path"
        pa.field("detail", pa.string()),  # for people: what was wrong and what was expected
        pa.field("record", pa.string()),  # the rejected row as JSON, so nothing is lost
    ]
)
"""Rows that failed a contract, each with its reason and the original record."""

STATE_INTERVAL_SCHEMA = pa.schema(
    [
        pa.field("path", pa.string(), nullable=False),
        pa.field("state", pa.string(), nullable=False),
        pa.field("reason", pa.string()),
        pa.field("start", TS_TYPE, nullable=False),
        pa.field("end", TS_TYPE, nullable=False),
    ]
)
"""State intervals: each state record lasts until the next record of the same equipment."""


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a write did: rows written, rows already there (duplicates), batch already seen."""

    kind: RecordKind
    written: int
    duplicates: int
    batch_seen: bool = False


@runtime_checkable
class Store(Protocol):
    """andon's storage: idempotent writes of canonical records, quarantine, typed queries."""

    @property
    def dialect(self) -> str:
        """``"duckdb"`` or ``"postgres"``."""
        ...

    def write(
        self, kind: RecordKind, table: pa.Table, *, batch_id: str | None = None
    ) -> WriteResult:
        """Write a batch of one record kind, idempotently by natural key, all or nothing.

        ``batch_id`` names the batch (a connector's message id, a file chunk): a batch id seen
        before is skipped whole without touching rows. Without it, rows are deduplicated by
        their natural key.
        """
        ...

    def quarantine(self, table: pa.Table) -> int:
        """Append rejected rows (``QUARANTINE_SCHEMA``); return how many were stored."""
        ...

    def records(
        self,
        kind: RecordKind,
        *,
        path_prefix: str | None = None,
        start: TimeArg = None,
        end: TimeArg = None,
        limit: int | None = None,
    ) -> pa.Table:
        """Return records of a kind at or below ``path_prefix``, ``start <= ts < end``, by ts."""
        ...

    def samples(
        self,
        *,
        path_prefix: str | None = None,
        tags: Sequence[str] | None = None,
        start: TimeArg = None,
        end: TimeArg = None,
    ) -> pa.Table:
        """Return samples (ts, path, value, quality) of tags below a prefix or named exactly."""
        ...

    def latest_samples(self, *, path_prefix: str | None = None) -> pa.Table:
        """Return the newest sample of each tag below a prefix (path, ts, value, quality)."""
        ...

    def state_intervals(
        self, *, path_prefix: str | None = None, start: TimeArg = None, end: TimeArg = None
    ) -> pa.Table:
        """Return state intervals (``STATE_INTERVAL_SCHEMA``) clipped to ``[start, end)``.

        The last state of an equipment lasts until ``end`` (zero length when ``end`` is open).
        """
        ...

    def quarantined(
        self, *, start: TimeArg = None, end: TimeArg = None, reason: str | None = None
    ) -> pa.Table:
        """Return quarantined rows received in a time range (``QUARANTINE_SCHEMA``)."""
        ...

    def quarantine_summary(self) -> pa.Table:
        """Return quarantined row counts by kind, source and reason."""
        ...

    def count_rows(self, kind: RecordKind) -> int:
        """Return how many records of a kind are stored."""
        ...

    # -- the KPI layer's queries (andon.store.kpi_queries): sums inside the engine --------

    def element_sums(self, query: ElementQuery) -> pa.Table:
        """Return state time and count sums per (equipment, period), summed in the engine.

        One row per equipment and period with any state or count, in the columns of
        :func:`andon.store.kpi_queries.element_sums_schema` for ``query.selections``.
        """
        ...

    def flagged_counts(self, query: ElementQuery) -> pa.Table:
        """Return the count records of the query's periods that a data-quality flag names.

        Counts before any state of their equipment, or placed without a planned run time
        (:data:`andon.store.kpi_queries.FLAGGED_COUNT_SCHEMA`).
        """
        ...

    def unknown_records(
        self,
        *,
        path_prefix: str,
        paths: Sequence[str],
        states: Sequence[str],
        end: int,
        count_start: int,
        count_end: int,
    ) -> pa.Table:
        """Return, per kind and path, how many records below a prefix the caller does not know.

        ``state``: state records before ``end`` of a path not in ``paths`` or a state not in
        ``states``; ``count``: count records in ``[count_start, count_end)`` of a path not
        in ``paths`` (:data:`andon.store.kpi_queries.UNKNOWN_RECORD_SCHEMA`). Times are UTC
        microseconds.
        """
        ...

    def newest_records(self, *, path_prefix: str, since: int | None = None) -> pa.Table:
        """Return the newest record time per path below a prefix (state, count, sample, unit
        and inspection records; at or after ``since`` UTC microseconds when given), in
        :data:`andon.store.kpi_queries.NEWEST_RECORD_SCHEMA`."""
        ...

    # -- end of the KPI layer's queries ---------------------------------------------------

    def declare_table(self, table: AuxTable) -> None:
        """Bring an auxiliary table to a declared schema version, recording the step.

        Idempotent: declaring the version the store holds changes nothing. See
        :class:`andon.store.AuxTable` for what a new version does.
        """
        ...

    def write_table(self, name: str, table: pa.Table) -> None:
        """Append rows to an auxiliary table (ground truth, fitted artifacts, KPI state).

        The first write into a name nobody declared records version 1 of the batch's columns.
        """
        ...

    def read_table(self, name: str) -> pa.Table:
        """Return an auxiliary table written with :meth:`write_table`."""
        ...

    def schema_version(self) -> int:
        """Return the version of the applied schema migrations."""
        ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run one statement of the store's own table modules (:mod:`andon.store.decisions`).

        Placeholders are ``?`` in both dialects. Nothing outside ``andon.store`` writes a
        statement (a test keeps it so): other layers call the typed methods above or those
        modules' typed methods. Inside :meth:`transaction` the statement joins that
        transaction.
        """
        ...

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run one ``SELECT`` of the store's own table modules; return its rows as dicts.

        For small results (a record, a page of records): no Arrow table is built, which for
        a handful of rows costs more than the query. Placeholders and transactions as in
        :meth:`execute`.
        """
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """Return a context in which every :meth:`execute` commits together or not at all."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...
