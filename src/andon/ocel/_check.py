"""Check raw OCEL tables and assemble the log: every problem at once, nothing half imported.

A reader only moves text into columns (:class:`RawLog`): ids, types, times and values as the
file wrote them, and each row's location (``_loc``, an element path, and ``_line`` where the
format has lines). :func:`assemble` then checks every rule of OCEL 2.0 on the columns (ids
unique, every relation's ends exist, every type declared, every time an instant, every value
of its declared type), and either returns the log with canonical values or raises one
:class:`~andon.errors.OcelError` listing every problem with its location.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, cast

import polars as pl

from andon.errors import OcelError, Problem
from andon.ocel._model import ATTRIBUTE_TYPES, SCHEMAS, TIME, AttributeType, OcelLog, TypeDefs

__all__ = ["MAX_PER_CHECK", "RawLog", "TypeDecl", "assemble", "parse_times", "raw_frame"]

MAX_PER_CHECK: Final = 1000
"""Problems listed per kind of fault; past it one more problem says how many were left out."""

_OFFSET_FORMATS: Final = ("%+", "%Y-%m-%d %H:%M:%S%.f%:z")
_NAIVE_FORMATS: Final = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d")
CANONICAL_TIME: Final = "%Y-%m-%dT%H:%M:%S%.fZ"


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeDecl:
    """One event type or object type as a file declared it, and where."""

    name: object
    attributes: Sequence[tuple[object, object]]
    loc: str
    line: int | None = None


@dataclass(kw_only=True)
class RawLog:
    """The text of a log as a reader found it, before any check.

    Each frame has the columns of :data:`~andon.ocel._model.SCHEMAS` as strings (times and
    values as written) plus ``_loc`` (String) and ``_line`` (Int64) columns.
    """

    event_types: list[TypeDecl] = field(default_factory=list)
    object_types: list[TypeDecl] = field(default_factory=list)
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    """Problems the reader found itself (structure, syntax), reported with the rest."""


def raw_frame(name: str, columns: Mapping[str, Sequence[object]] | None = None) -> pl.DataFrame:
    """Return a raw frame for table ``name`` from lists of column values (all text)."""
    schema: dict[str, pl.DataType] = {column: pl.String() for column in SCHEMAS[name]}
    schema["_loc"] = pl.String()
    schema["_line"] = pl.Int64()
    if columns is None:
        return pl.DataFrame(schema=schema)
    data = {column: columns.get(column) for column in schema}
    height = max((len(v) for v in data.values() if v is not None), default=0)
    full = {k: (v if v is not None else [None] * height) for k, v in data.items()}
    return pl.DataFrame(full, schema=schema, strict=False)


def parse_times(expr: pl.Expr, *, naive_is_utc: bool) -> pl.Expr:
    """Return ``expr`` (ISO 8601 text) as UTC microseconds, null where it does not parse.

    A time with an offset or ``Z`` is converted to UTC. A time without one is UTC when
    ``naive_is_utc``: the SQLite format's ``TIMESTAMP`` text has no offset, and the published
    OCEL 2.0 XML logs write UTC times without one (their JSON twins write the same instants
    with ``Z``).
    """
    formats = _OFFSET_FORMATS + (_NAIVE_FORMATS if naive_is_utc else ())
    parses = [
        expr.str.to_datetime(f, time_unit="us", time_zone="UTC", strict=False) for f in formats
    ]
    return pl.coalesce(parses)


class _Problems:
    def __init__(self, file: str | None, initial: Iterable[Problem]) -> None:
        self.file = file
        self.items: list[Problem] = list(initial)

    def add(
        self,
        code: str,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        expected: str | None = None,
    ) -> None:
        self.items.append(
            Problem(
                code=code,
                message=message,
                file=self.file,
                line=line,
                path=path,
                expected=expected,
            )
        )

    def rows(
        self,
        frame: pl.DataFrame,
        code: str,
        message: str,
        *,
        expected: str | None = None,
    ) -> None:
        """One problem per row of ``frame``; ``message`` is formatted with the row."""
        for row in frame.head(MAX_PER_CHECK).iter_rows(named=True):
            self.add(
                code,
                message.format(**row),
                path=row["_loc"],
                line=row["_line"],
                expected=expected,
            )
        if frame.height > MAX_PER_CHECK:
            left = frame.height - MAX_PER_CHECK
            self.add(code, f"{left} more problem(s) of this kind not listed")


def _check_types(
    decls: Sequence[TypeDecl], kind: str, report: _Problems
) -> dict[str, dict[str, AttributeType]]:
    types: dict[str, dict[str, AttributeType]] = {}
    for decl in decls:
        if not isinstance(decl.name, str):
            report.add(
                "ocel.missing_field",
                f"an {kind} type has no name",
                path=decl.loc,
                line=decl.line,
                expected="a string",
            )
            continue
        if decl.name in types:
            report.add(
                "ocel.duplicate_type",
                f"{kind} type {decl.name!r} is declared twice",
                path=decl.loc,
                line=decl.line,
            )
            continue
        attributes: dict[str, AttributeType] = {}
        for name, attribute_type in decl.attributes:
            if not isinstance(name, str):
                report.add(
                    "ocel.missing_field",
                    f"an attribute of {kind} type {decl.name!r} has no name",
                    path=decl.loc,
                    line=decl.line,
                )
            elif name in attributes:
                report.add(
                    "ocel.duplicate_attribute",
                    f"{kind} type {decl.name!r} declares attribute {name!r} twice",
                    path=decl.loc,
                    line=decl.line,
                )
            elif attribute_type not in ATTRIBUTE_TYPES:
                report.add(
                    "ocel.bad_attribute_type",
                    f"attribute {name!r} of {kind} type {decl.name!r} has type {attribute_type!r}",
                    path=decl.loc,
                    line=decl.line,
                    expected=" or ".join(ATTRIBUTE_TYPES),
                )
            else:
                attributes[name] = cast("AttributeType", attribute_type)
        types[decl.name] = attributes
    return types


def _declared(types: TypeDefs) -> pl.DataFrame:
    rows = [(t, n, k) for t, attrs in types.items() for n, k in attrs.items()]
    return pl.DataFrame(
        rows, schema={"type": pl.String, "name": pl.String, "kind": pl.String}, orient="row"
    )


def _canonical_value(*, naive_is_utc: bool) -> pl.Expr:
    """The canonical text of ``value`` for its declared ``kind``; null where it does not fit."""
    value = pl.col("value")
    as_float = value.str.strip_chars().cast(pl.Float64, strict=False)
    lowered = value.str.strip_chars().str.to_lowercase()
    return (
        pl.when(pl.col("kind") == "string")
        .then(value)
        .when(pl.col("kind") == "float")
        .then(pl.when(as_float.is_finite()).then(as_float.cast(pl.String)))
        .when(pl.col("kind") == "integer")
        .then(value.str.strip_chars().cast(pl.Int64, strict=False).cast(pl.String))
        .when(pl.col("kind") == "boolean")
        .then(
            pl.when(lowered.is_in(["true", "1"]))
            .then(pl.lit("true"))
            .when(lowered.is_in(["false", "0"]))
            .then(pl.lit("false"))
        )
        .when(pl.col("kind") == "time")
        .then(parse_times(value, naive_is_utc=naive_is_utc).dt.strftime(CANONICAL_TIME))
    )


def _missing(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    return frame.filter(pl.col(column).is_null() | (pl.col(column) == ""))


def _later_duplicates(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    valid = frame.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
    return valid.filter(pl.struct(keys).is_first_distinct().not_())


def assemble(raw: RawLog, *, file: str | None = None, naive_is_utc: bool = True) -> OcelLog:
    """Check ``raw`` and return the log, or raise :class:`OcelError` with every problem."""
    report = _Problems(file, raw.problems)
    if raw.problems and not raw.frames:  # not a log at all: nothing more to check
        what = f"{file}" if file else "the input"
        raise OcelError(f"{what} is not an OCEL 2.0 log", report.items)
    event_types = _check_types(raw.event_types, "event", report)
    object_types = _check_types(raw.object_types, "object", report)
    frames = {name: raw.frames.get(name, raw_frame(name)) for name in SCHEMAS}

    events = frames["events"].with_columns(
        parse_times(pl.col("time"), naive_is_utc=naive_is_utc).alias("_time")
    )
    objects = frames["objects"]
    for label, frame in (("event", events), ("object", objects)):
        report.rows(_missing(frame, "id"), "ocel.missing_field", f"an {label} has no id")
        report.rows(
            _later_duplicates(frame, ["id"]),
            "ocel.duplicate_id",
            f"{label} id {{id!r}} is used again",
        )
        known = list(event_types if label == "event" else object_types)
        report.rows(
            frame.filter(pl.col("type").is_null() | pl.col("type").is_in(known).not_()),
            "ocel.unknown_type",
            f"{label} {{id!r}} has type {{type!r}}, which the log does not declare",
        )
    report.rows(
        events.filter(pl.col("time").is_null()), "ocel.missing_field", "event {id!r} has no time"
    )
    report.rows(
        events.filter(pl.col("time").is_not_null() & pl.col("_time").is_null()),
        "ocel.bad_time",
        "event {id!r} has time {time!r}, which is not an ISO 8601 instant",
        expected="an ISO 8601 time, as 2023-04-05T15:28:14Z",
    )
    event_ids = events.select("id").drop_nulls().unique()
    object_ids = objects.select("id").drop_nulls().unique()

    e2o, o2o = frames["e2o"], frames["o2o"]
    for label, frame, ends in (
        (
            "event-object relation",
            e2o,
            (("event_id", "event", event_ids), ("object_id", "object", object_ids)),
        ),
        (
            "object-object relation",
            o2o,
            (("source_id", "object", object_ids), ("target_id", "object", object_ids)),
        ),
    ):
        for column, kind, ids in ends:
            report.rows(
                _missing(frame, column), "ocel.missing_field", f"an {label} has no {kind} id"
            )
            dangling = frame.filter(pl.col(column).is_not_null() & (pl.col(column) != "")).join(
                ids, left_on=column, right_on="id", how="anti"
            )
            report.rows(
                dangling,
                f"ocel.missing_{kind}",
                f"an {label} refers to {kind} {{{column}!r}}, which the log does not have",
            )
        report.rows(
            frame.filter(pl.col("qualifier").is_null()),
            "ocel.missing_field",
            f"an {label} has no qualifier",
        )
        keys = list(SCHEMAS["e2o" if label.startswith("event") else "o2o"])
        report.rows(
            _later_duplicates(frame, keys),
            "ocel.duplicate_relation",
            f"the {label} {{{keys[0]}!r}} to {{{keys[1]}!r}} as {{qualifier!r}} is given again",
        )

    attributes = {}
    for label, owner, given, owners, types in (
        ("event", "event_id", frames["event_attributes"], events, event_types),
        ("object", "object_id", frames["object_attributes"], objects, object_types),
    ):
        declared = _declared(types)
        frame = given.join(
            owners.select("id", pl.col("type").alias("_owner_type")).unique("id"),
            left_on=owner,
            right_on="id",
            how="left",
        ).join(
            declared,
            left_on=["_owner_type", "name"],
            right_on=["type", "name"],
            how="left",
        )
        if label == "object":
            frame = frame.with_columns(
                parse_times(pl.col("time"), naive_is_utc=naive_is_utc).alias("_time")
            )
        frame = frame.with_columns(_canonical_value(naive_is_utc=naive_is_utc).alias("_value"))
        known_owner = pl.col("_owner_type").is_not_null()
        report.rows(
            frame.filter(pl.col(owner).is_not_null() & known_owner.not_()).join(
                owners.select("id"), left_on=owner, right_on="id", how="anti"
            ),
            f"ocel.missing_{label}",
            f"an attribute value belongs to {label} {{{owner}!r}}, which the log does not have",
        )
        report.rows(
            frame.filter(pl.col("name").is_null()),
            "ocel.missing_field",
            f"an attribute of {label} {{{owner}!r}} has no name",
        )
        report.rows(
            frame.filter(
                known_owner & pl.col("name").is_not_null() & pl.col("kind").is_null()
            ).filter(pl.col("_owner_type").is_in(list(types))),
            "ocel.undeclared_attribute",
            f"{label} {{{owner}!r}} has attribute {{name!r}}, which its type "
            "{_owner_type!r} does not declare",
        )
        report.rows(
            frame.filter(pl.col("kind").is_not_null() & pl.col("value").is_null()),
            "ocel.missing_field",
            f"attribute {{name!r}} of {label} {{{owner}!r}} has no value",
        )
        report.rows(
            frame.filter(
                pl.col("kind").is_not_null()
                & pl.col("value").is_not_null()
                & pl.col("_value").is_null()
            ),
            "ocel.wrong_type",
            f"attribute {{name!r}} of {label} {{{owner}!r}} is {{value!r}}, not a {{kind}}",
        )
        if label == "object":
            report.rows(
                frame.filter(pl.col("time").is_null()),
                "ocel.missing_field",
                "attribute {name!r} of object {object_id!r} has no time",
            )
            report.rows(
                frame.filter(pl.col("time").is_not_null() & pl.col("_time").is_null()),
                "ocel.bad_time",
                "attribute {name!r} of object {object_id!r} has time {time!r}, "
                "which is not an ISO 8601 instant",
                expected="an ISO 8601 time, as 2023-04-05T15:28:14Z",
            )
        else:
            report.rows(
                _later_duplicates(frame, ["event_id", "name"]),
                "ocel.duplicate_attribute",
                "event {event_id!r} has attribute {name!r} twice",
            )
        attributes[label] = frame

    if report.items:
        what = f"{file}" if file else "the log"
        raise OcelError(f"{what} is not a valid OCEL 2.0 log", report.items)

    return OcelLog(
        event_types=event_types,
        object_types=object_types,
        events=events.select("id", "type", pl.col("_time").alias("time")),
        objects=objects.select("id", "type"),
        e2o=e2o.select(*SCHEMAS["e2o"]),
        o2o=o2o.select(*SCHEMAS["o2o"]),
        event_attributes=attributes["event"].select(
            "event_id", "name", pl.col("_value").alias("value")
        ),
        object_attributes=attributes["object"].select(
            "object_id",
            "name",
            pl.col("_time").cast(TIME).alias("time"),
            pl.col("_value").alias("value"),
        ),
    )
