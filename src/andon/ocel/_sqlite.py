"""OCEL 2.0 SQLite: read and write the relational format of the OCEL 2.0 specification.

The type-independent tables are ``event`` and ``object`` (``ocel_id`` primary key,
``ocel_type``), ``event_map_type`` and ``object_map_type`` (``ocel_type`` primary key and
``ocel_type_map``, the suffix of the type's own table), ``event_object`` (``ocel_event_id``,
``ocel_object_id``, ``ocel_qualifier``) and ``object_object`` (``ocel_source_id``,
``ocel_target_id``, ``ocel_qualifier``), each relation table keyed on all three columns.
Each event type has a table ``event_<map>`` (``ocel_id`` primary key, ``ocel_time`` and one
column per attribute); each object type has ``object_<map>`` (``ocel_id``, ``ocel_time``,
``ocel_changed_field`` and one column per attribute): a row with no changed field holds the
values an object starts with, each later row the one value that ``ocel_changed_field``
names. Every reference is a declared foreign key, so the written file satisfies the
specification's constraints (primary keys, foreign keys, the type tables of the maps).

Times are ``TIMESTAMP`` text, UTC, as ``2023-04-05 15:28:14.250000``; a value that an object
starts with is written at the Unix epoch, the start the specification gives it.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import polars as pl

from andon.errors import OcelError, Problem
from andon.ocel._check import RawLog, TypeDecl, raw_frame
from andon.ocel._model import TIME, OcelLog

__all__ = ["parse_sqlite", "write_sqlite"]

_REQUIRED: Final = (
    "event",
    "object",
    "event_object",
    "object_object",
    "event_map_type",
    "object_map_type",
)
_SQL_TYPES: Final = {
    "string": "TEXT",
    "time": "TIMESTAMP",
    "integer": "INTEGER",
    "float": "REAL",
    "boolean": "BOOLEAN",
}
_RESERVED: Final = {"ocel_id", "ocel_time", "ocel_changed_field"}
_SQL_TIME: Final = "%Y-%m-%d %H:%M:%S%.f"
_EPOCH: Final = "1970-01-01 00:00:00"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _kind_of(declared: str) -> str:
    text = declared.upper()
    if any(word in text for word in ("TIMESTAMP", "DATETIME", "DATE", "TIME")):
        return "time"
    if "BOOL" in text:
        return "boolean"
    if "INT" in text:
        return "integer"
    if any(word in text for word in ("REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL")):
        return "float"
    return "string"


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


# Reading.


def parse_sqlite(path: Path) -> RawLog:
    """Return the raw tables of an OCEL 2.0 SQLite file (checked by the caller)."""
    raw = RawLog()
    name = str(path)
    if not path.is_file():
        raw.problems.append(Problem(code="ocel.unreadable", message="no such file", file=name))
        return raw
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as connection:
            _read(connection, raw, name)
        connection.close()
    except sqlite3.DatabaseError as exc:
        raw.problems.append(
            Problem(code="ocel.not_sqlite", message=f"not an SQLite database: {exc}", file=name)
        )
    return raw


def _rows(connection: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    return connection.execute(sql).fetchall()


def _read(connection: sqlite3.Connection, raw: RawLog, name: str) -> None:
    tables = {
        row[0].lower(): row[0]
        for row in _rows(connection, "SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    missing = [table for table in _REQUIRED if table not in tables]
    if missing:
        raw.problems.append(
            Problem(
                code="ocel.not_ocel",
                message=f"the database has no table {', '.join(missing)}",
                file=name,
                expected="the tables of the OCEL 2.0 relational format",
            )
        )
        return
    columns: dict[str, dict[str, list[Any]]] = {}

    def put(table: str, loc: str, **values: object) -> None:
        target = columns.setdefault(table, {})
        for column, value in (*values.items(), ("_loc", loc)):
            target.setdefault(column, []).append(_text(value))

    event_times: dict[str, list[Any]] = {"id": [], "time": [], "_loc": []}
    for kind, decls in (("event", raw.event_types), ("object", raw.object_types)):
        maps = _rows(connection, f"SELECT ocel_type, ocel_type_map FROM {kind}_map_type")
        for index, (type_name, suffix) in enumerate(maps, start=1):
            loc = f"{kind}_map_type row {index}"
            table = tables.get(f"{kind}_{suffix}".lower()) if isinstance(suffix, str) else None
            if table is None:
                raw.problems.append(
                    Problem(
                        code="ocel.missing_table",
                        message=f"{kind} type {type_name!r} has no table {kind}_{suffix}",
                        file=name,
                        path=loc,
                    )
                )
                continue
            info = _rows(connection, f"PRAGMA table_info({_quote(table)})")
            attributes = [
                (column[1], _kind_of(column[2] or ""))
                for column in info
                if column[1].lower() not in _RESERVED
            ]
            decls.append(TypeDecl(name=type_name, attributes=attributes, loc=loc))
            names = [a for a, _ in attributes]
            select = ", ".join(_quote(c) for c in names)
            if kind == "event":
                extra = f", {select}" if select else ""
                sql = f"SELECT ocel_id, ocel_time{extra} FROM {_quote(table)}"
                for n, row in enumerate(_rows(connection, sql), start=1):
                    row_loc = f"{table} row {n}"
                    event_times["id"].append(_text(row[0]))
                    event_times["time"].append(_text(row[1]))
                    event_times["_loc"].append(row_loc)
                    for attr, value in zip(names, row[2:], strict=True):
                        if value is not None:
                            put(
                                "event_attributes", row_loc, event_id=row[0], name=attr, value=value
                            )
            else:
                sql = (
                    f"SELECT ocel_id, ocel_time, ocel_changed_field"
                    f"{', ' + select if select else ''} FROM {_quote(table)}"
                )
                for n, row in enumerate(_rows(connection, sql), start=1):
                    row_loc = f"{table} row {n}"
                    changed = row[2]
                    for attr, value in zip(names, row[3:], strict=True):
                        if (changed is None and value is not None) or changed == attr:
                            put(
                                "object_attributes",
                                row_loc,
                                object_id=row[0],
                                name=attr,
                                time=row[1],
                                value=value,
                            )
                    if changed is not None and changed not in names:
                        raw.problems.append(
                            Problem(
                                code="ocel.undeclared_attribute",
                                message=f"ocel_changed_field names {changed!r}, "
                                f"which is not a column of {table}",
                                file=name,
                                path=row_loc,
                            )
                        )

    for n, (ident, kind) in enumerate(_rows(connection, "SELECT ocel_id, ocel_type FROM event"), 1):
        put("events", f"event row {n}", id=ident, type=kind)
    for n, (ident, kind) in enumerate(
        _rows(connection, "SELECT ocel_id, ocel_type FROM object"), 1
    ):
        put("objects", f"object row {n}", id=ident, type=kind)
    sql = "SELECT ocel_event_id, ocel_object_id, ocel_qualifier FROM event_object"
    for n, (event, obj, qualifier) in enumerate(_rows(connection, sql), 1):
        put("e2o", f"event_object row {n}", event_id=event, object_id=obj, qualifier=qualifier)
    sql = "SELECT ocel_source_id, ocel_target_id, ocel_qualifier FROM object_object"
    for n, (source, target, qualifier) in enumerate(_rows(connection, sql), 1):
        put(
            "o2o", f"object_object row {n}", source_id=source, target_id=target, qualifier=qualifier
        )

    frames = {table: raw_frame(table, cols) for table, cols in columns.items()}
    events = frames.get("events", raw_frame("events")).drop("time")
    times = pl.DataFrame(
        event_times, schema={"id": pl.String, "time": pl.String, "_loc": pl.String}
    )
    stray = times.join(events.select("id"), on="id", how="anti")
    for ident, loc in stray.select("id", "_loc").iter_rows():
        raw.problems.append(
            Problem(
                code="ocel.missing_event",
                message=f"a row of an event type's table is for event {ident!r}, "
                "which the event table does not have",
                file=name,
                path=loc,
            )
        )
    frames["events"] = events.join(
        times.unique("id", keep="first").select("id", "time"), on="id", how="left"
    ).select("id", "type", "time", "_loc", "_line")
    raw.frames = frames


# Writing.


def _suffixes(names: Iterable[str], taken: set[str]) -> dict[str, str]:
    """The table suffix of each type name: its letters and digits, unique without case."""
    found: dict[str, str] = {}
    used = {t.lower() for t in taken}
    for name in names:
        base = re.sub(r"[^0-9A-Za-z]", "", name) or "type"
        suffix, n = base, 1
        while suffix.lower() in used:
            n += 1
            suffix = f"{base}{n}"
        used.add(suffix.lower())
        found[name] = suffix
    return found


def _check_columns(kind: str, type_name: str, attributes: Sequence[str]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for attribute in attributes:
        folded = attribute.lower()
        if folded in _RESERVED or folded in seen:
            problems.append(
                Problem(
                    code="ocel.column_clash",
                    message=f"attribute {attribute!r} of {kind} type {type_name!r} cannot be a "
                    "column of its SQLite table (a reserved name, or another attribute's name "
                    "in other case)",
                )
            )
        seen.add(folded)
    return problems


def _sql_values(frame: pl.DataFrame, kinds: Mapping[str, str]) -> pl.DataFrame:
    return frame.with_columns(
        *[
            pl.col(name).dt.strftime(_SQL_TIME)
            if kind == "time"
            else pl.col(name).cast(pl.Int64)
            if kind == "boolean"
            else pl.col(name)
            for name, kind in kinds.items()
        ]
    )


def write_sqlite(log: OcelLog, path: Path) -> None:
    """Write ``log`` to a new SQLite file at ``path`` (which must not exist)."""
    problems = [
        p
        for kind, types in (("event", log.event_types), ("object", log.object_types))
        for type_name, attrs in types.items()
        for p in _check_columns(kind, type_name, list(attrs))
    ]
    if problems:
        raise OcelError("the log cannot be written as OCEL 2.0 SQLite", problems)
    event_maps = _suffixes(log.event_types, {"object", "maptype"})
    object_maps = _suffixes(log.object_types, {"object", "maptype"})
    connection = sqlite3.connect(path)
    try:
        with connection:
            _create(connection, log, event_maps, object_maps)
            _insert(connection, log, event_maps, object_maps)
    finally:
        connection.close()


def _create(
    connection: sqlite3.Connection,
    log: OcelLog,
    event_maps: dict[str, str],
    object_maps: dict[str, str],
) -> None:
    connection.executescript(
        """
        CREATE TABLE event_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT);
        CREATE TABLE object_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT);
        CREATE TABLE event (
            ocel_id TEXT PRIMARY KEY,
            ocel_type TEXT REFERENCES event_map_type (ocel_type)
        );
        CREATE TABLE object (
            ocel_id TEXT PRIMARY KEY,
            ocel_type TEXT REFERENCES object_map_type (ocel_type)
        );
        CREATE TABLE event_object (
            ocel_event_id TEXT REFERENCES event (ocel_id),
            ocel_object_id TEXT REFERENCES object (ocel_id),
            ocel_qualifier TEXT,
            PRIMARY KEY (ocel_event_id, ocel_object_id, ocel_qualifier)
        );
        CREATE TABLE object_object (
            ocel_source_id TEXT REFERENCES object (ocel_id),
            ocel_target_id TEXT REFERENCES object (ocel_id),
            ocel_qualifier TEXT,
            PRIMARY KEY (ocel_source_id, ocel_target_id, ocel_qualifier)
        );
        """
    )
    for type_name, suffix in event_maps.items():
        columns = "".join(
            f", {_quote(n)} {_SQL_TYPES[k]}" for n, k in log.event_types[type_name].items()
        )
        connection.execute(
            f"CREATE TABLE {_quote('event_' + suffix)} (ocel_id TEXT PRIMARY KEY "
            f"REFERENCES event (ocel_id), ocel_time TIMESTAMP{columns})"
        )
    for type_name, suffix in object_maps.items():
        columns = "".join(
            f", {_quote(n)} {_SQL_TYPES[k]}" for n, k in log.object_types[type_name].items()
        )
        connection.execute(
            f"CREATE TABLE {_quote('object_' + suffix)} (ocel_id TEXT REFERENCES object (ocel_id), "
            f"ocel_time TIMESTAMP, ocel_changed_field TEXT{columns})"
        )


def _insert(
    connection: sqlite3.Connection,
    log: OcelLog,
    event_maps: dict[str, str],
    object_maps: dict[str, str],
) -> None:
    connection.executemany("INSERT INTO event_map_type VALUES (?, ?)", event_maps.items())
    connection.executemany("INSERT INTO object_map_type VALUES (?, ?)", object_maps.items())
    connection.executemany(
        "INSERT INTO event VALUES (?, ?)", log.events.select("id", "type").iter_rows()
    )
    connection.executemany("INSERT INTO object VALUES (?, ?)", log.objects.iter_rows())
    connection.executemany("INSERT INTO event_object VALUES (?, ?, ?)", log.e2o.iter_rows())
    connection.executemany("INSERT INTO object_object VALUES (?, ?, ?)", log.o2o.iter_rows())
    for type_name, suffix in event_maps.items():
        kinds = dict(log.event_types[type_name])
        frame = _sql_values(
            log.event_attribute_frame(type_name).with_columns(pl.col("time").cast(TIME)),
            {"time": "time", **kinds},
        )
        marks = ", ".join("?" * (2 + len(kinds)))
        connection.executemany(
            f"INSERT INTO {_quote('event_' + suffix)} VALUES ({marks})", frame.iter_rows()
        )
    for type_name, suffix in object_maps.items():
        kinds = dict(log.object_types[type_name])
        values = log.object_attribute_frame(type_name)
        initial = (pl.col("time") == pl.lit(0).cast(TIME)) & pl.struct(
            "id", "name"
        ).is_first_distinct()
        values = values.with_columns(initial.alias("_initial"))
        ids = log.objects.filter(pl.col("type") == type_name).select("id")
        starts = ids.join(
            values.filter("_initial")
            .group_by("id")
            .agg(*[pl.col(n).drop_nulls().first() for n in kinds]),
            on="id",
            how="left",
            maintain_order="left",
        ).select(
            "id", pl.lit(_EPOCH).alias("ocel_time"), pl.lit(None, pl.String).alias("field"), *kinds
        )
        changes = values.filter(pl.col("_initial").not_()).select(
            "id",
            pl.col("time").dt.strftime(_SQL_TIME).alias("ocel_time"),
            pl.col("name").alias("field"),
            *kinds,
        )
        marks = ", ".join("?" * (3 + len(kinds)))
        sql = f"INSERT INTO {_quote('object_' + suffix)} VALUES ({marks})"
        for frame in (starts, changes):
            connection.executemany(sql, _sql_values(frame, kinds).iter_rows())
