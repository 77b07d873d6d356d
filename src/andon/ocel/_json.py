"""OCEL 2.0 JSON: read and write the format of the OCEL 2.0 specification.

The document is one object with ``eventTypes`` and ``objectTypes`` (each a list of
``{"name", "attributes": [{"name", "type"}]}``), ``events`` (``id``, ``type``, ``time``,
``attributes: [{"name", "value"}]``, ``relationships: [{"objectId", "qualifier"}]``) and
``objects`` (``id``, ``type``, ``attributes: [{"name", "time", "value"}]``,
``relationships``).

Reading takes Polars' JSON reader first (the whole document in columns, no Python object
per event); a document it cannot take (not JSON, not this shape) is read again with the
standard library, which finds every structural problem with its path.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable, Mapping
from typing import Any, Final

import polars as pl

from andon.errors import Problem
from andon.ocel._check import RawLog, TypeDecl, raw_frame
from andon.ocel._model import OcelLog

__all__ = ["dump_json", "parse_json"]

_TYPES: Final = pl.List(
    pl.Struct(
        {
            "name": pl.String,
            "attributes": pl.List(pl.Struct({"name": pl.String, "type": pl.String})),
        }
    )
)
_RELATIONS: Final = pl.List(pl.Struct({"objectId": pl.String, "qualifier": pl.String}))
_SCHEMA: Final = {
    "eventTypes": _TYPES,
    "objectTypes": _TYPES,
    "events": pl.List(
        pl.Struct(
            {
                "id": pl.String,
                "type": pl.String,
                "time": pl.String,
                "attributes": pl.List(pl.Struct({"name": pl.String, "value": pl.String})),
                "relationships": _RELATIONS,
            }
        )
    ),
    "objects": pl.List(
        pl.Struct(
            {
                "id": pl.String,
                "type": pl.String,
                "attributes": pl.List(
                    pl.Struct({"name": pl.String, "time": pl.String, "value": pl.String})
                ),
                "relationships": _RELATIONS,
            }
        )
    ),
}
_KEYS: Final = ("eventTypes", "objectTypes", "events", "objects")


def parse_json(data: bytes) -> RawLog:
    """Return the raw tables of an OCEL 2.0 JSON document (checked by the caller)."""
    fast = _fast(data)
    return fast if fast is not None else _slow(data)


def _fast(data: bytes) -> RawLog | None:
    if data.lstrip()[:1] != b"{":
        return None
    try:
        document = pl.read_json(io.BytesIO(data), schema=_SCHEMA)
    except Exception:  # noqa: BLE001 - any refusal sends the document to the precise reader
        return None
    if document.height != 1 or any(document[key].null_count() for key in _KEYS):
        return None
    raw = RawLog(
        event_types=_fast_types(document, "eventTypes"),
        object_types=_fast_types(document, "objectTypes"),
    )
    events = _items(document, "events")
    objects = _items(document, "objects")
    raw.frames["events"] = events.select(
        "id", "type", "time", _loc("events", "_i"), pl.lit(None, pl.Int64).alias("_line")
    )
    raw.frames["objects"] = objects.select(
        "id", "type", _loc("objects", "_i"), pl.lit(None, pl.Int64).alias("_line")
    )
    raw.frames["e2o"] = _relations(events, "events").rename({"_owner": "event_id"})
    raw.frames["o2o"] = _relations(objects, "objects").rename(
        {"_owner": "source_id", "objectId": "target_id"}
    )
    raw.frames["e2o"] = raw.frames["e2o"].rename({"objectId": "object_id"})
    raw.frames["event_attributes"] = _attributes(events, "events", ["name", "value"]).rename(
        {"_owner": "event_id"}
    )
    raw.frames["object_attributes"] = _attributes(
        objects, "objects", ["name", "time", "value"]
    ).rename({"_owner": "object_id"})
    return raw


def _fast_types(document: pl.DataFrame, key: str) -> list[TypeDecl]:
    declared = document[key][0]
    return [
        TypeDecl(
            name=(item or {}).get("name"),
            attributes=[
                (a.get("name"), a.get("type")) if a else (None, None)
                for a in (item or {}).get("attributes") or []
            ],
            loc=f"{key}[{index}]",
        )
        for index, item in enumerate(declared.to_list())
    ]


def _items(document: pl.DataFrame, key: str) -> pl.DataFrame:
    return (
        document.select(pl.col(key))
        .explode(key)
        .unnest(key)
        .with_row_index("_i")
        .with_columns(pl.col("_i").cast(pl.Int64))
    )


def _loc(key: str, *indices: str, inner: str | None = None) -> pl.Expr:
    if inner is None:
        return pl.format(f"{key}[{{}}]", pl.col(indices[0])).alias("_loc")
    return pl.format(f"{key}[{{}}].{inner}[{{}}]", *[pl.col(i) for i in indices]).alias("_loc")


def _nested(items: pl.DataFrame, column: str) -> pl.DataFrame:
    nested = (
        items.select(pl.col("_i"), pl.col("id").alias("_owner"), pl.col(column))
        .filter(pl.col(column).list.len() > 0)
        .with_columns(pl.int_ranges(pl.col(column).list.len()).alias("_j"))
        .explode(column, "_j")
        .unnest(column)
    )
    return nested.with_columns(pl.col("_j").cast(pl.Int64))


def _relations(items: pl.DataFrame, key: str) -> pl.DataFrame:
    nested = _nested(items, "relationships")
    return nested.select(
        "_owner",
        "objectId",
        "qualifier",
        _loc(key, "_i", "_j", inner="relationships"),
        pl.lit(None, pl.Int64).alias("_line"),
    )


def _attributes(items: pl.DataFrame, key: str, fields: list[str]) -> pl.DataFrame:
    nested = _nested(items, "attributes")
    return nested.select(
        "_owner",
        *fields,
        _loc(key, "_i", "_j", inner="attributes"),
        pl.lit(None, pl.Int64).alias("_line"),
    )


# The precise reader: the standard library's parser and a walk that names every fault.


def _text(value: object) -> str | None:
    """A scalar as the text the fast reader would give it; None for null."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


class _Walk:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def structure(self, path: str, message: str, expected: str) -> None:
        self.problems.append(
            Problem(code="ocel.structure", message=message, path=path, expected=expected)
        )

    def array(self, parent: Mapping[str, Any], key: str, path: str, *, required: bool) -> list[Any]:
        if key not in parent:
            if required:
                self.structure(path, f"{path} is missing", "a list")
            return []
        value = parent[key]
        if value is None and not required:
            return []
        if not isinstance(value, list):
            self.structure(path, f"{path} is {type(value).__name__}", "a list")
            return []
        return value

    def objects(self, items: list[Any], path: str) -> list[tuple[int, dict[str, Any]]]:
        found = []
        for index, item in enumerate(items):
            if isinstance(item, dict):
                found.append((index, item))
            else:
                self.structure(f"{path}[{index}]", f"{path}[{index}] is not an object", "an object")
        return found

    def scalar(self, item: Mapping[str, Any], key: str, path: str) -> str | None:
        value = item.get(key)
        if isinstance(value, dict | list):
            self.structure(f"{path}.{key}", f"{path}.{key} is not a scalar", "a string or number")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return _text(value)


def _slow(data: bytes) -> RawLog:
    raw = RawLog()
    try:
        document = json.loads(data)
    except UnicodeDecodeError as exc:
        raw.problems.append(
            Problem(code="ocel.not_json", message=f"not UTF-8 text: {exc.reason}", path=None)
        )
        return raw
    except json.JSONDecodeError as exc:
        raw.problems.append(
            Problem(code="ocel.not_json", message=f"not JSON: {exc.msg}", line=exc.lineno)
        )
        return raw
    except RecursionError:
        raw.problems.append(Problem(code="ocel.not_json", message="not JSON: nested too deeply"))
        return raw
    if not isinstance(document, dict):
        raw.problems.append(
            Problem(
                code="ocel.not_ocel",
                message=f"the document is a {type(document).__name__}, not an OCEL 2.0 log",
                expected="an object with eventTypes, objectTypes, events and objects",
            )
        )
        return raw
    if not any(key in document for key in _KEYS):
        raw.problems.append(
            Problem(
                code="ocel.not_ocel",
                message="the document has none of eventTypes, objectTypes, events, objects",
                expected="an OCEL 2.0 JSON log",
            )
        )
        return raw
    walk = _Walk()
    for key in ("eventTypes", "objectTypes"):
        decls = [
            _slow_type(walk, item, f"{key}[{index}]")
            for index, item in walk.objects(walk.array(document, key, key, required=True), key)
        ]
        (raw.event_types if key == "eventTypes" else raw.object_types).extend(decls)
    columns: dict[str, dict[str, list[Any]]] = {
        name: {}
        for name in ("events", "objects", "e2o", "o2o", "event_attributes", "object_attributes")
    }

    def put(table: str, loc: str, **values: str | None) -> None:
        target = columns[table]
        for column, value in (*values.items(), ("_loc", loc)):
            target.setdefault(column, []).append(value)

    for key, table, links, attrs, owner in (
        ("events", "events", "e2o", "event_attributes", "event_id"),
        ("objects", "objects", "o2o", "object_attributes", "object_id"),
    ):
        for index, item in walk.objects(walk.array(document, key, key, required=True), key):
            path = f"{key}[{index}]"
            ident = walk.scalar(item, "id", path)
            fields: dict[str, str | None] = {"id": ident, "type": walk.scalar(item, "type", path)}
            if key == "events":
                fields["time"] = walk.scalar(item, "time", path)
            put(table, path, **fields)
            rel_path = f"{path}.relationships"
            rels = walk.array(item, "relationships", rel_path, required=False)
            for j, rel in walk.objects(rels, rel_path):
                loc = f"{rel_path}[{j}]"
                ends = {"event_id": ident} if key == "events" else {"source_id": ident}
                target = "object_id" if key == "events" else "target_id"
                ends[target] = walk.scalar(rel, "objectId", loc)
                put(links, loc, **ends, qualifier=walk.scalar(rel, "qualifier", loc))
            attr_path = f"{path}.attributes"
            for j, attr in walk.objects(
                walk.array(item, "attributes", attr_path, required=False), attr_path
            ):
                loc = f"{attr_path}[{j}]"
                values = {
                    owner: ident,
                    "name": walk.scalar(attr, "name", loc),
                    "value": walk.scalar(attr, "value", loc),
                }
                if key == "objects":
                    values["time"] = walk.scalar(attr, "time", loc)
                put(attrs, loc, **values)
    raw.problems.extend(walk.problems)
    raw.frames = {name: raw_frame(name, cols) for name, cols in columns.items()}
    return raw


def _slow_type(walk: _Walk, item: Mapping[str, Any], path: str) -> TypeDecl:
    attributes = []
    attr_path = f"{path}.attributes"
    for j, attr in walk.objects(
        walk.array(item, "attributes", attr_path, required=False), attr_path
    ):
        loc = f"{attr_path}[{j}]"
        attributes.append((walk.scalar(attr, "name", loc), walk.scalar(attr, "type", loc)))
    return TypeDecl(name=walk.scalar(item, "name", path), attributes=attributes, loc=path)


# Writing.

_JSON_VALUE: Final[Mapping[str, Callable[[str], object]]] = {
    "string": str,
    "time": str,
    "integer": int,
    "float": float,
    "boolean": lambda text: text == "true",
}


def _json_time(column: str) -> pl.Expr:
    return pl.col(column).dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ")


def dump_json(log: OcelLog) -> bytes:
    """Return ``log`` as an OCEL 2.0 JSON document (UTF-8)."""
    kinds = {
        ("event", t, n): k for t, attrs in log.event_types.items() for n, k in attrs.items()
    } | {("object", t, n): k for t, attrs in log.object_types.items() for n, k in attrs.items()}

    def typed(owner_kind: str, owner_type: str, name: str, value: str) -> object:
        return _JSON_VALUE[kinds[(owner_kind, owner_type, name)]](value)

    rels = _grouped(log.e2o, "event_id", ["object_id", "qualifier"])
    event_values = _grouped(log.event_attributes, "event_id", ["name", "value"])
    o2o = _grouped(log.o2o, "source_id", ["target_id", "qualifier"])
    object_values = _grouped(
        log.object_attributes.with_columns(_json_time("time")),
        "object_id",
        ["name", "time", "value"],
    )
    events = []
    for ident, kind, time in log.events.with_columns(_json_time("time")).iter_rows():
        events.append(
            {
                "id": ident,
                "type": kind,
                "time": time,
                "attributes": [
                    {"name": n, "value": typed("event", kind, n, v)}
                    for n, v in event_values.get(ident, ())
                ],
                "relationships": [{"objectId": o, "qualifier": q} for o, q in rels.get(ident, ())],
            }
        )
    objects = []
    for ident, kind in log.objects.iter_rows():
        objects.append(
            {
                "id": ident,
                "type": kind,
                "attributes": [
                    {"name": n, "time": t, "value": typed("object", kind, n, v)}
                    for n, t, v in object_values.get(ident, ())
                ],
                "relationships": [{"objectId": o, "qualifier": q} for o, q in o2o.get(ident, ())],
            }
        )
    document = {
        "eventTypes": _types_json(log.event_types),
        "objectTypes": _types_json(log.object_types),
        "events": events,
        "objects": objects,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _types_json(types: Mapping[str, Mapping[str, str]]) -> list[dict[str, Any]]:
    return [
        {"name": name, "attributes": [{"name": n, "type": k} for n, k in attrs.items()]}
        for name, attrs in types.items()
    ]


def _grouped(frame: pl.DataFrame, key: str, columns: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    grouped: dict[str, list[tuple[Any, ...]]] = {}
    for row in frame.select(key, *columns).iter_rows():
        grouped.setdefault(row[0], []).append(row[1:])
    return grouped
