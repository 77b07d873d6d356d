"""The server store on PostgreSQL (psycopg 3): COPY in, COPY out, one schema per store.

A batch goes in with COPY. When the store holds nothing of the batch's sources in its time
range (the common case: a source delivers in time order), COPY lands the rows straight in
the record table and the unique natural-key index only confirms them. Otherwise the batch is
copied into a temporary staging table and moved with ``INSERT ... ON CONFLICT DO NOTHING``.
Either way the write is one transaction: all of it or nothing.

TimescaleDB hypertables are made of the record tables when the extension is installed in
the database; without it, plain tables with a ``(path, ts)`` index serve the same queries.

Writes and transactions go through one connection, one at a time. Reads outside a
transaction take a connection of a small pool (opened when first needed, at most
``_MAX_READERS``), so that an API's request threads read at once instead of queueing
behind each other and behind the writer.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import errors as pg_errors
from psycopg.copy import QueuedLibpqWriter
from psycopg.types.string import TextLoader

from andon.errors import StoreError
from andon.records import KIND_SCHEMAS, PATH_COLUMNS, TS_TYPE, RecordKind, schema_of, to_micros
from andon.store import _aux
from andon.store._aux import AuxColumn, AuxTable
from andon.store._conform import conform
from andon.store._keys import may_repeat_keys
from andon.store._kpi_sql import (
    POSTGRES_SESSION,
    element_sums_sql,
    flagged_counts_sql,
    newest_records_sql,
    unknown_records_sql,
)
from andon.store._pgio import (
    OID_TYPES,
    arrow_from_rows,
    from_csv,
    plain,
    qmark_to_pyformat,
    to_csv,
)
from andon.store._sql import (
    LIST_TABLES,
    MIGRATIONS,
    QUARANTINE_SUMMARY,
    SCHEMA_MIGRATIONS_TABLE,
    lead_column,
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

__all__ = ["PostgresStore"]

_PROBE_LIMIT = 2048
"""Most distinct lead values (paths) a write probes for overlap before it COPYs."""
_COPY_CHUNK = 16_384
"""Rows encoded per COPY chunk: big enough to amortise a call, small enough to overlap."""
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_READ = re.compile(r"^\s*SELECT\b", re.IGNORECASE)
_MAX_READERS = 8
"""Most reader connections a store opens; past that, reads wait for the writer's connection."""
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

_SAMPLE_VIEW = pa.schema(
    [
        pa.field("ts", TS_TYPE),
        pa.field("path", pa.string()),
        pa.field("value", pa.float64()),
        pa.field("quality", pa.string()),
    ]
)
_LATEST_VIEW = pa.schema([_SAMPLE_VIEW.field(n) for n in ("path", "ts", "value", "quality")])
_SUMMARY_VIEW = pa.schema(
    [
        pa.field("kind", pa.string()),
        pa.field("source", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("rows", pa.int64()),
    ]
)


def _when(value: TimeArg) -> dt.datetime | None:
    """Return a bound as an aware datetime, exact to the microsecond."""
    if value is None:
        return None
    return _EPOCH + dt.timedelta(microseconds=to_micros(value))


def _select_list(schema: pa.Schema) -> str:
    """Return a SELECT list that sends timestamps as integer microseconds (exact on the wire)."""
    return ", ".join(
        f'(extract(epoch FROM "{f.name}") * 1000000)::int8 AS "{f.name}"'
        if pa.types.is_timestamp(f.type)
        else f'"{f.name}"'
        for f in schema
    )


def _check_name(what: str, name: str) -> None:
    if not _NAME.match(name):
        msg = f"{what} {name!r} must be lower-case letters, digits and _ (at most 63)"
        raise StoreError(msg)


class PostgresStore:
    """andon's server store: a PostgreSQL database, every table in one schema.

    ``schema`` is created if missing; several stores (sites, tests) can share one database
    in different schemas. :meth:`drop_schema` removes a store's schema and all it holds.
    """

    def __init__(self, url: str, *, schema: str = "public") -> None:
        _check_name("schema", schema)
        self.schema = schema
        self._url = url
        self._lock = threading.RLock()
        self._depth = 0  # nesting of transaction()
        self._owner: int | None = None  # the thread whose transaction is open
        self._readers: list[psycopg.Connection[Any]] = []
        self._reader_count = 0  # open reader connections, idle or lent
        self._readers_lock = threading.Lock()
        self._closed = False
        self._conn = self._connect()
        try:
            self._migrate()
        except psycopg.Error as exc:
            self._conn.close()
            msg = f"cannot prepare schema {schema!r}: {exc}"
            raise StoreError(msg) from exc
        except StoreError:
            self._conn.close()
            raise

    def _connect(self) -> psycopg.Connection[Any]:
        """Open an autocommit connection in UTC, JSON read as text (as DuckDB gives it)."""
        try:
            conn = psycopg.connect(self._url, autocommit=True)
        except psycopg.Error as exc:
            msg = f"cannot connect to PostgreSQL at {_redact(self._url)}: {exc}"
            raise StoreError(msg) from exc
        for json_type in ("json", "jsonb"):
            conn.adapters.register_loader(json_type, TextLoader)
        try:
            conn.execute("SET TimeZone = 'UTC'")
        except psycopg.Error as exc:
            conn.close()
            msg = f"cannot prepare a connection to {_redact(self._url)}: {exc}"
            raise StoreError(msg) from exc
        return conn

    def _open_reader(self) -> psycopg.Connection[Any]:
        conn = self._connect()
        try:
            conn.execute(f'SET search_path TO "{self.schema}"')
        except psycopg.Error as exc:
            conn.close()
            msg = f"cannot read schema {self.schema!r}: {exc}"
            raise StoreError(msg) from exc
        return conn

    @contextmanager
    def _reader(self) -> Iterator[psycopg.Connection[Any]]:
        """Lend a connection for one read; inside this thread's transaction, its connection."""
        conn: psycopg.Connection[Any] | None = None
        with self._readers_lock:
            if self._closed:
                msg = "the store is closed"
                raise StoreError(msg)
            shared = self._owner == threading.get_ident() or (
                not self._readers and self._reader_count >= _MAX_READERS
            )
            if not shared:
                if self._readers:
                    conn = self._readers.pop()
                else:
                    self._reader_count += 1  # reserved; opened below, outside the lock
        if shared:
            with self._lock:
                yield self._conn
            return
        if conn is None:
            try:
                conn = self._open_reader()
            except BaseException:
                with self._readers_lock:
                    self._reader_count -= 1
                raise
        try:
            yield conn
        finally:
            with self._readers_lock:
                if self._closed or conn.closed or conn.broken:
                    self._reader_count -= 1
                    conn.close()
                else:
                    self._readers.append(conn)

    @property
    def dialect(self) -> str:
        """The SQL dialect, ``"postgres"``."""
        return "postgres"

    @property
    def connection(self) -> psycopg.Connection[Any]:
        """The underlying connection (autocommit outside :meth:`transaction`)."""
        return self._conn

    @property
    def timescale(self) -> bool:
        """Whether the TimescaleDB extension is installed (record tables are hypertables)."""
        return self._timescale_schema is not None

    # -- schema ---------------------------------------------------------------------------

    def _migrate(self) -> None:
        conn = self._conn
        schema = self.schema
        with self._lock, conn.transaction():
            # One migrator per schema at a time; the others wait and then see it done.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"andon:{schema}"])
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            conn.execute(f'SET search_path TO "{schema}"')
            conn.execute(SCHEMA_MIGRATIONS_TABLE)
            current = self.schema_version()
            for migration in MIGRATIONS:
                if migration.version <= current:
                    continue
                try:
                    tables = frozenset(str(r[0]) for r in conn.execute(LIST_TABLES).fetchall())
                    for statement in migration.statements("postgres", tables):
                        conn.execute(statement)
                except psycopg.Error as exc:
                    msg = f"migration {migration.version} failed: {exc}"
                    raise StoreError(msg) from exc
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (%s, %s, now())",
                    [migration.version, migration.description],
                )
            row = conn.execute(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                "ON n.oid = e.extnamespace WHERE e.extname = 'timescaledb'"
            ).fetchone()
            self._timescale_schema: str | None = None if row is None else str(row[0])
            if self._timescale_schema is not None:
                for kind in KIND_SCHEMAS:
                    conn.execute(
                        f'SELECT "{self._timescale_schema}".create_hypertable('
                        "%s::regclass, 'ts', if_not_exists => TRUE, migrate_data => TRUE)",
                        [f'"{schema}".{table_name(kind)}'],
                    )

    def schema_version(self) -> int:
        """Return the highest applied migration."""
        with self._lock:
            row = self._conn.execute(
                "SELECT coalesce(max(version), 0) FROM schema_migrations"
            ).fetchone()
        return int(row[0]) if row else 0

    def drop_schema(self) -> None:
        """Drop this store's schema with everything in it, and close the store."""
        self._close_readers()
        with self._lock:
            self._conn.close()  # ends any open transaction that would hold locks
            try:
                with psycopg.connect(self._url, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            except psycopg.Error as exc:
                msg = f"cannot drop schema {self.schema!r}: {exc}"
                raise StoreError(msg) from exc

    # -- writes ---------------------------------------------------------------------------

    def write(
        self, kind: RecordKind, table: pa.Table, *, batch_id: str | None = None
    ) -> WriteResult:
        """Write a batch idempotently, all or nothing (see :class:`andon.store.Store`)."""
        kind = RecordKind(kind)
        batch = conform(kind, table)
        rows = int(batch.num_rows)
        if rows == 0:
            return WriteResult(kind, 0, 0)
        bounds = pc.min_max(batch.column("ts"))
        low, high = _when(bounds["min"].value), _when(bounds["max"].value)
        sources = pc.unique(batch.column("source")).to_pylist()
        lead = lead_column(kind)
        leads = pc.unique(batch.column(lead))
        target = table_name(kind)
        conn = self._conn
        with self._lock:
            try:
                with conn.transaction():
                    if batch_id is not None:
                        ledger = conn.execute(
                            "INSERT INTO store_batches VALUES (%s, %s, %s, now()) "
                            "ON CONFLICT DO NOTHING",
                            [kind.value, batch_id, rows],
                        )
                        if ledger.rowcount == 0:
                            return WriteResult(kind, 0, rows, batch_seen=True)
                    # The probe is one index descent per lead value (path) of the batch; with
                    # very many, COPY is tried at once and a conflict falls back to the merge.
                    overlap = may_repeat_keys(kind, batch) or (
                        len(leads) <= _PROBE_LIMIT
                        and conn.execute(
                            f'SELECT 1 FROM {target} WHERE "{lead}" COLLATE "C" = ANY(%s) '
                            "AND ts >= %s AND ts <= %s AND source = ANY(%s) LIMIT 1",
                            [leads.to_pylist(), low, high, sources],
                        ).fetchone()
                        is not None
                    )
                    written = None if overlap else self._copy_fresh(target, batch)
                    if written is None:
                        written = self._merge(target, batch)
            except psycopg.Error as exc:
                msg = f"writing {rows} {kind.value} records failed: {exc}"
                raise StoreError(msg) from exc
        return WriteResult(kind, written, rows - written)

    def _copy_fresh(self, target: str, batch: pa.Table) -> int | None:
        """COPY straight into the record table; ``None`` if a row was already there."""
        try:
            with self._conn.transaction(), self._conn.cursor() as cur:
                _copy_in(cur, target, batch)
                return int(cur.rowcount)
        except pg_errors.UniqueViolation:
            return None

    def _merge(self, target: str, batch: pa.Table) -> int:
        """Stage the batch in a temporary table, then insert what the table does not hold."""
        stage = f"_andon_stage_{target}"
        conn = self._conn
        conn.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {target}) ON COMMIT DELETE ROWS"
        )
        conn.execute(f"DELETE FROM {stage}")  # a write nested in a caller's transaction
        with conn.cursor() as cur:
            _copy_in(cur, stage, batch)
            cur.execute(f"INSERT INTO {target} SELECT * FROM {stage} ON CONFLICT DO NOTHING")
            return int(cur.rowcount)

    def quarantine(self, table: pa.Table) -> int:
        """Append rejected rows with their reasons."""
        if table.num_rows == 0:
            return 0
        try:
            rows = table.select(QUARANTINE_SCHEMA.names).cast(QUARANTINE_SCHEMA)
        except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            msg = f"quarantined rows do not match the quarantine schema: {exc}"
            raise StoreError(msg) from exc
        with self._lock:
            try:
                with self._conn.transaction(), self._conn.cursor() as cur:
                    _copy_in(cur, "quarantine", rows)
            except psycopg.Error as exc:
                msg = f"writing {rows.num_rows} quarantined rows failed: {exc}"
                raise StoreError(msg) from exc
        return int(rows.num_rows)

    # -- typed queries --------------------------------------------------------------------

    def _copy_out(self, query: str, params: Sequence[Any], schema: pa.Schema) -> pa.Table:
        """Run a SELECT through ``COPY ... TO STDOUT`` and parse it with Arrow."""
        try:
            with self._reader() as conn:
                cur = psycopg.ClientCursor(conn)
                statement = cur.mogrify(query, list(params))
                with cur.copy(f"COPY ({statement}) TO STDOUT (FORMAT csv)") as copy:
                    data = b"".join(bytes(chunk) for chunk in copy)
                cur.close()
        except psycopg.Error as exc:
            msg = f"query failed: {exc}"
            raise StoreError(msg) from exc
        return from_csv(data, schema)

    @staticmethod
    def _where(
        path_column: str | None, path_prefix: str | None, start: TimeArg, end: TimeArg
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if path_prefix and path_column:
            prefix = path_prefix.rstrip("/")
            column = f'"{path_column}" COLLATE "C"'
            # The range [prefix, prefix + "0") is one index scan ("0" follows "/" in byte
            # order); the exact test then drops siblings such as "a/b-c" for prefix "a/b".
            clauses.append(
                f"{column} >= %s AND {column} < %s "
                f'AND ("{path_column}" = %s OR starts_with("{path_column}", %s))'
            )
            params.extend([prefix, prefix + "0", prefix, prefix + "/"])
        if start is not None:
            clauses.append("ts >= %s")
            params.append(_when(start))
        if end is not None:
            clauses.append("ts < %s")
            params.append(_when(end))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

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
        schema = schema_of(kind)
        where, params = self._where(PATH_COLUMNS.get(kind), path_prefix, start, end)
        sql = f"SELECT {_select_list(schema)} FROM {table_name(kind)}{where} ORDER BY ts, seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self._copy_out(sql, params, schema)

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
            where += (" AND " if where else " WHERE ") + "path = ANY(%s)"
            params.append(list(tags))
        return self._copy_out(
            f"SELECT {_select_list(_SAMPLE_VIEW)} FROM rec_sample{where} ORDER BY path, ts, seq",
            params,
            _SAMPLE_VIEW,
        )

    def latest_samples(self, *, path_prefix: str | None = None) -> pa.Table:
        """Return the newest sample of each tag below a prefix."""
        where, params = self._where("path", path_prefix, None, None)
        return self._copy_out(
            f"SELECT {_select_list(_LATEST_VIEW)} FROM (SELECT DISTINCT ON (path) "
            f"path, ts, value, quality FROM rec_sample{where} "
            "ORDER BY path, ts DESC, seq DESC) latest ORDER BY path",
            params,
            _LATEST_VIEW,
        )

    def state_intervals(
        self, *, path_prefix: str | None = None, start: TimeArg = None, end: TimeArg = None
    ) -> pa.Table:
        """Return state intervals clipped to ``[start, end)``; see :class:`andon.store.Store`."""
        path_where, params = self._where("path", path_prefix, None, None)
        low, high = _when(start), _when(end)
        bound = "%s::timestamptz"
        sql = state_intervals_sql(
            path_where,
            start=None if low is None else bound,
            end=None if high is None else bound,
            select=_select_list(STATE_INTERVAL_SCHEMA),
        )
        tail: list[Any] = [] if low is None else [low]
        if high is not None:
            tail.extend([high, high])  # the end bound appears twice
        return self._copy_out(sql, [*params, *tail], STATE_INTERVAL_SCHEMA)

    def quarantined(
        self, *, start: TimeArg = None, end: TimeArg = None, reason: str | None = None
    ) -> pa.Table:
        """Return quarantined rows received in ``[start, end)``."""
        where, params = quarantine_where(
            _when(start), _when(end), reason, param="%s", time_param="%s"
        )
        return self._copy_out(
            f"SELECT {_select_list(QUARANTINE_SCHEMA)} FROM quarantine{where} ORDER BY received_at",
            params,
            QUARANTINE_SCHEMA,
        )

    def quarantine_summary(self) -> pa.Table:
        """Return quarantined row counts by kind, source and reason."""
        return self._copy_out(QUARANTINE_SUMMARY, [], _SUMMARY_VIEW)

    def count_rows(self, kind: RecordKind) -> int:
        """Return how many records of a kind are stored."""
        table = self.execute(f"SELECT count(*) AS n FROM {table_name(RecordKind(kind))}")
        return int(table.column("n")[0].as_py())

    # -- the KPI layer's queries (andon.store.kpi_queries) --------------------------------

    def element_sums(self, query: ElementQuery) -> pa.Table:
        """Return state time and count sums per (equipment, period), summed in the engine."""
        sql, params = element_sums_sql(query, "postgres")
        return self._element_statement(sql, params).cast(
            element_sums_schema(list(query.selections))
        )

    def flagged_counts(self, query: ElementQuery) -> pa.Table:
        """Return the count records a data-quality flag names; see :class:`andon.store.Store`."""
        sql, params = flagged_counts_sql(query, "postgres")
        return self._element_statement(sql, params).cast(FLAGGED_COUNT_SCHEMA)

    def _element_statement(self, sql: str, params: Sequence[Any]) -> pa.Table:
        """Run an element statement in a transaction of its own, with its session settings.

        It runs on the writing connection, as it did when the KPI layer ran it through
        :meth:`transaction` (the KPI benchmark reads that backend's CPU time); inside a
        caller's transaction it is a savepoint and the settings last until the caller's end.
        """
        with self._lock:
            try:
                with self._conn.transaction():
                    for setting in POSTGRES_SESSION:
                        self._conn.execute(setting)
                    return _run(self._conn, qmark_to_pyformat(sql), params)
            except psycopg.Error as exc:
                msg = f"KPI element statement failed: {exc}"
                raise StoreError(msg) from exc

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
            dialect="postgres",
            path_prefix=path_prefix,
            paths=paths,
            states=states,
            end=end,
            count_start=count_start,
            count_end=count_end,
        )
        return self.execute(sql, params).cast(UNKNOWN_RECORD_SCHEMA)

    def newest_records(self, *, path_prefix: str, since: int | None = None) -> pa.Table:
        """Return the newest record time per path below a prefix; see :class:`andon.store.Store`."""
        sql, params = newest_records_sql(dialect="postgres", path_prefix=path_prefix, since=since)
        return self.execute(sql, params).cast(NEWEST_RECORD_SCHEMA)

    # -- end of the KPI layer's queries ---------------------------------------------------

    # -- auxiliary tables and andon's own repositories ------------------------------------

    def declare_table(self, table: AuxTable) -> None:
        """Bring auxiliary table ``aux_<name>`` to a declared version (see :class:`AuxTable`)."""
        with self._lock:
            try:
                with self._conn.transaction(), self._conn.cursor() as cur:
                    self._lock_aux(cur, table.name)
                    recorded = _recorded(cur, table.name)
                    existing = None if recorded is not None else _existing(cur, table.name)
                    plan = _aux.plan("postgres", table, recorded=recorded, existing=existing)
                    for statement in plan.statements:
                        cur.execute(statement)
                    if plan.record:
                        cur.execute(
                            qmark_to_pyformat(_aux.RECORD),
                            [
                                table.name,
                                table.version,
                                table.description,
                                _aux.encode(plan.columns),
                            ],
                        )
            except psycopg.Error as exc:
                msg = (
                    f"declaring auxiliary table {table.name!r} version {table.version} "
                    f"failed: {exc}"
                )
                raise StoreError(msg) from exc

    def _lock_aux(self, cur: psycopg.Cursor[Any], name: str) -> None:
        """Take the transaction lock of one auxiliary table: one declarer at a time."""
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"andon:{self.schema}:{name}"])

    def write_table(self, name: str, table: pa.Table) -> None:
        """Append rows to an auxiliary table (``aux_<name>``), declared or declared by this write.

        See :class:`andon.store.AuxTable`: the first write into an undeclared name records
        version 1 with that batch's columns; a batch with columns its recorded version lacks
        is refused.
        """
        target = _aux.sql_name(name)
        columns = ", ".join(f'"{n}"' for n in table.column_names)
        with self._lock:
            try:
                with self._conn.transaction(), self._conn.cursor() as cur:
                    recorded = _recorded(cur, name)
                    if recorded is None:
                        self._lock_aux(cur, name)
                        recorded = _recorded(cur, name) or self._first_write(cur, name, table)
                    _aux.check_batch(name, recorded[0], recorded[1], table.schema)
                    _copy_in(cur, f"{target} ({columns})", table)
            except psycopg.Error as exc:
                msg = f"writing auxiliary table {name!r} failed: {exc}"
                raise StoreError(msg) from exc

    @staticmethod
    def _first_write(
        cur: psycopg.Cursor[Any], name: str, table: pa.Table
    ) -> tuple[int, tuple[AuxColumn, ...]]:
        plan, declared = _aux.first_write(name, table.schema, _existing(cur, name))
        for statement in plan.statements:
            cur.execute(statement)
        cur.execute(
            qmark_to_pyformat(_aux.RECORD),
            [name, 1, declared.description, _aux.encode(plan.columns)],
        )
        return 1, plan.columns

    def read_table(self, name: str) -> pa.Table:
        """Return an auxiliary table written with :meth:`write_table`.

        The rows come through COPY and Arrow's CSV reader, typed from the columns' type
        oids, as the records do: a Python tuple per row would cost seconds at 100k rows.
        A column of a type without an Arrow mapping takes the row-by-row path instead.
        """
        table = _aux.sql_name(name)
        try:
            with self._reader() as conn, conn.cursor() as cur:
                cur.execute(f"SELECT * FROM {table} LIMIT 0")
                columns = [(c.name, c.type_code) for c in cur.description or ()]
        except psycopg.Error as exc:
            msg = f"reading auxiliary table {name!r} failed: {exc}"
            raise StoreError(msg) from exc
        types = [OID_TYPES.get(oid) for _, oid in columns]
        plain_names = all('"' not in n and "%" not in n for n, _ in columns)
        if not columns or not plain_names or any(t is None for t in types):
            return self.execute(f"SELECT * FROM {table}")
        schema = pa.schema(
            [pa.field(n, t) for (n, _), t in zip(columns, types, strict=True) if t is not None]
        )
        return self._copy_out(f"SELECT {_select_list(schema)} FROM {table}", [], schema)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run one statement with ``?`` placeholders; return its rows (a count for DML)."""
        query = qmark_to_pyformat(sql)
        try:
            if _READ.match(sql):
                with self._reader() as conn:
                    return _run(conn, query, params)
            with self._lock:
                return _run(self._conn, query, params)
        except psycopg.Error as exc:
            msg = f"statement failed: {exc}"
            raise StoreError(msg) from exc

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run one ``SELECT`` and return its rows as dicts (see :class:`andon.store.Store`)."""
        if not _READ.match(sql):
            msg = "rows() runs a SELECT; use execute() for other statements"
            raise StoreError(msg)
        try:
            with self._reader() as conn, conn.cursor() as cur:
                cur.execute(qmark_to_pyformat(sql), list(params))
                names = [column.name for column in cur.description or ()]
                return [
                    dict(zip(names, (plain(v) for v in row), strict=True)) for row in cur.fetchall()
                ]
        except psycopg.Error as exc:
            msg = f"statement failed: {exc}"
            raise StoreError(msg) from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Commit every statement inside together, or roll all back on an exception.

        Nested, it is a savepoint: an inner failure undoes the inner part only.
        """
        with self._lock:
            self._depth += 1
            self._owner = threading.get_ident()
            try:
                with self._conn.transaction():
                    yield
            except psycopg.Error as exc:
                msg = f"transaction failed: {exc}"
                raise StoreError(msg) from exc
            finally:
                self._depth -= 1
                if not self._depth:
                    self._owner = None

    def _close_readers(self) -> None:
        with self._readers_lock:
            self._closed = True
            readers, self._readers = self._readers, []
            self._reader_count -= len(readers)
        for conn in readers:
            conn.close()

    def close(self) -> None:
        """Close the connections."""
        self._close_readers()
        with self._lock:
            self._conn.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _run(conn: psycopg.Connection[Any], query: str, params: Sequence[Any]) -> pa.Table:
    """Run one statement; return its rows as Arrow, or a ``Count`` of rows for DML."""
    with conn.cursor() as cur:
        cur.execute(query, list(params))
        if cur.description is None:
            return pa.table({"Count": pa.array([max(cur.rowcount, 0)], pa.int64())})
        names = [column.name for column in cur.description]
        oids = [column.type_code for column in cur.description]
        return arrow_from_rows(names, oids, cur.fetchall())


def _recorded(cur: psycopg.Cursor[Any], name: str) -> tuple[int, tuple[AuxColumn, ...]] | None:
    row = cur.execute(qmark_to_pyformat(_aux.LEDGER_ROW), [name]).fetchone()
    return None if row is None else (int(row[0]), _aux.decode(str(row[1])))


def _existing(cur: psycopg.Cursor[Any], name: str) -> tuple[AuxColumn, ...] | None:
    """Return the columns of ``aux_<name>`` as found, ``None`` when there is no table."""
    target = _aux.sql_name(name)
    described = cur.execute(qmark_to_pyformat(_aux.DESCRIBE_COLUMNS), [target]).fetchall()
    if not described:
        return None
    cur.execute(f"SELECT * FROM {target} LIMIT 0")
    schema = pa.schema(
        [pa.field(c.name, OID_TYPES.get(c.type_code, pa.string())) for c in cur.description or ()]
    )
    return _aux.existing_columns(schema, {str(n): v == "YES" for n, v in described})


def _copy_in(cur: psycopg.Cursor[Any], target: str, table: pa.Table) -> None:
    """COPY a table in, encoding the next chunk while the server takes in the last one.

    Arrow writes CSV without holding the GIL and a queued writer sends from its own
    thread, so encoding and the server's work overlap instead of adding up.
    """
    statement = f"COPY {target} FROM STDIN (FORMAT csv)"
    if table.num_rows <= _COPY_CHUNK:
        with cur.copy(statement) as copy:
            copy.write(to_csv(table))
        return
    with cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
        for offset in range(0, table.num_rows, _COPY_CHUNK):
            copy.write(to_csv(table.slice(offset, _COPY_CHUNK)))


def _redact(url: str) -> str:
    """Return a URL without its password, for error messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
