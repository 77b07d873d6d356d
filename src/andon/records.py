"""The canonical record kinds that every layer of andon speaks, as Arrow schemas.

Every source (simulator, MQTT, Sparkplug B, OPC UA, historian files) is decoded into
these kinds and carried as Arrow tables in batches; no layer keeps one Python object per
value on its hot path. Times are UTC microseconds (``timestamp[us, tz=UTC]``).

Every kind shares three leading columns:

* ``ts``: when the value was true at the source (UTC, microseconds);
* ``source``: who produced the record (a connector instance, the simulator, a file);
* ``seq``: a sequence number from the source that tells apart two records with the same
  ``ts`` (Sparkplug B ``seq``, a file's row number, a simulator counter).

Each kind has a natural key (its identifying columns with ``source``, ``ts`` and ``seq``):
a record delivered twice has the same key and is stored once.

The constructors (:func:`samples`, :func:`states`, ...) build a table from plain Python
sequences, for tests and small producers::

    >>> table = samples(ts=[0, 1_000_000], path=["acme/lyon/a/l1/press1/temp"] * 2,
    ...                 value=[20.5, 20.7], source="demo")
    >>> table.num_rows
    2
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from andon.time import from_datetime

__all__ = [
    "KIND_SCHEMAS",
    "NATURAL_KEYS",
    "PATH_COLUMNS",
    "TS_TYPE",
    "EquipmentState",
    "GenealogyRelation",
    "InspectionResult",
    "MaintenanceEvent",
    "MaintenanceKind",
    "OrderEvent",
    "Quality",
    "RecordKind",
    "counts",
    "empty",
    "energy",
    "genealogy",
    "inspections",
    "inventory",
    "maintenance",
    "orders",
    "samples",
    "schema_of",
    "states",
    "tariffs",
    "to_micros",
    "units",
    "valueless_not_good",
]

TS_TYPE: Final = pa.timestamp("us", tz="UTC")


class RecordKind(StrEnum):
    """The record kinds of DESIGN.md's table; the value is the name used in topics and tables."""

    SAMPLE = "sample"
    STATE = "state"
    COUNT = "count"
    UNIT = "unit"
    GENEALOGY = "genealogy"
    INSPECTION = "inspection"
    ORDER = "order"
    MAINTENANCE = "maintenance"
    INVENTORY = "inventory"
    ENERGY = "energy"
    TARIFF = "tariff"


class Quality(StrEnum):
    """OPC UA style quality of a sample."""

    GOOD = "good"
    UNCERTAIN = "uncertain"
    BAD = "bad"


class EquipmentState(StrEnum):
    """Equipment states; each maps onto the ISO 22400-2 time model (see ``andon.kpi``)."""

    RUNNING = "running"
    IDLE = "idle"
    STARVED = "starved"
    BLOCKED = "blocked"
    SETUP = "setup"
    PLANNED_DOWN = "planned_down"
    UNPLANNED_DOWN = "unplanned_down"
    OFFLINE = "offline"


class GenealogyRelation(StrEnum):
    """How a parent serial or lot relates to a child serial or lot."""

    CONSUMED = "consumed"
    ASSEMBLED_INTO = "assembled_into"


class InspectionResult(StrEnum):
    """Outcome of an inspection, for producers that speak words rather than booleans."""

    PASSED = "passed"
    FAILED = "failed"


class OrderEvent(StrEnum):
    """Life-cycle events of a production order."""

    RELEASED = "released"
    STARTED = "started"
    HELD = "held"
    UNHELD = "unheld"
    COMPLETED = "completed"


class MaintenanceKind(StrEnum):
    """Why a work order exists."""

    FAILURE = "failure"
    CORRECTIVE = "corrective"
    PREVENTIVE = "preventive"
    INSPECTION = "inspection"


class MaintenanceEvent(StrEnum):
    """Life-cycle events of a work order."""

    OPENED = "opened"
    STARTED = "started"
    CLOSED = "closed"


_COMMON: Final = [
    pa.field("ts", TS_TYPE, nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("seq", pa.int64(), nullable=False),
]


def _schema(kind: RecordKind, *fields: pa.Field) -> pa.Schema:
    return pa.schema([*_COMMON, *fields], metadata={b"andon.kind": kind.value.encode()})


KIND_SCHEMAS: Final[Mapping[RecordKind, pa.Schema]] = {
    RecordKind.SAMPLE: _schema(
        RecordKind.SAMPLE,
        pa.field("path", pa.string(), nullable=False),  # tag path
        pa.field("value", pa.float64()),
        pa.field("quality", pa.string(), nullable=False),
    ),
    RecordKind.STATE: _schema(
        RecordKind.STATE,
        pa.field("path", pa.string(), nullable=False),  # equipment path
        pa.field("state", pa.string(), nullable=False),  # the state entered at ts
        pa.field("reason", pa.string()),
    ),
    RecordKind.COUNT: _schema(
        RecordKind.COUNT,
        pa.field("path", pa.string(), nullable=False),  # equipment path
        pa.field("product", pa.string(), nullable=False),
        pa.field("good", pa.int64(), nullable=False),  # increments since the last count
        pa.field("scrap", pa.int64(), nullable=False),
        pa.field("rework", pa.int64(), nullable=False),
    ),
    RecordKind.UNIT: _schema(
        RecordKind.UNIT,
        pa.field("serial", pa.string(), nullable=False),
        pa.field("path", pa.string(), nullable=False),  # station path
        pa.field("product", pa.string(), nullable=False),
        pa.field("lot", pa.string()),
        pa.field("parameter", pa.string(), nullable=False),
        pa.field("value", pa.float64()),
    ),
    RecordKind.GENEALOGY: _schema(
        RecordKind.GENEALOGY,
        pa.field("parent", pa.string(), nullable=False),  # serial or lot
        pa.field("child", pa.string(), nullable=False),
        pa.field("relation", pa.string(), nullable=False),
    ),
    RecordKind.INSPECTION: _schema(
        RecordKind.INSPECTION,
        pa.field("serial", pa.string(), nullable=False),
        pa.field("path", pa.string(), nullable=False),  # station path
        pa.field("test", pa.string(), nullable=False),
        pa.field("passed", pa.bool_(), nullable=False),
        pa.field("value", pa.float64()),
        pa.field("defect_code", pa.string()),
    ),
    RecordKind.ORDER: _schema(
        RecordKind.ORDER,
        pa.field("order_id", pa.string(), nullable=False),
        pa.field("product", pa.string(), nullable=False),
        pa.field("quantity", pa.int64(), nullable=False),
        pa.field("event", pa.string(), nullable=False),
        pa.field("path", pa.string()),  # equipment or line path, once known
    ),
    RecordKind.MAINTENANCE: _schema(
        RecordKind.MAINTENANCE,
        pa.field("work_order", pa.string(), nullable=False),
        pa.field("path", pa.string(), nullable=False),  # equipment path
        pa.field("kind", pa.string(), nullable=False),
        pa.field("event", pa.string(), nullable=False),
        pa.field("failure_mode", pa.string()),
        pa.field("parts", pa.string()),  # JSON object: part id -> quantity used
    ),
    RecordKind.INVENTORY: _schema(
        RecordKind.INVENTORY,
        pa.field("part", pa.string(), nullable=False),
        pa.field("site", pa.string(), nullable=False),  # site path
        pa.field("on_hand", pa.int64(), nullable=False),
        pa.field("on_order", pa.int64(), nullable=False),
    ),
    RecordKind.ENERGY: _schema(
        RecordKind.ENERGY,
        pa.field("path", pa.string(), nullable=False),  # meter path
        pa.field("kwh", pa.float64(), nullable=False),  # energy in the interval ending at ts
        pa.field("interval_s", pa.float64(), nullable=False),
    ),
    RecordKind.TARIFF: _schema(
        RecordKind.TARIFF,
        pa.field("site", pa.string(), nullable=False),  # site path
        pa.field("price_per_kwh", pa.float64(), nullable=False),  # enterprise currency
        pa.field("gco2e_per_kwh", pa.float64(), nullable=False),
    ),
}

NATURAL_KEYS: Final[Mapping[RecordKind, tuple[str, ...]]] = {
    RecordKind.SAMPLE: ("source", "path", "ts", "seq"),
    RecordKind.STATE: ("source", "path", "ts", "seq"),
    RecordKind.COUNT: ("source", "path", "product", "ts", "seq"),
    RecordKind.UNIT: ("source", "serial", "path", "parameter", "ts", "seq"),
    RecordKind.GENEALOGY: ("source", "parent", "child", "relation", "ts", "seq"),
    RecordKind.INSPECTION: ("source", "serial", "path", "test", "ts", "seq"),
    RecordKind.ORDER: ("source", "order_id", "event", "ts", "seq"),
    RecordKind.MAINTENANCE: ("source", "work_order", "event", "ts", "seq"),
    RecordKind.INVENTORY: ("source", "part", "site", "ts", "seq"),
    RecordKind.ENERGY: ("source", "path", "ts", "seq"),
    RecordKind.TARIFF: ("source", "site", "ts", "seq"),
}

PATH_COLUMNS: Final[Mapping[RecordKind, str]] = {
    RecordKind.SAMPLE: "path",
    RecordKind.STATE: "path",
    RecordKind.COUNT: "path",
    RecordKind.UNIT: "path",
    RecordKind.INSPECTION: "path",
    RecordKind.ORDER: "path",
    RecordKind.MAINTENANCE: "path",
    RecordKind.INVENTORY: "site",
    RecordKind.ENERGY: "path",
    RecordKind.TARIFF: "site",
}
"""The column of each kind that holds a model path (genealogy has none)."""


def schema_of(kind: RecordKind | str) -> pa.Schema:
    """Return the Arrow schema of a record kind, by enum or by name."""
    return KIND_SCHEMAS[RecordKind(kind)]


def empty(kind: RecordKind | str) -> pa.Table:
    """Return an empty table of a record kind."""
    return schema_of(kind).empty_table()


TimeLike = int | dt.datetime


def to_micros(value: TimeLike) -> int:
    """Return UTC microseconds since the epoch for an int (already micros) or an aware datetime.

    A naive datetime is refused: a plant spans time zones, and a guess here would be wrong
    by hours at one of them.
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            msg = f"naive datetime {value.isoformat()} has no time zone; give it tzinfo"
            raise ValueError(msg)
        return from_datetime(value)
    return int(value)


def _build(kind: RecordKind, length_of: Sequence[Any], columns: dict[str, Any]) -> pa.Table:
    schema = KIND_SCHEMAS[kind]
    n = len(length_of)
    arrays: list[pa.Array] = []
    for field in schema:
        raw = columns.get(field.name)
        if field.name == "ts":
            values: Sequence[Any] = [to_micros(t) for t in length_of]
        elif raw is None or isinstance(raw, str | int | float | bool):
            values = [raw] * n
        else:
            values = list(raw)
        if field.name == "seq" and raw is None:
            values = list(range(n))
        if len(values) != n:
            msg = f"{kind.value} column {field.name!r} has {len(values)} values, expected {n}"
            raise ValueError(msg)
        arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def samples(
    *,
    ts: Sequence[TimeLike],
    path: Sequence[str] | str,
    value: Sequence[float | None],
    quality: Sequence[str] | str = Quality.GOOD.value,
    source: Sequence[str] | str = "local",
    seq: Sequence[int] | None = None,
) -> pa.Table:
    """Build a ``sample`` table: one value of one tag at one time."""
    return _build(RecordKind.SAMPLE, ts, dict(locals()))


def states(
    *,
    ts: Sequence[TimeLike],
    path: Sequence[str] | str,
    state: Sequence[str] | str,
    reason: Sequence[str | None] | str | None = None,
    source: Sequence[str] | str = "local",
    seq: Sequence[int] | None = None,
) -> pa.Table:
    """Build a ``state`` table: the state an equipment entered at ``ts``."""
    return _build(RecordKind.STATE, ts, dict(locals()))


def counts(
    *,
    ts: Sequence[TimeLike],
    path: Sequence[str] | str,
    product: Sequence[str] | str,
    good: Sequence[int] | int,
    scrap: Sequence[int] | int = 0,
    rework: Sequence[int] | int = 0,
    source: Sequence[str] | str = "local",
    seq: Sequence[int] | None = None,
) -> pa.Table:
    """Build a ``count`` table: units made since the previous count of that equipment."""
    return _build(RecordKind.COUNT, ts, dict(locals()))


def units(
    *,
    ts: Sequence[TimeLike],
    serial: Sequence[str] | str,
    path: Sequence[str] | str,
    product: Sequence[str] | str,
    parameter: Sequence[str] | str,
    value: Sequence[float | None],
    lot: Sequence[str | None] | str | None = None,
    source: Sequence[str] | str = "local",
    seq: Sequence[int] | None = None,
) -> pa.Table:
    """Build a ``unit`` table: one process parameter of one serialized unit at one station."""
    return _build(RecordKind.UNIT, ts, dict(locals()))


def genealogy(
    *,
    ts: Sequence[TimeLike],
    parent: Sequence[str] | str,
    child: Sequence[str] | str,
    relation: Sequence[str] | str = GenealogyRelation.CONSUMED.value,
    source: Sequence[str] | str = "local",
    seq: Sequence[int] | None = None,
) -> pa.Table:
    """Build a ``genealogy`` table: a parent serial or lot consumed by or assembled into a child."""
    return _build(RecordKind.GENEALOGY, ts, dict(locals()))


def inspections(
    *,
    ts: Sequence[TimeLike],
    serial: Sequence[str] | str,
    path: Sequence[str] | str,
    test: Sequence[str] | str,
    passed: Sequence[bool] | bool,
    value: Sequence[float | None] | float | None = None,
    defect_code: Sequence[str | None] | str | None = None,
    source: Sequence[str] | str = "local",
    seq: Sequence[int] | None = None,
) -> pa.Table:
    """Build an ``inspection`` table: one test of one unit at one station."""
    return _build(RecordKind.INSPECTION, ts, dict(locals()))


def orders(
    *,
    ts: Sequence[TimeLike],
    order_id: Sequence[str] | str,
    product: Sequence[str] | str,
    quantity: Sequence[int] | int,
    event: Sequence[str] | str,
    path: Sequence[str | None] | str | None = None,
    source: Sequence[str] | str = "local",
    seq: Sequence[int] | None = None,
) -> pa.Table:
    """Build an ``order`` table: life-cycle events of production orders."""
    return _build(RecordKind.ORDER, ts, dict(locals()))


def maintenance(
    *,
    ts: Sequence[TimeLike],
    work_order: Sequence[str] | str,
    path: Sequence[str] | str,
    kind: Sequence[str] | str,
    event: Sequence[str] | str,
    failure_mode: Sequence[str | None] | str | None = None,
    parts: Sequence[str | None] | str | None = None,
    source: Sequence[str] | str = "local",
    seq: Sequence[int] | None = None,
) -> pa.Table:
    """Build a ``maintenance`` table; ``parts`` is a JSON object of part id -> quantity."""
    return _build(RecordKind.MAINTENANCE, ts, dict(locals()))


def inventory(
    *,
    ts: Sequence[TimeLike],
    part: Sequence[str] | str,
    site: Sequence[str] | str,
    on_hand: Sequence[int] | int,
    on_order: Sequence[int] | int = 0,
    source: Sequence[str] | str = "local",
    seq: Sequence[int] | None = None,
) -> pa.Table:
    """Build an ``inventory`` table: stock of a spare part at a site."""
    return _build(RecordKind.INVENTORY, ts, dict(locals()))


def energy(
    *,
    ts: Sequence[TimeLike],
    path: Sequence[str] | str,
    kwh: Sequence[float],
    interval_s: Sequence[float] | float,
    source: Sequence[str] | str = "local",
    seq: Sequence[int] | None = None,
) -> pa.Table:
    """Build an ``energy`` table: kWh a meter measured in the interval ending at ``ts``."""
    return _build(RecordKind.ENERGY, ts, dict(locals()))


def tariffs(
    *,
    ts: Sequence[TimeLike],
    site: Sequence[str] | str,
    price_per_kwh: Sequence[float] | float,
    gco2e_per_kwh: Sequence[float] | float,
    source: Sequence[str] | str = "local",
    seq: Sequence[int] | None = None,
) -> pa.Table:
    """Build a ``tariff`` table: price and grid carbon intensity from ``ts`` on."""
    return _build(RecordKind.TARIFF, ts, dict(locals()))


def valueless_not_good(samples: pa.Table) -> pa.Table:
    """Return sample records where a sample without a value is never of quality ``good``.

    One rule for every source that can say "no value": a Sparkplug metric with
    ``is_null``, a UNS payload with ``"value": null``, an OPC UA value without a variant.
    The sample is kept (the source said something at that instant) with quality ``bad``
    unless the source gave ``uncertain`` or ``bad`` itself. (A file's empty cell is a
    different case: a row that does not say why its value is missing is quarantined.)

    >>> table = samples(ts=[0, 1], path="a/t", value=[1.5, None])
    >>> valueless_not_good(table).column("quality").to_pylist()
    ['good', 'bad']
    """
    value, quality = samples.column("value"), samples.column("quality")
    wrong = pc.and_(pc.is_null(value), pc.equal(quality, Quality.GOOD.value))
    if not pc.any(wrong).as_py():
        return samples
    fixed = pc.if_else(wrong, Quality.BAD.value, quality)
    return samples.set_column(samples.schema.get_field_index("quality"), "quality", fixed)
