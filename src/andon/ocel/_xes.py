"""Read a traditional event log in XES (IEEE 1849-2016) as an object-centric log of one type.

Each trace becomes an object of type ``case`` (its id the trace's ``concept:name``, else
``case-<n>`` in file order); each event becomes an event whose type is its
``concept:name`` and whose time is its ``time:timestamp``, related to its case with the
qualifier ``case``. So a single-case log is the special case of OCEL 2.0 in which every
event has one object, and the object-centric directly-follows graph of type ``case`` is the
classic directly-follows graph. Only the control flow is kept (activity, time, case): the
other attributes of the XES extensions are not read.

The reader is a streaming expat parser; a document type declaration is refused, as in the
OCEL 2.0 XML reader. A file that is not XES, an event without a name or a time, or a time
that does not parse: every problem with its element path, nothing half read.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Final
from xml.parsers import expat

import polars as pl

from andon.errors import OcelError, Problem
from andon.ocel._check import RawLog, TypeDecl, assemble, raw_frame
from andon.ocel._model import OcelLog

__all__ = ["read_xes"]

_CASE: Final = "case"
_ATTRIBUTE_TAGS: Final = frozenset({"string", "date", "int", "float", "boolean", "id"})


class _RefusedError(Exception):
    pass


class _XesReader:
    def __init__(self) -> None:
        self.parser = expat.ParserCreate()
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.StartDoctypeDeclHandler = self.refuse
        self.parser.EntityDeclHandler = self.refuse
        self.depth_tags: list[str] = []
        self.saw_log = False
        self.trace = -1
        self.case_names: dict[int, str] = {}
        self.event_trace: list[int] = []
        self.event_name: list[str | None] = []
        self.event_time: list[str | None] = []
        self.event_line: list[int] = []

    def refuse(self, *_: object) -> None:
        raise _RefusedError

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        parent = self.depth_tags[-1] if self.depth_tags else None
        self.depth_tags.append(tag)
        if tag == "log" and parent is None:
            self.saw_log = True
        elif tag == "trace" and parent == "log":
            self.trace += 1
        elif tag == "event" and parent == "trace":
            self.event_trace.append(self.trace)
            self.event_name.append(None)
            self.event_time.append(None)
            self.event_line.append(self.parser.CurrentLineNumber)
        elif tag in _ATTRIBUTE_TAGS and parent in ("event", "trace"):
            self.attribute(parent, attrs.get("key"), attrs.get("value"))

    def attribute(self, owner: str, key: str | None, value: str | None) -> None:
        if owner == "trace":
            if key == "concept:name" and value is not None:
                self.case_names[self.trace] = value
            return
        if key == "concept:name":
            self.event_name[-1] = value
        elif key == "time:timestamp":
            self.event_time[-1] = value

    def end(self, _tag: str) -> None:
        self.depth_tags.pop()


def _problem(code: str, message: str, name: str, line: int | None = None) -> OcelError:
    return OcelError(
        f"{name} is not an XES event log",
        [Problem(code=code, message=message, file=name, line=line)],
    )


def _parse(data: bytes, name: str) -> _XesReader:
    reader = _XesReader()
    try:
        reader.parser.Parse(data, True)  # noqa: FBT003 - positional only
    except _RefusedError as exc:
        raise _problem(
            "ocel.not_xml",
            "a document type declaration is refused",
            name,
            reader.parser.CurrentLineNumber,
        ) from exc
    except expat.ExpatError as exc:
        raise _problem("ocel.not_xml", str(exc), name, exc.lineno) from exc
    if not reader.saw_log:
        raise _problem("ocel.not_ocel", "the document element is not <log>", name)
    return reader


def read_xes(path: str | os.PathLike[str]) -> OcelLog:
    """Read the XES log at ``path`` (gzipped or not) as an OCEL 2.0 log of cases."""
    name = os.fspath(path)
    try:
        data = Path(path).read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
    except (OSError, EOFError) as exc:
        raise _problem("ocel.unreadable", str(exc), name) from exc
    reader = _parse(data, name)
    traces = pl.DataFrame({"trace": range(reader.trace + 1)}, schema={"trace": pl.Int64()})
    names = pl.DataFrame(
        {"trace": list(reader.case_names), "case": list(reader.case_names.values())},
        schema={"trace": pl.Int64(), "case": pl.String()},
    )
    cases = traces.join(names, on="trace", how="left").with_columns(
        pl.col("case").fill_null(pl.lit("case-") + pl.col("trace").cast(pl.String))
    )
    events = (
        pl.DataFrame(
            {
                "trace": reader.event_trace,
                "type": reader.event_name,
                "time": reader.event_time,
                "_line": reader.event_line,
            },
            schema={
                "trace": pl.Int64(),
                "type": pl.String(),
                "time": pl.String(),
                "_line": pl.Int64(),
            },
        )
        .with_row_index("_n")
        .join(cases, on="trace", how="left", maintain_order="left")
        .with_columns(
            id=pl.lit("e") + pl.col("_n").cast(pl.String),
            _loc=pl.lit("trace ")
            + pl.col("case")
            + pl.lit(" event ")
            + pl.col("_n").cast(pl.String),
        )
    )
    activity_types = sorted(set(events["type"].drop_nulls().to_list()))
    missing = events.filter(pl.col("type").is_null())
    problems = [
        Problem(
            code="ocel.missing_field",
            message="an event has no concept:name",
            file=name,
            line=row["_line"],
            path=row["_loc"],
        )
        for row in missing.head(1000).iter_rows(named=True)
    ]
    raw = RawLog(
        event_types=[TypeDecl(name=t, attributes=[], loc="xes") for t in activity_types],
        object_types=[TypeDecl(name=_CASE, attributes=[], loc="xes")],
        frames={
            "events": events.select("id", "type", "time", "_loc", "_line"),
            "objects": cases.select(
                pl.col("case").alias("id"),
                pl.lit(_CASE).alias("type"),
                (pl.lit("trace ") + pl.col("trace").cast(pl.String)).alias("_loc"),
                pl.lit(None, pl.Int64()).alias("_line"),
            ),
            "e2o": events.select(
                pl.col("id").alias("event_id"),
                pl.col("case").alias("object_id"),
                pl.lit(_CASE).alias("qualifier"),
                "_loc",
                "_line",
            ),
            "o2o": raw_frame("o2o"),
            "event_attributes": raw_frame("event_attributes"),
            "object_attributes": raw_frame("object_attributes"),
        },
        problems=problems,
    )
    return assemble(raw, file=name)
