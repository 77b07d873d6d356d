"""The embedded store on DuckDB: one file (or memory), Arrow in and out, no server.

Writes and transactions go through one connection, one at a time (DuckDB has one writer,
and andon's audit chain orders every change). Reads outside a transaction run on cursors of
their own (``connection.cursor()``: independent connections to the same database), taken
from a small pool, so that many readers, an API's request threads for instance, run at once
with each other and with the writer, each seeing the last committed state.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from andon.errors import StoreError
from andon.records import NATURAL_KEYS, PATH_COLUMNS, RecordKind, schema_of, to_micros
from andon.store import _aux
from andon.store._aux import AuxColumn, AuxTable
from andon.store._conform import conform
from andon.store._keys import may_repeat_keys
from andon.store._kpi_sql import (
    element_sums_sql,
    flagged_counts_sql,
    newest_records_sql,
    unknown_records_sql,
)
from andon.store._sql import (
    LIST_TABLES,
    MIGRATIONS,
    QUARANTINE_SUMMARY,
    SCHEMA_MIGRATIONS_TABLE,
    quarantine_where,
    state_intervals_sql,
    table_name,
)
from andon.store.base import QUARANTINE_SCHEMA, STATE_INTERVAL_SCHEMA, TimeArg, WriteResult
from andon.store.kpi_queries import (
    FLAGGED_COUNT_SCHEMA,
    NEWEST_RECORD_SCHEMA,
    UNKNOWN_RECORD_SCHEMA,
    ElementQuery,
    element_sums_schema,
)

__all__ = ["DEFAULT_MEMORY_LIMIT", "MEMORY_LIMIT_ENV", "DuckDBStore"]

_READ = re.compile(r"^\s*SELECT\b", re.IGNORECASE)
_DML = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_IDLE_READERS = 8
_log = logging.getLogger("andon.store")
"""Reader cursors kept for reuse; more are opened while more threads read at once."""


def _arrow(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any]) -> pa.Table:
    """Run one statement and return its result as Arrow (a ``Count`` column for DML).

    Plain DML runs through the DB-API ``execute``, which costs a third of building a
    relation and converting its one-row result to Arrow: it matters on the writer's
    connection, where every statement of a decision's change is spent holding the lock.
    """
    if _DML.match(sql) and not _RETURNING.search(sql):
        rows = con.execute(sql, list(params)).fetchall()
        return pa.table({"Count": pa.array([int(rows[0][0]) if rows else 0], pa.int64())})
    relation: Any = con.sql(sql, params=list(params) or None)
    if relation is None:  # DuckDB before 2.0 runs DML at once and returns nothing
        return pa.table({"Count": pa.array([], pa.int64())})
    return relation.to_arrow_table()


def _micros(value: TimeArg) -> int | None:
    return None if value is None else to_micros(value)


MEMORY_LIMIT_ENV = "ANDON_DUCKDB_MEMORY_LIMIT"
"""Environment variable that sets the engine's memory limit (DuckDB syntax: ``4GB``)."""

DEFAULT_MEMORY_LIMIT = "2GB"
"""DuckDB's buffers (hash tables of an aggregation, scanned blocks) are bounded to this, and
spill to the database's temporary folder beyond it. DuckDB's own default is 80 % of the
machine's memory, which an app's year-long fit beside it would share: the fit of 210
machines on 90 days peaked at 2.6 GB with DuckDB's default and 1.9 GB at 1 GB, with the same
model (``benchmarks/maintenance_fit.py``)."""


class DuckDBStore:
    """andon's default store: a DuckDB database file, or memory when ``path`` is ``None``.

    >>> from andon.store._sql import MIGRATIONS
    >>> store = DuckDBStore(None)
    >>> store.schema_version() == MIGRATIONS[-1].version
    True
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        read_only: bool = False,
        memory_limit: str | None = None,
    ) -> None:
        self.path = None if path is None else Path(path)
        limit = memory_limit or os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT
        try:
            self._con = duckdb.connect(
                ":memory:" if path is None else str(path),
                read_only=read_only,
                config={"memory_limit": limit},
            )
        except duckdb.Error as exc:
            if "Could not set lock" in str(exc):
                msg = (
                    f"cannot open DuckDB store at {path}: another process holds it (a DuckDB "
                    "file has one process at a time; with `andon serve` running, change users "
                    "and decisions in its console or API, or use PostgreSQL for several "
                    f"processes): {exc}"
                )
                raise StoreError(msg, code="store.locked") from exc
            msg = f"cannot open DuckDB store at {path}: {exc}"
            raise StoreError(msg) from exc
        self._read_only = read_only
        self._lock = threading.RLock()
        self._depth = 0  # nesting of transaction(): inner blocks join the outer one
        self._owner: int | None = None  # the thread whose transaction is open
        self._readers: list[duckdb.DuckDBPyConnection] = []
        self._readers_lock = threading.Lock()
        self._closed = False
        self._con.execute("SET TimeZone = 'UTC'")
        self._factory = self._con.cursor()
        if not read_only:
            self._migrate()

    @property
    def dialect(self) -> str:
        """The SQL dialect, ``"duckdb"``."""
        return "duckdb"

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        """Run a block in its own transaction, or inside the caller's :meth:`transaction`.

        DuckDB has no savepoints: inside a caller's transaction a failure aborts all of it,
        which the caller's context then rolls back.
        """
        with self._lock:
            if self._depth:
                yield
                return
            self._con.begin()
            self._depth += 1
            self._owner = threading.get_ident()
            try:
                yield
            except BaseException:
                self._con.rollback()
                raise
            finally:
                self._depth -= 1
                self._owner = None
            self._con.commit()

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The underlying connection, for andon's own repositories (decisions, audit)."""
        return self._con

    def _migrate(self) -> None:
        with self._lock:
            self._con.execute(SCHEMA_MIGRATIONS_TABLE)
            current = self.schema_version()
            for migration in MIGRATIONS:
                if migration.version <= current:
                    continue
                self._con.begin()
                try:
                    tables = frozenset(str(r[0]) for r in self._con.execute(LIST_TABLES).fetchall())
                    for statement in migration.statements("duckdb", tables):
                        self._con.execute(statement)
                    self._con.execute(
                        "INSERT INTO schema_migrations VALUES (?, ?, now())",
                        [migration.version, migration.description],
                    )
                    self._con.commit()
                except duckdb.Error as exc:
                    self._con.rollback()
                    msg = f"migration {migration.version} failed: {exc}"
                    raise StoreError(msg) from exc

    def schema_version(self) -> int:
        """Return the highest applied migration."""
        with self._lock:
            row = self._con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
            result = row.fetchall()
        return int(result[0][0]) if result else 0

    def write(
        self, kind: RecordKind, table: pa.Table, *, batch_id: str | None = None
    ) -> WriteResult:
        """Write a batch idempotently, all or nothing (see :class:`andon.store.Store`)."""
        kind = RecordKind(kind)
        batch = conform(kind, table)
        if batch.num_rows == 0:
            return WriteResult(kind, 0, 0)
        target = table_name(kind)
        keys = NATURAL_KEYS[kind]
        bounds = pc.min_max(batch.column("ts"))
        ts_min, ts_max = bounds["min"].value, bounds["max"].value
        sources = pc.unique(batch.column("source")).to_pylist()
        repeats = may_repeat_keys(kind, batch)  # in-batch dedupe only when it can matter
        try:
            with self._atomic():
                con = self._con
                if batch_id is not None:
                    seen = con.execute(
                        "SELECT count(*) FROM store_batches WHERE kind = ? AND batch_id = ?",
                        [kind.value, batch_id],
                    ).fetchall()
                    if seen[0][0]:
                        return WriteResult(kind, 0, batch.num_rows, batch_seen=True)
                # Zone maps on ts make this probe nearly free when sources deliver in time
                # order; only an overlapping batch pays the anti-join on its natural key.
                window = "ts BETWEEN make_timestamptz(?) AND make_timestamptz(?)"
                overlap = con.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM {target} WHERE {window} "
                    "AND list_contains(?, source) LIMIT 1)",
                    [ts_min, ts_max, sources],
                ).fetchall()
                con.register("_andon_batch", batch)
                try:
                    key_list = ", ".join(f'"{k}"' for k in keys)
                    distinct = (
                        f"SELECT DISTINCT ON ({key_list}) * FROM _andon_batch"
                        if repeats
                        else "SELECT * FROM _andon_batch"
                    )
                    if overlap[0][0]:
                        join = " AND ".join(f'e."{k}" = b."{k}"' for k in keys)
                        sql = (
                            f"INSERT INTO {target} SELECT b.* FROM ({distinct}) b WHERE NOT "
                            f"EXISTS (SELECT 1 FROM {target} e WHERE e.{window} AND {join})"
                        )
                        inserted = con.execute(sql, [ts_min, ts_max]).fetchall()
                    else:
                        inserted = con.execute(f"INSERT INTO {target} {distinct}").fetchall()
                finally:
                    con.unregister("_andon_batch")
                written = int(inserted[0][0]) if inserted else 0
                if batch_id is not None:
                    con.execute(
                        "INSERT INTO store_batches VALUES (?, ?, ?, now())",
                        [kind.value, batch_id, batch.num_rows],
                    )
        except duckdb.Error as exc:
            msg = f"writing {batch.num_rows} {kind.value} records failed: {exc}"
            raise StoreError(msg) from exc
        return WriteResult(kind, written, batch.num_rows - written)

    def quarantine(self, table: pa.Table) -> int:
        """Append rejected rows with their reasons."""
        if table.num_rows == 0:
            return 0
        rows = table.select(QUARANTINE_SCHEMA.names).cast(QUARANTINE_SCHEMA)
        try:
            with self._atomic():
                self._con.register("_andon_quarantine", rows)
                try:
                    self._con.execute("INSERT INTO quarantine SELECT * FROM _andon_quarantine")
                finally:
                    self._con.unregister("_andon_quarantine")
        except duckdb.Error as exc:
            msg = f"writing {rows.num_rows} quarantined rows failed: {exc}"
            raise StoreError(msg) from exc
        return int(rows.num_rows)

    @contextmanager
    def _reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Lend a cursor for one read; inside this thread's transaction, its connection."""
        if self._owner == threading.get_ident():
            with self._lock:
                yield self._con
            return
        with self._readers_lock:
            if self._closed:
                msg = "the store is closed"
                raise StoreError(msg)
            cursor = self._readers.pop() if self._readers else None
        if cursor is None:
            with self._readers_lock:  # cursors come from an idle connection, never the writer's
                cursor = self._factory.cursor()
            cursor.execute("SET TimeZone = 'UTC'")
        try:
            yield cursor
        finally:
            with self._readers_lock:
                if self._closed or len(self._readers) >= _IDLE_READERS:
                    cursor.close()
                else:
                    self._readers.append(cursor)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        try:
            with self._reader() as con:
                return _arrow(con, sql, params)
        except duckdb.Error as exc:
            msg = f"query failed: {exc}"
            raise StoreError(msg) from exc

    @staticmethod
    def _where(
        path_column: str | None, path_prefix: str | None, start: TimeArg, end: TimeArg
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if path_prefix and path_column:
            prefix = path_prefix.rstrip("/")
            clauses.append(f'("{path_column}" = ? OR starts_with("{path_column}", ?))')
            params.extend([prefix, prefix + "/"])
        if start is not None:
            clauses.append("ts >= make_timestamptz(?)")
            params.append(_micros(start))
        if end is not None:
            clauses.append("ts < make_timestamptz(?)")
            params.append(_micros(end))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def _typed(self, kind: RecordKind, table: pa.Table) -> pa.Table:
        return table.cast(schema_of(kind))

    def records(
        self,
        kind: RecordKind,
        *,
        path_prefix: str | None = None,
        start: TimeArg = None,
        end: TimeArg = None,
        limit: int | None = None,
    ) -> pa.Table:
        """Return records of a kind below a path prefix in ``[start, end)``, ordered by ts."""
        kind = RecordKind(kind)
        where, params = self._where(PATH_COLUMNS.get(kind), path_prefix, start, end)
        sql = f"SELECT * FROM {table_name(kind)}{where} ORDER BY ts, seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self._typed(kind, self._query(sql, params))

    def samples(
        self,
        *,
        path_prefix: str | None = None,
        tags: Sequence[str] | None = None,
        start: TimeArg = None,
        end: TimeArg = None,
    ) -> pa.Table:
        """Return samples (ts, path, value, quality) below a prefix or of named tags."""
        where, params = self._where("path", path_prefix, start, end)
        if tags:
            where += (" AND " if where else " WHERE ") + "list_contains(?, path)"
            params.append(list(tags))
        return self._query(
            f"SELECT ts, path, value, quality FROM rec_sample{where} ORDER BY path, ts, seq", params
        )

    def latest_samples(self, *, path_prefix: str | None = None) -> pa.Table:
        """Return the newest sample of each tag below a prefix."""
        where, params = self._where("path", path_prefix, None, None)
        return self._query(
            "SELECT path, max(ts) AS ts, arg_max(value, (ts, seq)) AS value, "
            "arg_max(quality, (ts, seq)) AS quality "
            f"FROM rec_sample{where} GROUP BY path ORDER BY path",
            params,
        )

    def state_intervals(
        self, *, path_prefix: str | None = None, start: TimeArg = None, end: TimeArg = None
    ) -> pa.Table:
        """Return state intervals clipped to ``[start, end)``; see :class:`andon.store.Store`."""
        path_where, params = self._where("path", path_prefix, None, None)
        start_us, end_us = _micros(start), _micros(end)
        sql = state_intervals_sql(
            path_where,
            start=None if start_us is None else f"make_timestamptz({int(start_us)})",
            end=None if end_us is None else f"make_timestamptz({int(end_us)})",
        )
        return self._query(sql, params).cast(STATE_INTERVAL_SCHEMA)

    def quarantined(
        self, *, start: TimeArg = None, end: TimeArg = None, reason: str | None = None
    ) -> pa.Table:
        """Return quarantined rows received in ``[start, end)``."""
        where, params = quarantine_where(
            _micros(start), _micros(end), reason, param="?", time_param="make_timestamptz(?)"
        )
        return self._query(f"SELECT * FROM quarantine{where} ORDER BY received_at", params).cast(
            QUARANTINE_SCHEMA
        )

    def quarantine_summary(self) -> pa.Table:
        """Return quarantined row counts by kind, source and reason."""
        return self._query(QUARANTINE_SUMMARY)

    def count_rows(self, kind: RecordKind) -> int:
        """Return how many records of a kind are stored."""
        table = self._query(f"SELECT count(*) AS n FROM {table_name(RecordKind(kind))}")
        return int(table.column("n")[0].as_py())

    # -- the KPI layer's queries (andon.store.kpi_queries) --------------------------------

    def element_sums(self, query: ElementQuery) -> pa.Table:
        """Return state time and count sums per (equipment, period), summed in the engine."""
        sql, params = element_sums_sql(query, "duckdb")
        return self._query(sql, params).cast(element_sums_schema(list(query.selections)))

    def flagged_counts(self, query: ElementQuery) -> pa.Table:
        """Return the count records a data-quality flag names; see :class:`andon.store.Store`."""
        sql, params = flagged_counts_sql(query, "duckdb")
        return self._query(sql, params).cast(FLAGGED_COUNT_SCHEMA)

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
        """Return how many records of unknown paths or states, per kind and path."""
        sql, params = unknown_records_sql(
            dialect="duckdb",
            path_prefix=path_prefix,
            paths=paths,
            states=states,
            end=end,
            count_start=count_start,
            count_end=count_end,
        )
        return self._query(sql, params).cast(UNKNOWN_RECORD_SCHEMA)

    def newest_records(self, *, path_prefix: str, since: int | None = None) -> pa.Table:
        """Return the newest record time per path below a prefix; see :class:`andon.store.Store`."""
        sql, params = newest_records_sql(dialect="duckdb", path_prefix=path_prefix, since=since)
        return self._query(sql, params).cast(NEWEST_RECORD_SCHEMA)

    # -- end of the KPI layer's queries ---------------------------------------------------

    def declare_table(self, table: AuxTable) -> None:
        """Bring auxiliary table ``aux_<name>`` to a declared version (see :class:`AuxTable`)."""
        try:
            with self._atomic():
                self._declare(table)
        except duckdb.Error as exc:
            msg = f"declaring auxiliary table {table.name!r} version {table.version} failed: {exc}"
            raise StoreError(msg) from exc

    def _recorded(self, name: str) -> tuple[int, tuple[AuxColumn, ...]] | None:
        rows = self._con.execute(_aux.LEDGER_ROW, [name]).fetchall()
        return (int(rows[0][0]), _aux.decode(str(rows[0][1]))) if rows else None

    def _existing(self, name: str) -> tuple[AuxColumn, ...] | None:
        """Return the columns of ``aux_<name>`` as found, ``None`` when there is no table."""
        target = _aux.sql_name(name)
        described = self._con.execute(_aux.DESCRIBE_COLUMNS, [target]).fetchall()
        if not described:
            return None
        arrow = _arrow(self._con, f"SELECT * FROM {target} LIMIT 0", ())
        return _aux.existing_columns(arrow.schema, {str(n): v == "YES" for n, v in described})

    def _declare(self, table: AuxTable) -> None:
        recorded = self._recorded(table.name)
        existing = None if recorded is not None else self._existing(table.name)
        plan = _aux.plan("duckdb", table, recorded=recorded, existing=existing)
        for statement in plan.statements:
            self._con.execute(statement)
        if plan.record:
            self._con.execute(
                _aux.RECORD,
                [table.name, table.version, table.description, _aux.encode(plan.columns)],
            )

    def write_table(self, name: str, table: pa.Table) -> None:
        """Append rows to an auxiliary table (``aux_<name>``), declared or declared by this write.

        See :class:`andon.store.AuxTable`: the first write into an undeclared name records
        version 1 with that batch's columns; a batch with columns its recorded version lacks
        is refused.
        """
        target = _aux.sql_name(name)
        try:
            with self._atomic():
                con = self._con
                recorded = self._recorded(name)
                if recorded is None:
                    plan, declared = _aux.first_write(name, table.schema, self._existing(name))
                    for statement in plan.statements:
                        con.execute(statement)
                    con.execute(
                        _aux.RECORD, [name, 1, declared.description, _aux.encode(plan.columns)]
                    )
                    recorded = (1, plan.columns)
                _aux.check_batch(name, recorded[0], recorded[1], table.schema)
                con.register("_andon_aux", table)
                try:
                    con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM _andon_aux")
                finally:
                    con.unregister("_andon_aux")
        except duckdb.Error as exc:
            msg = f"writing auxiliary table {name!r} failed: {exc}"
            raise StoreError(msg) from exc

    def read_table(self, name: str) -> pa.Table:
        """Return an auxiliary table written with :meth:`write_table`."""
        return self._query(f"SELECT * FROM {_aux.sql_name(name)}")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run one statement with ``?`` placeholders; return its rows (a count for DML).

        A ``SELECT`` outside this thread's transaction runs on a reader cursor, at the same
        time as other readers and the writer; every other statement waits for the writer.
        """
        try:
            if _READ.match(sql):
                with self._reader() as con:
                    return _arrow(con, sql, params)
            with self._lock:
                return _arrow(self._con, sql, params)
        except duckdb.Error as exc:
            msg = f"statement failed: {exc}"
            raise StoreError(msg) from exc

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run one ``SELECT`` and return its rows as dicts (see :class:`andon.store.Store`)."""
        if not _READ.match(sql):
            msg = "rows() runs a SELECT; use execute() for other statements"
            raise StoreError(msg)
        try:
            with self._reader() as con:
                result = con.execute(sql, list(params))
                names = [column[0] for column in result.description or ()]
                return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        except duckdb.Error as exc:
            msg = f"statement failed: {exc}"
            raise StoreError(msg) from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Commit every statement and write inside together, or roll all back on an exception.

        Nested, it joins the outer transaction (DuckDB has no savepoints).
        """
        try:
            with self._atomic():
                yield
        except duckdb.Error as exc:
            msg = f"transaction failed: {exc}"
            raise StoreError(msg) from exc

    def close(self) -> None:
        """Checkpoint the write-ahead log into the file and close the database and its
        reader cursors.

        DuckDB checkpoints by itself only when its last connection closes; a reader still
        running on another thread (a server stopping) would keep the database open until
        the process ends, and leave the log beside the file. The explicit checkpoint makes
        the file whole now; it is skipped, not forced, while another transaction runs.
        """
        with self._readers_lock:
            self._closed = True
            readers, self._readers = self._readers, []
        for cursor in readers:
            cursor.close()
        with self._lock:
            if self.path is not None and not self._read_only:
                try:
                    self._con.execute("CHECKPOINT")
                except duckdb.Error:
                    _log.warning("could not checkpoint %s before closing", self.path)
            self._factory.close()
            self._con.close()

    def __enter__(self) -> DuckDBStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
