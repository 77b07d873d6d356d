"""OCEL 2.0 out of the store: orders, units, lots, equipment, work orders and inspections.

The records of a range of time become one object-centric event log (:class:`OcelLog`),
built on columns (one Polars frame per kind of fact, no Python object per record) and
checked by the same rules a read log meets (:func:`andon.ocel` ``assemble``), so what the
writers receive is a valid OCEL 2.0 log.

Objects (type: where from; attributes, those that change over time marked ~):

- ``order``: order records; ``product``, ``quantity``, ``status`` ~ (the last event),
  ``line`` ~ (the path the record names);
- ``unit``: unit records; ``product``, ``lot``, ``station`` ~ (the station of each visit);
- ``lot``: the lots the unit records and genealogy name;
- ``equipment``: every path the records name; ``state`` ~ and ``reason`` ~ from the state
  records (each equipment's state at the start of the range, then each change);
- ``work_order``: maintenance records; ``kind``, ``failure_mode``, ``status`` ~;
- ``inspection``: one per inspection record; ``test``, ``passed``, ``value``,
  ``defect_code``;
- ``quality_hold``: one per hold of an order (from its ``held`` record to the ``unheld``
  that ends it); ``order``, ``status`` ~ (``held``, then ``unheld``).

Events (type: qualified relations):

- ``released``, ``started``, ``held``, ``unheld``, ``completed`` (an order record):
  ``order`` the order, ``line`` the equipment or line the record names; a ``held`` and
  the ``unheld`` that ends it also ``hold``, the quality hold object;
- ``processed at <cell>`` (a unit visit: the unit records of one serial at one station and
  instant; the activity is the routing cell, the station's parent in the ISA-95 path):
  ``unit``, ``station``; the move from one station to the next is the directly-follows
  edge between two of these;
- ``consumed`` (a genealogy ``consumed`` link): ``consumer`` the child, ``consumed`` the
  parent; ``assembled`` (an ``assembled_into`` link): ``part`` the parent, ``assembly`` the
  child;
- ``inspected``: ``unit``, ``station``, ``result`` (the inspection object);
- ``work order opened``, ``maintenance started``, ``maintained`` (a work order's opened,
  started and closed records): ``work order``, ``equipment``.

Object-to-object relations: a unit ``part of`` its order, where known: a genealogy link
between the serial and an order id, else the order that had most recently started on the
unit's line with the unit's product when the unit was released (its ``consumed`` link, or
its first visit), which is how lines release orders one after the other; a unit
``consumed`` a lot and a part ``assembled into`` a unit (genealogy); a unit ``processed on``
each station it visited; an order ``on`` its line; a work order ``on`` its equipment; an
inspection ``of`` its unit and ``at`` its station; a quality hold ``holds`` its order.

An id names one object: where two kinds of record use the same id, the object is of the
first type in the list above. Static attribute values are given at the Unix epoch, as the
OCEL 2.0 SQLite format keeps an object's first values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

import polars as pl

from andon.ocel import OcelLog
from andon.ocel._check import RawLog, TypeDecl, assemble, raw_frame
from andon.ocel._model import SCHEMAS
from andon.store import Store
from andon.store import flow_queries as fq

__all__ = ["EVENT_TYPES", "OBJECT_TYPES", "hold_ids", "store_log", "unit_orders"]

OBJECT_TYPES: Final[Mapping[str, Mapping[str, str]]] = {
    "order": {"product": "string", "quantity": "integer", "status": "string", "line": "string"},
    "unit": {"product": "string", "lot": "string", "station": "string"},
    "lot": {},
    "equipment": {"state": "string", "reason": "string"},
    "work_order": {"kind": "string", "failure_mode": "string", "status": "string"},
    "inspection": {
        "test": "string",
        "passed": "boolean",
        "value": "float",
        "defect_code": "string",
    },
    "quality_hold": {"order": "string", "status": "string"},
}
"""The object types of the exported log and their attributes, in priority order."""

ORDER_EVENTS: Final = ("released", "started", "held", "unheld", "completed")
WORK_ORDER_EVENTS: Final = {
    "opened": "work order opened",
    "started": "maintenance started",
    "closed": "maintained",
}
EVENT_TYPES: Final[tuple[str, ...]] = (
    *ORDER_EVENTS,
    "consumed",
    "assembled",
    "inspected",
    *WORK_ORDER_EVENTS.values(),
)
"""The fixed event types; ``processed at <cell>`` types come from the plant's cells."""

_EPOCH: Final = "1970-01-01T00:00:00Z"
_TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%S%.6fZ"
_S: Final = pl.String()


def _time(column: str = "ts_us") -> pl.Expr:
    return pl.from_epoch(pl.col(column), time_unit="us").dt.strftime(_TIME_FORMAT)


def _frame(arrow: object) -> pl.DataFrame:
    frame = pl.from_arrow(arrow)
    if not isinstance(frame, pl.DataFrame):  # pragma: no cover - a table gives a frame
        raise TypeError("expected a table")
    return frame


def _cell(path: pl.Expr) -> pl.Expr:
    """The routing cell of a station path: the second last element (line/cell/equipment)."""
    parts = path.str.split("/")
    return pl.when(parts.list.len() >= 2).then(parts.list.get(-2, null_on_oob=True)).otherwise(path)


def _line(path: pl.Expr) -> pl.Expr:
    """The line of a station path: the path less its cell and equipment."""
    parts = path.str.split("/")
    return parts.list.slice(0, parts.list.len() - 2).list.join("/")


def _event_id(kind: str, *columns: str) -> pl.Expr:
    """The id of an event from the record's identifying columns: ``kind:a:b:ts``, each
    part with ``%`` and ``:`` percent-escaped, so two records have one id only when they
    are the same fact."""
    parts = [
        pl.col(c).cast(_S).fill_null("").str.replace_all("%", "%25").str.replace_all(":", "%3A")
        for c in columns
    ]
    return pl.lit(f"{kind}:") + pl.concat_str(parts, separator=":")


class _Parts:
    """Collects the text frames of the log, one list per table."""

    def __init__(self) -> None:
        self.frames: dict[str, list[pl.DataFrame]] = {name: [] for name in SCHEMAS}

    def add(self, name: str, frame: pl.DataFrame) -> None:
        columns = list(SCHEMAS[name])
        self.frames[name].append(frame.select([pl.col(c).cast(_S) for c in columns]))

    def events(self, frame: pl.DataFrame) -> None:
        """Add events from ``id``, ``type``, ``ts_us``."""
        self.add("events", frame.select("id", "type", _time().alias("time")))

    def e2o(self, frame: pl.DataFrame, object_column: str, qualifier: str) -> None:
        self.add(
            "e2o",
            frame.filter(pl.col(object_column).is_not_null()).select(
                pl.col("id").alias("event_id"),
                pl.col(object_column).alias("object_id"),
                pl.lit(qualifier).alias("qualifier"),
            ),
        )

    def o2o(self, frame: pl.DataFrame, source: str, target: str, qualifier: str) -> None:
        self.add(
            "o2o",
            frame.filter(pl.col(source).is_not_null() & pl.col(target).is_not_null())
            .select(
                pl.col(source).alias("source_id"),
                pl.col(target).alias("target_id"),
                pl.lit(qualifier).alias("qualifier"),
            )
            .unique(),
        )

    def objects(self, ids: pl.Series, object_type: str) -> None:
        self.add(
            "objects",
            pl.DataFrame({"id": ids}).drop_nulls().unique().with_columns(type=pl.lit(object_type)),
        )

    def values(
        self, frame: pl.DataFrame, id_column: str, names: Iterable[str], *, time: pl.Expr
    ) -> None:
        """Add attribute values of objects: one per named column, at ``time``."""
        for name in names:
            self.add(
                "object_attributes",
                frame.filter(pl.col(name).is_not_null())
                .select(
                    pl.col(id_column).alias("object_id"),
                    pl.lit(name).alias("name"),
                    time.alias("time"),
                    pl.col(name).cast(_S).alias("value"),
                )
                .unique(),
            )

    def table(self, name: str) -> pl.DataFrame:
        parts = self.frames[name]
        frame = pl.concat(parts) if parts else raw_frame(name).select(list(SCHEMAS[name]))
        return frame.with_columns(
            pl.lit(None, _S).alias("_loc"), pl.lit(None, pl.Int64()).alias("_line")
        )


def _orders(parts: _Parts, orders: pl.DataFrame) -> None:
    events = orders.filter(pl.col("event").is_in(ORDER_EVENTS)).with_columns(
        id=_event_id("order", "order_id", "event", "ts_us"),
        type=pl.col("event"),
    )
    events = events.unique("id", keep="first", maintain_order=True)
    parts.events(events)
    parts.e2o(events, "order_id", "order")
    parts.e2o(events, "path", "line")
    holds = hold_ids(events)
    parts.e2o(holds, "hold", "hold")
    parts.o2o(holds, "hold", "order_id", "holds")
    parts.values(holds.filter(pl.col("event") == "held"), "hold", ("order",), time=pl.lit(_EPOCH))
    parts.values(holds.rename({"event": "status"}), "hold", ("status",), time=_time())
    parts.o2o(orders, "order_id", "path", "on")
    first = orders.sort("ts_us").unique("order_id", keep="first", maintain_order=True)
    parts.values(first, "order_id", ("product", "quantity"), time=pl.lit(_EPOCH))
    parts.values(
        orders.rename({"event": "status", "path": "line"}),
        "order_id",
        ("status", "line"),
        time=_time(),
    )


def hold_ids(orders: pl.DataFrame) -> pl.DataFrame:
    """The quality hold of each ``held`` and ``unheld`` order record: ``hold`` (``hold:`` the
    order and the time it was held, null for an ``unheld`` with no ``held`` before it),
    ``order`` (the order id), beside the record's columns."""
    marks = orders.filter(pl.col("event").is_in(["held", "unheld"])).sort(
        "order_id", "ts_us", pl.col("event") != "held"
    )
    since = pl.when(pl.col("event") == "held").then(pl.col("ts_us"))
    return (
        marks.with_columns(since.forward_fill().over("order_id").alias("_held_us"))
        .with_columns(
            pl.when(pl.col("_held_us").is_not_null())
            .then(_event_id("hold", "order_id", "_held_us"))
            .alias("hold"),
            pl.col("order_id").alias("order"),
        )
        .drop("_held_us")
    )


def unit_orders(visits: pl.DataFrame, links: pl.DataFrame, orders: pl.DataFrame) -> pl.DataFrame:
    """Each unit's order: ``serial``, ``order_id`` (see the module's rule)."""
    order_ids = orders.select(pl.col("order_id").unique())
    explicit = pl.concat(
        [
            links.select(pl.col("child").alias("serial"), pl.col("parent").alias("order_id")),
            links.select(pl.col("parent").alias("serial"), pl.col("child").alias("order_id")),
        ]
    ).join(order_ids, on="order_id", how="semi")
    released = (
        pl.concat(
            [
                links.filter(pl.col("relation") == "consumed").select(
                    pl.col("child").alias("serial"), "ts_us"
                ),
                visits.select("serial", "ts_us"),
            ]
        )
        .group_by("serial")
        .agg(pl.col("ts_us").min())
    )
    where = (
        visits.sort("ts_us", "path")
        .unique("serial", keep="first", maintain_order=True)
        .select("serial", "product", _line(pl.col("path")).alias("line"))
        .join(released, on="serial")
        .join(explicit.select("serial"), on="serial", how="anti")
        .sort("ts_us")
    )
    starts = (
        orders.filter(pl.col("event") == "started")
        .select("ts_us", "order_id", "product", pl.col("path").alias("line"))
        .drop_nulls()
        .sort("ts_us")
    )
    inferred = where.join_asof(
        starts,
        on="ts_us",
        by=["line", "product"],
        strategy="backward",
        check_sortedness=False,  # sorted on ts_us, the groups interleave
    )
    return pl.concat(
        [
            explicit.unique("serial", keep="first"),
            inferred.filter(pl.col("order_id").is_not_null()).select("serial", "order_id"),
        ]
    )


def _units(parts: _Parts, visits: pl.DataFrame, links: pl.DataFrame, orders: pl.DataFrame) -> None:
    events = visits.with_columns(
        id=_event_id("visit", "serial", "path", "ts_us"),
        type=pl.concat_str(pl.lit("processed at "), _cell(pl.col("path"))),
    )
    parts.events(events)
    parts.e2o(events, "serial", "unit")
    parts.e2o(events, "path", "station")
    parts.o2o(visits, "serial", "path", "processed on")
    first = visits.sort("ts_us").unique("serial", keep="first", maintain_order=True)
    parts.values(first, "serial", ("product", "lot"), time=pl.lit(_EPOCH))
    parts.values(visits.rename({"path": "station"}), "serial", ("station",), time=_time())
    parts.o2o(unit_orders(visits, links, orders), "serial", "order_id", "part of")


def _genealogy(parts: _Parts, links: pl.DataFrame) -> None:
    for relation, kind, (parent_q, child_q) in (
        ("consumed", "consumed", ("consumed", "consumer")),
        ("assembled_into", "assembled", ("part", "assembly")),
    ):
        chosen = links.filter(pl.col("relation") == relation).with_columns(
            id=_event_id(kind, "parent", "child", "ts_us"),
            type=pl.lit(kind),
        )
        parts.events(chosen)
        parts.e2o(chosen, "parent", parent_q)
        parts.e2o(chosen, "child", child_q)
        if relation == "consumed":
            parts.o2o(chosen, "child", "parent", "consumed")
        else:
            parts.o2o(chosen, "parent", "child", "assembled into")


def _inspection_id() -> pl.Expr:
    return _event_id("inspected", "serial", "path", "test", "ts_us")


def _inspections(parts: _Parts, inspections: pl.DataFrame) -> None:
    events = inspections.with_columns(
        id=_inspection_id(),
        type=pl.lit("inspected"),
    ).unique("id", keep="first", maintain_order=True)
    events = events.with_columns(result=pl.lit("inspection:") + pl.col("id"))
    parts.events(events)
    parts.e2o(events, "serial", "unit")
    parts.e2o(events, "path", "station")
    parts.e2o(events, "result", "result")
    parts.o2o(events, "result", "serial", "of")
    parts.o2o(events, "result", "path", "at")
    parts.values(
        events.with_columns(pl.col("passed").cast(_S).str.to_lowercase()),
        "result",
        ("test", "passed", "value", "defect_code"),
        time=_time(),
    )


def _work_orders(parts: _Parts, work: pl.DataFrame) -> None:
    events = (
        work.filter(pl.col("event").is_in(list(WORK_ORDER_EVENTS)))
        .with_columns(
            id=_event_id("work", "work_order", "event", "ts_us"),
            type=pl.col("event").replace_strict(WORK_ORDER_EVENTS),
        )
        .unique("id", keep="first", maintain_order=True)
    )
    parts.events(events)
    parts.e2o(events, "work_order", "work order")
    parts.e2o(events, "path", "equipment")
    parts.o2o(work, "work_order", "path", "on")
    first = work.sort("ts_us").unique("work_order", keep="first", maintain_order=True)
    parts.values(first, "work_order", ("kind", "failure_mode"), time=pl.lit(_EPOCH))
    parts.values(work.rename({"event": "status"}), "work_order", ("status",), time=_time())


def _objects(parts: _Parts, tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Every object once, of the first type that claims its id."""
    orders, visits = tables["orders"], tables["visits"]
    links, inspections, work = tables["links"], tables["inspections"], tables["work"]
    units = pl.concat([visits["serial"], inspections["serial"]])
    known = pl.concat([orders["order_id"], units])
    named = pl.DataFrame({"id": pl.concat([links["parent"], links["child"]])})
    others = named.join(pl.DataFrame({"id": known}), on="id", how="anti")["id"]
    lots = pl.concat([visits["lot"].drop_nulls(), others])
    paths = pl.concat(
        [
            orders["path"].drop_nulls(),
            visits["path"],
            inspections["path"],
            work["path"],
            tables["states"]["path"],
        ]
    )
    results = inspections.select(pl.lit("inspection:") + _inspection_id())[:, 0]
    holds = hold_ids(orders)["hold"].drop_nulls()
    for ids, object_type in (
        (orders["order_id"], "order"),
        (units, "unit"),
        (lots, "lot"),
        (paths, "equipment"),
        (work["work_order"], "work_order"),
        (results, "inspection"),
        (holds, "quality_hold"),
    ):
        parts.objects(ids, object_type)
    return pl.concat(parts.frames["objects"]).unique("id", keep="first", maintain_order=True)


def _states(parts: _Parts, states: pl.DataFrame) -> None:
    parts.values(states, "path", ("state", "reason"), time=_time())


def store_log(store: Store, *, start: int, end: int, equipment_states: bool = True) -> OcelLog:
    """Return the OCEL 2.0 log of the records in ``[start, end)`` (UTC microseconds).

    ``equipment_states`` adds each equipment's states as its time-varying ``state`` and
    ``reason``; without it the log holds the flow of orders and units alone, and is smaller.
    """
    tables = {
        "orders": _frame(fq.orders(store, start=start, end=end)),
        "visits": _frame(fq.unit_visits(store, start=start, end=end)),
        "links": _frame(fq.genealogy(store, start=start, end=end)),
        "inspections": _frame(fq.inspections(store, start=start, end=end)),
        "work": _frame(fq.work_orders(store, start=start, end=end)),
        "states": _frame(fq.states(store, start=start, end=end))
        if equipment_states
        else _frame(fq.states(store, start=0, end=0)),
    }
    parts = _Parts()
    _orders(parts, tables["orders"])
    _units(parts, tables["visits"], tables["links"], tables["orders"])
    _genealogy(parts, tables["links"])
    _inspections(parts, tables["inspections"])
    _work_orders(parts, tables["work"])
    _states(parts, tables["states"])
    objects = _objects(parts, tables)
    parts.frames["objects"] = [objects]
    kept = objects.select("id", pl.col("type").alias("_type"))
    # A relation or a value to an id claimed by an earlier type stays with that object; its
    # attributes stay only where that type declares them.
    values = parts.table("object_attributes").join(
        kept, left_on="object_id", right_on="id", how="left"
    )
    declared = pl.DataFrame(
        [(t, n) for t, attrs in OBJECT_TYPES.items() for n in attrs],
        schema={"_type": _S, "name": _S},
        orient="row",
    )
    values = values.join(declared, on=["_type", "name"], how="semi").drop("_type")
    event_types = sorted(set(parts.table("events")["type"].to_list()) | set(EVENT_TYPES))
    raw = RawLog(
        event_types=[TypeDecl(name=name, attributes=[], loc="export") for name in event_types],
        object_types=[
            TypeDecl(name=name, attributes=list(attrs.items()), loc="export")
            for name, attrs in OBJECT_TYPES.items()
        ],
        frames={
            "events": parts.table("events"),
            "objects": parts.table("objects"),
            "e2o": parts.table("e2o"),
            "o2o": parts.table("o2o").unique(["source_id", "target_id", "qualifier"]),
            "event_attributes": parts.table("event_attributes"),
            "object_attributes": values,
        },
    )
    return assemble(raw, file="store")
