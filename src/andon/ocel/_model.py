"""The in-memory OCEL 2.0 log: one Polars table per kind of fact, and the type definitions.

An object-centric event log (OCEL 2.0) holds events and objects; each event is related to
any number of objects by a qualified event-to-object relation (E2O), objects are related to
each other by qualified object-to-object relations (O2O), events carry attribute values and
objects carry attribute values that change over time. The types say which attributes each
event type and object type has, and of which kind (``string``, ``time``, ``integer``,
``float``, ``boolean``).

The log keeps every fact in a column, never a Python object per event:

=====================  ==========================================================
table                  columns
=====================  ==========================================================
``events``             ``id``, ``type``, ``time`` (UTC microseconds)
``objects``            ``id``, ``type``
``e2o``                ``event_id``, ``object_id``, ``qualifier``
``o2o``                ``source_id``, ``target_id``, ``qualifier``
``event_attributes``   ``event_id``, ``name``, ``value``
``object_attributes``  ``object_id``, ``name``, ``time``, ``value``
=====================  ==========================================================

Attribute values are kept as their canonical text (``3083.0``, ``true``,
``2023-04-05T15:28:14Z``), checked against the declared type when the log is read; the
typed frames come from :meth:`OcelLog.event_attribute_frame` and
:meth:`OcelLog.object_attribute_frame`. Times are instants: the offset a file wrote them
with is not kept, the instant is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, TypeAlias, get_args

import polars as pl

__all__ = [
    "ATTRIBUTE_TYPES",
    "SCHEMAS",
    "TIME",
    "AttributeType",
    "OcelLog",
    "TypeDefs",
]

AttributeType: TypeAlias = Literal["string", "time", "integer", "float", "boolean"]
ATTRIBUTE_TYPES: Final[tuple[str, ...]] = get_args(AttributeType)

TypeDefs: TypeAlias = Mapping[str, Mapping[str, AttributeType]]
"""Type name to its attributes (name to kind), in the order the file declared them."""

TIME: Final = pl.Datetime("us", "UTC")

SCHEMAS: Final[Mapping[str, Mapping[str, pl.DataType]]] = {
    "events": {"id": pl.String(), "type": pl.String(), "time": TIME},
    "objects": {"id": pl.String(), "type": pl.String()},
    "e2o": {"event_id": pl.String(), "object_id": pl.String(), "qualifier": pl.String()},
    "o2o": {"source_id": pl.String(), "target_id": pl.String(), "qualifier": pl.String()},
    "event_attributes": {"event_id": pl.String(), "name": pl.String(), "value": pl.String()},
    "object_attributes": {
        "object_id": pl.String(),
        "name": pl.String(),
        "time": TIME,
        "value": pl.String(),
    },
}

_SORT: Final[Mapping[str, list[str]]] = {
    "events": ["id"],
    "objects": ["id"],
    "e2o": ["event_id", "object_id", "qualifier"],
    "o2o": ["source_id", "target_id", "qualifier"],
    "event_attributes": ["event_id", "name"],
    "object_attributes": ["object_id", "name", "time", "value"],
}

_DTYPES: Final[Mapping[str, pl.DataType]] = {
    "string": pl.String(),
    "time": TIME,
    "integer": pl.Int64(),
    "float": pl.Float64(),
    "boolean": pl.Boolean(),
}


def _empty(name: str) -> pl.DataFrame:
    return pl.DataFrame(schema=dict(SCHEMAS[name]))


@dataclass(frozen=True, kw_only=True)
class OcelLog:
    """An OCEL 2.0 log, checked: every reference resolves, every id is unique, every value
    has its declared type. Build one with :func:`andon.ocel.read` or from tables with
    :func:`andon.ocel.from_tables`, which check it the same way."""

    event_types: TypeDefs = field(default_factory=dict)
    object_types: TypeDefs = field(default_factory=dict)
    events: pl.DataFrame = field(default_factory=lambda: _empty("events"))
    objects: pl.DataFrame = field(default_factory=lambda: _empty("objects"))
    e2o: pl.DataFrame = field(default_factory=lambda: _empty("e2o"))
    o2o: pl.DataFrame = field(default_factory=lambda: _empty("o2o"))
    event_attributes: pl.DataFrame = field(default_factory=lambda: _empty("event_attributes"))
    object_attributes: pl.DataFrame = field(default_factory=lambda: _empty("object_attributes"))

    def table(self, name: str) -> pl.DataFrame:
        """Return the table called ``name`` (one of :data:`SCHEMAS`)."""
        frame: pl.DataFrame = getattr(self, name)
        return frame

    def counts(self) -> dict[str, int]:
        """Return the number of rows of every table, for summaries and comparisons."""
        return {name: self.table(name).height for name in SCHEMAS}

    def canonical(self) -> dict[str, pl.DataFrame]:
        """Return every table sorted on its key, so that two logs with the same facts in a
        different order compare equal."""
        return {name: self.table(name).sort(_SORT[name]) for name in SCHEMAS}

    def same_facts(self, other: OcelLog) -> bool:
        """Whether ``other`` holds the same types, events, objects, relations and values."""
        if _types(self.event_types) != _types(other.event_types):
            return False
        if _types(self.object_types) != _types(other.object_types):
            return False
        mine, theirs = self.canonical(), other.canonical()
        return all(mine[name].equals(theirs[name]) for name in SCHEMAS)

    def event_attribute_frame(self, event_type: str) -> pl.DataFrame:
        """Return one row per event of ``event_type``: ``id``, ``time`` and one typed column
        per declared attribute (null where the event has no value)."""
        events = self.events.filter(pl.col("type") == event_type).select("id", "time")
        attributes = self.event_types.get(event_type, {})
        values = self.event_attributes.join(
            events.select("id"), left_on="event_id", right_on="id", how="semi"
        )
        for name, kind in attributes.items():
            column = values.filter(pl.col("name") == name).select(
                pl.col("event_id").alias("id"), typed_value(kind).alias(name)
            )
            events = events.join(column, on="id", how="left")
        return events

    def object_attribute_frame(self, object_type: str) -> pl.DataFrame:
        """Return one row per value of an object of ``object_type``: ``id``, ``time``,
        ``name`` and one typed column per declared attribute, set only in the column the
        row's ``name`` says (the shape of the SQLite format's object tables)."""
        ids = self.objects.filter(pl.col("type") == object_type).select("id")
        values = self.object_attributes.join(
            ids, left_on="object_id", right_on="id", how="semi"
        ).rename({"object_id": "id"})
        kinds = self.object_types.get(object_type, {})
        return values.select(
            "id",
            "time",
            "name",
            *[
                pl.when(pl.col("name") == name).then(typed_value(kind)).alias(name)
                for name, kind in kinds.items()
            ],
        )


def typed_value(kind: str, column: str = "value") -> pl.Expr:
    """Return the expression that turns a canonical value column into its typed column."""
    value = pl.col(column)
    if kind == "time":
        return value.str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_unit="us", time_zone="UTC")
    if kind == "boolean":
        return value == "true"
    return value.cast(_DTYPES[kind])


def _types(defs: TypeDefs) -> dict[str, dict[str, str]]:
    return {name: dict(attributes) for name, attributes in defs.items()}
