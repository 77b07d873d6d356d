"""Check a batch of records against the plant model: split it into good and quarantined rows.

Every connector calls :func:`check` between decoding and the store. A row that breaks a
contract is not dropped: it goes to quarantine (``andon.store.base.QUARANTINE_SCHEMA``) with
a stable reason code, a sentence for people and the original row as JSON, so that nothing
is lost without a trace. A batch that cannot be read at all (a required column missing, a
column of a type that does not cast) raises :class:`~andon.errors.ContractError` listing
every such problem at once.

The good path is vectorised: look-up arrays are built from the model once per model and
record kind, and a batch costs a handful of Arrow/NumPy passes, never a Python step per
row. Only quarantined rows are turned into Python objects, to explain them.

Each row gets the first reason that applies, in this order: ``wrong_type``, ``bad_enum``,
``unknown_path``, ``unit_mismatch``, ``future``, ``out_of_range``, ``duplicate``. Duplicates
are sought among the rows that passed every other check, so the set of good rows does not
depend on the order of the batch.

>>> from andon.model import load_model
>>> from andon.records import RecordKind, samples
>>> model = load_model("examples/discrete")
>>> tag = "acme/lyon/machining/m1/milling/mill1/spindle_temperature"
>>> batch = samples(ts=[0, 1, 2], path=[tag, tag, tag + "x"], value=[41.0, 999.0, 1.0])
>>> result = check(RecordKind.SAMPLE, batch, model, now_us=10)
>>> result.good.num_rows, result.reasons()
(1, {'out_of_range': 1, 'unknown_path': 1})
"""

from __future__ import annotations

import json
import math
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from andon.errors import ContractError, Problem
from andon.model import Model
from andon.model.units import UnitError, conversion
from andon.records import (
    NATURAL_KEYS,
    TS_TYPE,
    EquipmentState,
    GenealogyRelation,
    MaintenanceEvent,
    MaintenanceKind,
    OrderEvent,
    Quality,
    RecordKind,
    schema_of,
)
from andon.store.base import QUARANTINE_SCHEMA

__all__ = ["CheckResult", "Reason", "check", "in_class_units"]

Mask = npt.NDArray[np.bool_]

_UNITS_KEY: Final = b"andon.units"
_CLASS_UNITS: Final = b"class"
"""Schema metadata of checked samples: values are in class units, so a second check does
not convert them again (checking is idempotent)."""


class Reason(StrEnum):
    """Why a row was quarantined; the value is the stable code stored with the row."""

    WRONG_TYPE = "wrong_type"
    """A value does not read as its column's type, or a required value is empty."""
    BAD_ENUM = "bad_enum"
    """A state, quality, event, kind or relation that the record kind does not know."""
    UNKNOWN_PATH = "unknown_path"
    """A tag, equipment, station, meter, site, product, part or failure mode not in the model."""
    UNIT_MISMATCH = "unit_mismatch"
    """A sample's ``unit`` does not convert to its tag's engineering unit."""
    FUTURE = "future"
    """A timestamp later than now plus the future bound (a clock that runs ahead)."""
    OUT_OF_RANGE = "out_of_range"
    """A value outside its tag's valid range, not finite, or a negative count or quantity."""
    DUPLICATE = "duplicate"
    """The same natural key as an earlier row of the same batch."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A batch split in two: ``good`` in the kind's exact schema, ``quarantined`` with reasons.

    ``good.num_rows + quarantined.num_rows`` always equals the rows of the input.
    """

    kind: RecordKind
    good: pa.Table
    quarantined: pa.Table

    @property
    def total(self) -> int:
        """Rows checked."""
        return int(self.good.num_rows + self.quarantined.num_rows)

    def reasons(self) -> dict[str, int]:
        """Return quarantined row counts by reason code, sorted by code."""
        codes = self.quarantined.column("reason").to_pylist()
        return {code: codes.count(code) for code in sorted(set(codes))}


# --- look-ups built from the model once ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PathSet:
    """Paths of one element kind, as an Arrow value set for vectorised membership."""

    what: str
    values: pa.Array

    def index(self, column: pa.Array) -> pa.Array:
        return pc.index_in(column, value_set=self.values)


@dataclass(frozen=True, slots=True)
class _Tags:
    """Per-tag arrays in one order: path, scale and offset to the class unit, range, type."""

    paths: _PathSet
    scale: npt.NDArray[np.float64]
    offset: npt.NDArray[np.float64]
    low: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    integral: npt.NDArray[np.bool_]
    boolean: npt.NDArray[np.bool_]
    unit: tuple[str, ...]
    source_unit: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Lookups:
    tags: _Tags
    equipment: _PathSet
    stations: _PathSet
    meters: _PathSet
    sites: _PathSet
    elements: _PathSet
    products: _PathSet
    parts: _PathSet
    failure_modes: _PathSet  # "equipment path\x1ffailure mode id"


_CACHE: Final[weakref.WeakKeyDictionary[Model, _Lookups]] = weakref.WeakKeyDictionary()


def _path_set(what: str, paths: Sequence[str]) -> _PathSet:
    return _PathSet(what, pa.array(list(paths), type=pa.string()))


def _lookups(model: Model) -> _Lookups:
    cached = _CACHE.get(model)
    if cached is not None:
        return cached
    infos = list(model.tags.values())
    inf = math.inf

    def floats(values: Sequence[float]) -> npt.NDArray[np.float64]:
        return np.asarray(values, dtype=np.float64)

    tags = _Tags(
        paths=_path_set("tag", [t.path for t in infos]),
        scale=floats([t.scale for t in infos]),
        offset=floats([t.offset for t in infos]),
        low=floats([-inf if t.definition.min is None else t.definition.min for t in infos]),
        high=floats([inf if t.definition.max is None else t.definition.max for t in infos]),
        integral=np.asarray([t.definition.type.value == "int" for t in infos], dtype=np.bool_),
        boolean=np.asarray([t.definition.type.value == "bool" for t in infos], dtype=np.bool_),
        unit=tuple(t.definition.unit for t in infos),
        source_unit=tuple(t.source_unit for t in infos),
    )
    stations = {info.cell_path for info in model.equipment.values()}
    for site in model.plant.sites:
        for area in site.areas:
            for line in area.lines:
                for cell in line.cells:
                    stations.add(f"{model.root}/{site.id}/{area.id}/{line.id}/{cell.id}")
    modes = [
        f"{path}\x1f{mode.id}"
        for path, info in model.equipment.items()
        for mode in info.equipment_class.failure_modes
    ]
    lookups = _Lookups(
        tags=tags,
        equipment=_path_set("equipment", list(model.equipment)),
        stations=_path_set("station or equipment", sorted(stations | set(model.equipment))),
        meters=_path_set("meter", list(model.meters)),
        sites=_path_set("site", list(model.sites)),
        elements=_path_set("element", list(model.elements)),
        products=_path_set("product", list(model.products)),
        parts=_path_set("part", list(model.parts)),
        failure_modes=_path_set("failure mode", modes),
    )
    _CACHE[model] = lookups
    return lookups


# --- reading the batch -----------------------------------------------------------------------


def _combined(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return column


def _is_text(data_type: pa.DataType) -> bool:
    return bool(pa.types.is_string(data_type) or pa.types.is_large_string(data_type))


_TRUE_WORDS = pa.array(["true", "1", "yes", "on"])
_FALSE_WORDS = pa.array(["false", "0", "no", "off"])


def _lenient(column: pa.Array, target: pa.DataType) -> tuple[pa.Array, Mask] | None:
    """Cast row by row where rows can fail alone; return the result and the rows that failed."""
    failed: Any
    if _is_text(column.type) and (pa.types.is_floating(target) or pa.types.is_integer(target)):
        dtype = pl.Float64 if pa.types.is_floating(target) else pl.Int64
        series = pl.Series(values=column.cast(pa.large_string())).str.strip_chars()
        cast = series.cast(dtype, strict=False).to_arrow().cast(target)
        failed = pc.and_(pc.is_valid(column), pc.is_null(cast))
        return cast, _mask(failed)
    if _is_text(column.type) and pa.types.is_boolean(target):
        lowered = pc.utf8_lower(pc.utf8_trim_whitespace(column))
        truthy = pc.is_in(lowered, value_set=_TRUE_WORDS)
        falsy = pc.is_in(lowered, value_set=_FALSE_WORDS)
        known = pc.or_(truthy, falsy)
        cast = pc.if_else(known, truthy, pa.scalar(None, pa.bool_()))
        return cast, _mask(pc.and_(pc.is_valid(column), pc.invert(known)))
    if (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)) and (
        pa.types.is_integer(target)
    ):
        cast = pc.cast(column, target, safe=False)
        back = pc.cast(cast, column.type, safe=False)
        failed = pc.not_equal(back, column)
        if pa.types.is_floating(column.type):
            failed = pc.or_kleene(failed, pc.is_nan(column))
        failed = pc.and_(pc.is_valid(column), pc.fill_null(failed, fill_value=True))
        return pc.if_else(failed, pa.scalar(None, target), cast), _mask(failed)
    return None


def _cast(kind: RecordKind, name: str, column: pa.Array, target: pa.DataType) -> Any:
    """Return ``(array, failed rows or None)`` or a :class:`Problem` for the whole column."""
    if column.type.equals(target):
        return column, None
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
        if column.type.equals(target):
            return column, None
    if pa.types.is_timestamp(target) and pa.types.is_timestamp(column.type):
        if column.type.tz is None:
            return Problem(
                code="batch.naive_time",
                message=f"{kind.value} column {name!r} is {column.type} without a time zone",
                expected=f"{target} (UTC); a plant spans time zones, so andon does not guess",
            )
        return pc.cast(column, target, safe=False), None
    if pa.types.is_timestamp(target) and pa.types.is_integer(column.type):
        return column.cast(pa.int64()).cast(target), None
    try:
        return column.cast(target), None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        lenient = _lenient(column, target)
        if lenient is not None:
            return lenient
        return Problem(
            code="batch.wrong_type",
            message=f"{kind.value} column {name!r} is {column.type} and does not cast: {exc}",
            expected=str(target),
        )


def _mask(array: pa.Array | pa.ChunkedArray) -> Mask:
    """A NumPy boolean mask from an Arrow boolean array, nulls read as False."""
    filled = _combined(pc.fill_null(array, fill_value=False))
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.bool_)


# --- the rules -------------------------------------------------------------------------------

Detail = Callable[[npt.NDArray[np.intp]], list[str]]


@dataclass(slots=True)
class _Checks:
    """The rules applied to one batch, in priority order, each with a mask and an explanation."""

    n: int
    rules: list[tuple[Reason, Mask, Detail]] = field(default_factory=list)

    def add(self, reason: Reason, mask: Mask, detail: Detail) -> None:
        if mask.any():
            self.rules.append((reason, mask, detail))


_ORDER: Final = {reason: position for position, reason in enumerate(Reason)}

_ENUMS: Final[Mapping[RecordKind, Mapping[str, tuple[str, ...]]]] = {
    RecordKind.SAMPLE: {"quality": tuple(Quality)},
    RecordKind.STATE: {"state": tuple(EquipmentState)},
    RecordKind.GENEALOGY: {"relation": tuple(GenealogyRelation)},
    RecordKind.ORDER: {"event": tuple(OrderEvent)},
    RecordKind.MAINTENANCE: {"kind": tuple(MaintenanceKind), "event": tuple(MaintenanceEvent)},
}

_NON_NEGATIVE: Final[Mapping[RecordKind, tuple[str, ...]]] = {
    RecordKind.COUNT: ("good", "scrap", "rework"),
    RecordKind.ORDER: ("quantity",),
    RecordKind.INVENTORY: ("on_hand", "on_order"),
    RecordKind.ENERGY: ("kwh",),
    RecordKind.TARIFF: ("gco2e_per_kwh",),
}

_FINITE: Final[Mapping[RecordKind, tuple[str, ...]]] = {
    RecordKind.UNIT: ("value",),
    RecordKind.INSPECTION: ("value",),
    RecordKind.ENERGY: ("kwh", "interval_s"),
    RecordKind.TARIFF: ("price_per_kwh", "gco2e_per_kwh"),
}


def _texts(column: pa.Array, rows: npt.NDArray[np.intp]) -> list[Any]:
    return list(column.take(pa.array(rows)).to_pylist())


def _describe(column: pa.Array, template: str) -> Detail:
    """Explain each row by formatting ``template`` with the row's ``value``."""

    def detail(rows: npt.NDArray[np.intp]) -> list[str]:
        return [template.format(value=value) for value in _texts(column, rows)]

    return detail


def _constant(text: str) -> Detail:
    def detail(rows: npt.NDArray[np.intp]) -> list[str]:
        return [text] * len(rows)

    return detail


def _path_rules(
    kind: RecordKind, columns: Mapping[str, pa.Array], lookups: _Lookups, checks: _Checks
) -> pa.Array | None:
    """Add unknown-path rules; return the tag index of each sample row (null when unknown)."""
    sets: dict[RecordKind, list[tuple[str, _PathSet, bool]]] = {
        RecordKind.SAMPLE: [("path", lookups.tags.paths, True)],
        RecordKind.STATE: [("path", lookups.equipment, True)],
        RecordKind.COUNT: [("path", lookups.equipment, True), ("product", lookups.products, True)],
        RecordKind.UNIT: [("path", lookups.stations, True), ("product", lookups.products, True)],
        RecordKind.INSPECTION: [("path", lookups.stations, True)],
        RecordKind.ORDER: [("product", lookups.products, True), ("path", lookups.elements, False)],
        RecordKind.MAINTENANCE: [("path", lookups.equipment, True)],
        RecordKind.INVENTORY: [("part", lookups.parts, True), ("site", lookups.sites, True)],
        RecordKind.ENERGY: [("path", lookups.meters, True)],
        RecordKind.TARIFF: [("site", lookups.sites, True)],
    }
    tag_index: pa.Array | None = None
    for name, path_set, required in sets.get(kind, []):
        column = columns[name]
        index = path_set.index(column)
        if kind is RecordKind.SAMPLE:
            tag_index = index
        unknown = pc.is_null(index)
        if not required:
            unknown = pc.and_(unknown, pc.is_valid(column))
        checks.add(
            Reason.UNKNOWN_PATH,
            _mask(unknown),
            _describe(column, f"{path_set.what} {{value!r}} is not in the plant model"),
        )
    if kind is RecordKind.MAINTENANCE:
        mode = columns["failure_mode"]
        key = pc.binary_join_element_wise(columns["path"], mode, "\x1f")
        unknown_mode = pc.and_(
            pc.and_(pc.is_valid(mode), pc.is_null(lookups.failure_modes.index(key))),
            pc.is_valid(lookups.equipment.index(columns["path"])),
        )
        checks.add(
            Reason.UNKNOWN_PATH,
            _mask(unknown_mode),
            lambda rows: [
                f"failure mode {m!r} is not a failure mode of the class of {p!r}"
                for p, m in zip(_texts(columns["path"], rows), _texts(mode, rows), strict=True)
            ],
        )
    return tag_index


def _sample_values(
    columns: Mapping[str, pa.Array],
    unit_column: pa.Array | None,
    tag_index: pa.Array,
    tags: _Tags,
    checks: _Checks,
    *,
    in_class_units: bool,
) -> pa.Array:
    """Convert sample values to the class unit, add unit and range rules, return the values."""
    known = _mask(pc.is_valid(tag_index))
    index = np.asarray(pc.fill_null(tag_index, 0).to_numpy(zero_copy_only=False), dtype=np.intp)
    value_column = columns["value"]
    values = np.asarray(value_column.to_numpy(zero_copy_only=False), dtype=np.float64)
    present = _mask(pc.is_valid(value_column))
    if len(tags.scale) and not in_class_units:
        scale, offset = tags.scale[index], tags.offset[index]
    else:
        scale = np.ones(len(values))
        offset = np.zeros(len(values))
    if unit_column is not None:
        scale, offset = scale.copy(), offset.copy()
        mismatch = np.zeros(len(values), dtype=np.bool_)
        units = _combined(unit_column.cast(pa.string()))
        given = _mask(pc.is_valid(units)) & known
        if given.any():
            tag_units = pa.array(tags.unit, type=pa.string()).take(pa.array(index))
            pair = pc.binary_join_element_wise(units, tag_units, "\x1f")
            encoded = _combined(pc.dictionary_encode(pair))
            codes = np.asarray(
                pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False), dtype=np.intp
            )
            for code, text in enumerate(encoded.dictionary.to_pylist()):
                rows = given & (codes == code)
                if not rows.any():
                    continue
                source, target = str(text).split("\x1f", 1)
                try:
                    pair_scale, pair_offset = conversion(source, target)
                except UnitError:
                    mismatch |= rows
                    continue
                scale[rows], offset[rows] = pair_scale, pair_offset
        checks.add(
            Reason.UNIT_MISMATCH,
            mismatch,
            lambda rows: [
                f"unit {u!r} does not convert to {tags.unit[tag]!r}, the unit of the tag"
                for tag, u in zip(index[rows].tolist(), _texts(units, rows), strict=True)
            ],
        )
    with np.errstate(invalid="ignore", over="ignore"):
        converted = values * scale + offset
        low, high = tags.low[index], tags.high[index]
        if not len(tags.scale):
            low = np.full(len(values), -math.inf)
            high = np.full(len(values), math.inf)
        bad = present & known & ~((converted >= low) & (converted <= high) & np.isfinite(converted))
        integral = tags.integral[index] if len(tags.scale) else np.zeros(len(values), np.bool_)
        boolean = tags.boolean[index] if len(tags.scale) else np.zeros(len(values), np.bool_)
        not_whole = present & known & integral & np.isfinite(values) & (values != np.round(values))
        not_bool = present & known & boolean & ~((values == 0) | (values == 1))
    checks.add(
        Reason.WRONG_TYPE,
        not_whole | not_bool,
        lambda rows: [
            f"value {value!r} of a {'bool' if flag else 'int'} tag "
            f"is not {'0 or 1' if flag else 'a whole number'}"
            for value, flag in zip(
                values[rows].tolist(), tags.boolean[index[rows]].tolist(), strict=True
            )
        ],
    )
    checks.add(
        Reason.OUT_OF_RANGE,
        bad,
        lambda rows: [
            f"value {value!r} {tags.unit[tag]} is outside the tag's valid range [{low}, {high}]"
            for value, tag, low, high in zip(
                converted[rows].tolist(),
                index[rows].tolist(),
                tags.low[index[rows]].tolist(),
                tags.high[index[rows]].tolist(),
                strict=True,
            )
        ],
    )
    return pa.array(converted, type=pa.float64(), mask=~present)


def _duplicates(
    kind: RecordKind,
    columns: Mapping[str, pa.Array],
    candidates: Mask,
    codes: Mapping[str, npt.NDArray[np.intp]],
) -> Mask:
    """Return rows whose natural key repeats an earlier candidate row (first one kept).

    The key columns are mixed into one 64-bit hash per row; only when two hashes agree
    (a duplicate, or rarely a collision) are the keys compared exactly. ``codes`` gives
    integer codes already known for a column (a path's index in the model).
    """
    rows = np.nonzero(candidates)[0]
    duplicates = np.zeros(len(candidates), dtype=np.bool_)
    if len(rows) < 2:
        return duplicates
    every = len(rows) == len(candidates)
    mixed = np.zeros(len(rows), dtype=np.uint64)
    for name in NATURAL_KEYS[kind]:
        column = columns[name]
        if name in codes:
            numbers = codes[name].astype(np.int64)
        elif pa.types.is_timestamp(column.type) or pa.types.is_integer(column.type):
            part = column.cast(pa.int64()) if pa.types.is_timestamp(column.type) else column
            numbers = np.asarray(part.to_numpy(zero_copy_only=False), dtype=np.int64)
        else:
            encoded = _combined(pc.dictionary_encode(column))
            numbers = np.asarray(
                pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64
            )
        mixed ^= (numbers if every else numbers[rows]).view(np.uint64)
        mixed *= np.uint64(0x9E3779B97F4A7C15)
        mixed ^= mixed >> np.uint64(29)
    ordered = np.sort(mixed)
    if not (ordered[1:] == ordered[:-1]).any():
        return duplicates  # distinct hashes: distinct keys, no exact comparison needed
    # compare exactly only the rows whose hash is shared (duplicates, or a rare collision)
    _, first_of_hash, hash_count = np.unique(mixed, return_inverse=True, return_counts=True)
    shared = rows[hash_count[first_of_hash] > 1]
    take = pa.array(shared)
    frame = pl.from_arrow(pa.table({n: columns[n].take(take) for n in NATURAL_KEYS[kind]}))
    assert isinstance(frame, pl.DataFrame)
    first = frame.select(pl.struct(pl.all()).is_first_distinct()).to_series().to_numpy()
    duplicates[shared[~first]] = True
    return duplicates


# --- quarantine rows -------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _plain(table: pa.Table) -> bool:
    """Whether Polars can write every row of ``table`` as JSON without losing a value."""
    for column in table.columns:
        t = column.type
        if pa.types.is_floating(t):
            values = np.asarray(column.to_numpy(), dtype=np.float64)
            if not np.isfinite(values[~np.isnan(values)]).all() or (
                np.isnan(values).sum() != column.null_count
            ):
                return False
        elif not (
            pa.types.is_integer(t)
            or pa.types.is_boolean(t)
            or _is_text(t)
            or (pa.types.is_timestamp(t) and t.tz is not None)
        ):
            return False
    return True


def _record_json(original: pa.Table, rows: npt.NDArray[np.intp]) -> list[str]:
    """Return each row as a JSON object, every column kept (NaN and infinities as text)."""
    subset = original.take(pa.array(rows))
    if _plain(subset):
        frame = pl.from_arrow(subset)
        assert isinstance(frame, pl.DataFrame)
        encoded = frame.select(pl.struct(pl.all()).struct.json_encode()).to_series()
        return [str(text) for text in encoded.to_list()]
    return [
        json.dumps({k: _json_value(v) for k, v in row.items()}, default=str)
        for row in subset.to_pylist()
    ]


def _optional_column(
    columns: Mapping[str, pa.Array], name: str, rows: npt.NDArray[np.intp], target: pa.DataType
) -> pa.Array:
    column = columns.get(name)
    if column is None or not column.type.equals(target):
        return pa.nulls(len(rows), target)
    return column.take(pa.array(rows))


def _quarantine(
    kind: RecordKind,
    original: pa.Table,
    columns: Mapping[str, pa.Array],
    reasons: list[tuple[Reason, npt.NDArray[np.intp], list[str]]],
    received_at_us: int,
) -> pa.Table:
    if not reasons:
        return QUARANTINE_SCHEMA.empty_table()
    rows = np.concatenate([r for _, r, _ in reasons])
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    codes = np.concatenate(
        [np.full(len(r), reason.value, dtype=object) for reason, r, _ in reasons]
    )
    details = [text for _, _, texts in reasons for text in texts]
    path_name = "site" if kind in (RecordKind.INVENTORY, RecordKind.TARIFF) else "path"
    arrays = [
        pa.array(np.full(len(rows), received_at_us, dtype=np.int64)).cast(TS_TYPE),
        pa.array([kind.value] * len(rows), type=pa.string()),
        _optional_column(columns, "source", rows, pa.string()),
        _optional_column(columns, "ts", rows, TS_TYPE),
        _optional_column(columns, path_name, rows, pa.string()),
        pa.array(codes[order].tolist(), type=pa.string()),
        pa.array([details[i] for i in order], type=pa.string()),
        pa.array(_record_json(original, rows), type=pa.string()),
    ]
    return pa.Table.from_arrays(arrays, schema=QUARANTINE_SCHEMA)


# --- the entry point -------------------------------------------------------------------------


def _read(kind: RecordKind, table: pa.Table, checks: _Checks) -> dict[str, pa.Array]:
    """Return the kind's columns cast to its schema; add wrong-type rules for rows that fail."""
    schema = schema_of(kind)
    problems: list[Problem] = []
    columns: dict[str, pa.Array] = {}
    for target in schema:
        if target.name not in table.column_names:
            if target.nullable:
                columns[target.name] = pa.nulls(table.num_rows, target.type)
                continue
            problems.append(
                Problem(
                    code="batch.missing_column",
                    message=f"{kind.value} batch has no column {target.name!r}",
                    expected=f"a column {target.name!r} of type {target.type}",
                )
            )
            continue
        raw = _combined(table.column(target.name))
        outcome = _cast(kind, target.name, raw, target.type)
        if isinstance(outcome, Problem):
            problems.append(outcome)
            continue
        array, failed = outcome
        columns[target.name] = array
        if failed is not None:
            checks.add(
                Reason.WRONG_TYPE,
                failed,
                _describe(raw, f"column {target.name!r}: {{value!r}} is not a {target.type}"),
            )
        if not target.nullable and array.null_count:
            checks.add(
                Reason.WRONG_TYPE,
                _mask(pc.is_null(array)) & (~failed if failed is not None else True),
                _constant(f"required column {target.name!r} is empty"),
            )
    if problems:
        msg = f"a {kind.value} batch cannot be read"
        raise ContractError(msg, problems)
    return columns


def check(
    kind: RecordKind,
    table: pa.Table,
    model: Model,
    *,
    now_us: int | None = None,
    future_bound_s: float = 300.0,
    received_at_us: int | None = None,
) -> CheckResult:
    """Split a batch of one record kind into good rows and quarantined rows.

    ``good`` has the kind's exact schema (``andon.records``), sample values converted to
    their tag's class unit (the schema metadata ``andon.units: class`` says so, and a later
    check of that table does not convert again). Extra columns are dropped, except that a
    sample batch may carry a ``unit`` column naming the unit of each value. ``quarantined`` follows
    ``QUARANTINE_SCHEMA``. ``now_us`` (UTC microseconds, default: the clock) with
    ``future_bound_s`` bounds how far ahead a timestamp may be; ``received_at_us`` stamps the
    quarantined rows (default: ``now_us``).

    Raises :class:`~andon.errors.ContractError` when the batch cannot be read at all.
    """
    kind = RecordKind(kind)
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    if now_us is None:
        now_us = time.time_ns() // 1000
    if received_at_us is None:
        received_at_us = now_us
    n = table.num_rows
    checks = _Checks(n)
    columns = _read(kind, table, checks)
    lookups = _lookups(model)

    for name, allowed in _ENUMS.get(kind, {}).items():
        column = columns[name]
        bad = pc.and_(pc.is_valid(column), pc.invert(pc.is_in(column, value_set=pa.array(allowed))))
        checks.add(
            Reason.BAD_ENUM,
            _mask(bad),
            _describe(column, f"{name} {{value!r}} is not one of {', '.join(allowed)}"),
        )

    tag_index = _path_rules(kind, columns, lookups, checks)
    codes: dict[str, npt.NDArray[np.intp]] = {}

    if kind is RecordKind.SAMPLE and tag_index is not None:
        unit_column = _combined(table.column("unit")) if "unit" in table.column_names else None
        columns["value"] = _sample_values(
            columns,
            unit_column,
            tag_index,
            lookups.tags,
            checks,
            in_class_units=(table.schema.metadata or {}).get(_UNITS_KEY) == _CLASS_UNITS,
        )
        codes["path"] = np.asarray(
            pc.fill_null(tag_index, -1).to_numpy(zero_copy_only=False), dtype=np.intp
        )

    ts_us = np.asarray(
        pc.fill_null(columns["ts"].cast(pa.int64()), 0).to_numpy(zero_copy_only=False),
        dtype=np.int64,
    )
    horizon = now_us + round(future_bound_s * 1_000_000)
    checks.add(
        Reason.FUTURE,
        ts_us > horizon,
        lambda rows: [
            f"ts is {(ts_us[r] - now_us) / 1e6:.0f} s ahead of now, beyond the "
            f"{future_bound_s:g} s bound"
            for r in rows
        ],
    )

    for name in _FINITE.get(kind, ()):
        column = columns[name]
        finite = np.isfinite(np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64))
        checks.add(
            Reason.OUT_OF_RANGE,
            _mask(pc.is_valid(column)) & ~finite,
            _describe(column, f"{name} {{value!r}} is not a finite number"),
        )
    for name in _NON_NEGATIVE.get(kind, ()):
        column = columns[name]
        checks.add(
            Reason.OUT_OF_RANGE,
            _mask(pc.less(column, 0)),
            _describe(column, f"{name} {{value!r}} is negative (expected >= 0)"),
        )
    if kind is RecordKind.ENERGY:
        column = columns["interval_s"]
        checks.add(
            Reason.OUT_OF_RANGE,
            _mask(pc.less_equal(column, 0)),
            _describe(column, "interval_s {value!r} is not positive"),
        )

    # each row keeps the first reason in Reason's order; rules of one reason keep their order
    detail_of: list[tuple[Reason, Mask, Detail]] = sorted(
        checks.rules, key=lambda rule: _ORDER[rule[0]]
    )
    winner = np.full(n, -1, dtype=np.int32)
    for position, (_, mask, _) in enumerate(detail_of):
        hit = mask & (winner < 0)
        winner[hit] = position
    good = winner < 0
    duplicate = _duplicates(kind, columns, good, codes)
    if duplicate.any():
        detail_of.append(
            (
                Reason.DUPLICATE,
                duplicate,
                _constant(
                    "an earlier row of the batch has the same natural key ("
                    + ", ".join(NATURAL_KEYS[kind])
                    + ")"
                ),
            )
        )
        winner[duplicate] = len(detail_of) - 1
        good &= ~duplicate

    reasons: list[tuple[Reason, npt.NDArray[np.intp], list[str]]] = []
    for position, (reason, _, detail) in enumerate(detail_of):
        rows = np.nonzero(winner == position)[0]
        if len(rows):
            reasons.append((reason, rows, detail(rows)))

    schema = schema_of(kind)
    if kind is RecordKind.SAMPLE:
        schema = schema.with_metadata({**(schema.metadata or {}), _UNITS_KEY: _CLASS_UNITS})
    good_table = pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)
    if not good.all():
        good_table = good_table.filter(pa.array(good))
    quarantined = _quarantine(kind, table, columns, reasons, received_at_us)
    return CheckResult(kind=kind, good=good_table, quarantined=quarantined)


def in_class_units(table: pa.Table, model: Model) -> pa.Table:
    """Return a sample batch with every value in its tag's class unit.

    A batch as a plant emits it holds each value in its equipment's own unit (``psi``,
    ``degF``); the store holds class units, and so must anything that compares one machine
    with another before the store (a baseline reading the simulator's batches). The values
    of known tags are converted with the same scale and offset as :func:`check` uses;
    unknown tags and the other columns are kept as they are, and nothing is quarantined. A
    batch already in class units (``check``'s output) is returned unchanged.

    >>> from andon.model import load_model
    >>> from andon.records import samples
    >>> model = load_model("examples/discrete")
    >>> tag = "acme/brno/machining/m1/milling/mill1/spindle_temperature"  # reported in degF
    >>> converted = in_class_units(samples(ts=[0], path=[tag], value=[212.0]), model)
    >>> round(converted["value"][0].as_py(), 6)
    100.0
    """
    if (table.schema.metadata or {}).get(_UNITS_KEY) == _CLASS_UNITS or table.num_rows == 0:
        return table
    tags = _lookups(model).tags
    index = tags.paths.index(_combined(table.column("path")))
    known = _mask(pc.is_valid(index))
    rows = np.asarray(pc.fill_null(index, 0).to_numpy(zero_copy_only=False), dtype=np.intp)
    column = _combined(table.column("value"))
    values = np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
    scale = np.where(known, tags.scale[rows] if len(tags.scale) else 1.0, 1.0)
    offset = np.where(known, tags.offset[rows] if len(tags.offset) else 0.0, 0.0)
    converted = pa.array(values * scale + offset, pa.float64(), mask=~_mask(pc.is_valid(column)))
    result = table.set_column(table.schema.get_field_index("value"), "value", converted)
    return result.replace_schema_metadata(
        {**(table.schema.metadata or {}), _UNITS_KEY: _CLASS_UNITS}
    )
