"""OCEL 2.0 XML: read and write the format of the OCEL 2.0 specification.

::

    <log>
      <object-types><object-type name=".."><attributes>
        <attribute name=".." type="string|time|integer|float|boolean"/></attributes></object-type>
      </object-types>
      <event-types> (the same, with event-type) </event-types>
      <objects><object id=".." type="..">
        <attributes><attribute name=".." time="..">value</attribute></attributes>
        <objects><relationship object-id=".." qualifier=".."/></objects></object></objects>
      <events><event id=".." type=".." time="..">
        <attributes><attribute name="..">value</attribute></attributes>
        <objects><relationship object-id=".." qualifier=".."/></objects></event></events>
    </log>

The reader is a streaming expat parser that keeps each element's line for the problems it
reports; a document type declaration (and with it every entity trick) is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

import polars as pl

from andon.errors import Problem
from andon.ocel._check import RawLog, TypeDecl, raw_frame
from andon.ocel._model import OcelLog

__all__ = ["dump_xml", "parse_xml"]

_TYPE_LISTS: Final = {"event-types": "event-type", "object-types": "object-type"}


class _RefusedError(Exception):
    pass


class _Reader:
    def __init__(self) -> None:
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.text
        self.parser.StartDoctypeDeclHandler = self.doctype
        self.parser.EntityDeclHandler = self.doctype
        self.stack: list[str] = []
        self.counts: dict[str, int] = {}
        self.problems: list[Problem] = []
        self.event_types: list[TypeDecl] = []
        self.object_types: list[TypeDecl] = []
        self.columns: dict[str, dict[str, list[Any]]] = {
            name: {}
            for name in ("events", "objects", "e2o", "o2o", "event_attributes", "object_attributes")
        }
        self.current: dict[str, Any] = {}
        self.decl: dict[str, Any] | None = None
        self.value: list[str] | None = None
        self.value_row: dict[str, Any] = {}
        self.root_seen = False
        self.sections = 0

    def doctype(self, *_args: object) -> None:
        raise _RefusedError

    def put(self, table: str, loc: str, line: int, values: Mapping[str, Any]) -> None:
        target = self.columns[table]
        for column, value in (*values.items(), ("_loc", loc), ("_line", line)):
            target.setdefault(column, []).append(value)

    def index(self, key: str) -> int:
        count = self.counts.get(key, 0)
        self.counts[key] = count + 1
        return count

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        line = self.parser.CurrentLineNumber
        stack = self.stack
        depth = len(stack)
        stack.append(tag)
        if depth == 0:
            self.root_seen = tag == "log"
            if not self.root_seen:
                raise _RefusedError
            return
        parent = stack[-2]
        if depth == 1:
            if tag in ("event-types", "object-types", "events", "objects"):
                self.sections += 1
            return
        section = stack[1]
        if section in _TYPE_LISTS:
            if depth == 2 and tag == _TYPE_LISTS[section]:
                plural = "eventTypes" if section == "event-types" else "objectTypes"
                self.decl = {
                    "name": attrs.get("name"),
                    "attributes": [],
                    "loc": f"{plural}[{self.index(plural)}]",
                    "line": line,
                }
            elif depth == 4 and tag == "attribute" and self.decl is not None:
                self.decl["attributes"].append((attrs.get("name"), attrs.get("type")))
            return
        if section not in ("events", "objects"):
            return
        kind = "event" if section == "events" else "object"
        if depth == 2 and tag == kind:
            loc = f"{section}[{self.index(section)}]"
            self.current = {"id": attrs.get("id"), "loc": loc, "rels": 0, "attrs": 0}
            values = {"id": attrs.get("id"), "type": attrs.get("type")}
            if kind == "event":
                values["time"] = attrs.get("time")
            self.put(section, loc, line, values)
        elif depth == 4 and tag == "relationship" and parent == "objects":
            j = self.current["rels"]
            self.current["rels"] = j + 1
            loc = f"{self.current['loc']}.relationships[{j}]"
            if kind == "event":
                ends = {"event_id": self.current["id"], "object_id": attrs.get("object-id")}
                table = "e2o"
            else:
                ends = {"source_id": self.current["id"], "target_id": attrs.get("object-id")}
                table = "o2o"
            self.put(table, loc, line, {**ends, "qualifier": attrs.get("qualifier")})
        elif depth == 4 and tag == "attribute" and parent == "attributes":
            j = self.current["attrs"]
            self.current["attrs"] = j + 1
            owner = "event_id" if kind == "event" else "object_id"
            row: dict[str, Any] = {owner: self.current["id"], "name": attrs.get("name")}
            if kind == "object":
                row["time"] = attrs.get("time")
            self.value_row = {
                "table": f"{kind}_attributes",
                "loc": f"{self.current['loc']}.attributes[{j}]",
                "line": line,
                "row": row,
            }
            self.value = []

    def text(self, data: str) -> None:
        if self.value is not None:
            self.value.append(data)

    def end(self, tag: str) -> None:
        depth = len(self.stack)
        self.stack.pop()
        if self.value is not None and tag == "attribute" and depth == 5:
            info = self.value_row
            self.put(
                info["table"],
                info["loc"],
                info["line"],
                {**info["row"], "value": "".join(self.value)},
            )
            self.value = None
        elif depth == 3 and self.decl is not None:
            section = self.stack[1] if len(self.stack) > 1 else ""
            target = self.event_types if section == "event-types" else self.object_types
            target.append(
                TypeDecl(
                    name=self.decl["name"],
                    attributes=self.decl["attributes"],
                    loc=self.decl["loc"],
                    line=self.decl["line"],
                )
            )
            self.decl = None


def parse_xml(data: bytes) -> RawLog:
    """Return the raw tables of an OCEL 2.0 XML document (checked by the caller)."""
    reader = _Reader()
    raw = RawLog()
    try:
        reader.parser.Parse(data, True)  # noqa: FBT003 - positional only
    except _RefusedError:
        if reader.stack and not reader.root_seen:
            message = f"the root element is <{reader.stack[0]}>, not an OCEL 2.0 log"
        else:
            message = "a document type declaration is not allowed in an OCEL 2.0 log"
        raw.problems.append(
            Problem(
                code="ocel.not_ocel",
                message=message,
                line=reader.parser.CurrentLineNumber,
                expected="<log> with object-types, event-types, objects and events",
            )
        )
        return raw
    except expat.ExpatError as exc:
        raw.problems.append(
            Problem(
                code="ocel.not_xml",
                message=f"not XML: {expat.ErrorString(exc.code)} at column {exc.offset}",
                line=exc.lineno,
            )
        )
        return raw
    if reader.sections == 0:
        raw.problems.append(
            Problem(
                code="ocel.not_ocel",
                message="<log> has none of object-types, event-types, objects, events",
                expected="an OCEL 2.0 XML log",
            )
        )
        return raw
    raw.event_types = reader.event_types
    raw.object_types = reader.object_types
    raw.frames = {name: raw_frame(name, cols) for name, cols in reader.columns.items()}
    return raw


def _xml_time(column: str) -> pl.Expr:
    return pl.col(column).dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ")


def _grouped(frame: pl.DataFrame, key: str, columns: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    grouped: dict[str, list[tuple[Any, ...]]] = {}
    for row in frame.select(key, *columns).iter_rows():
        grouped.setdefault(row[0], []).append(row[1:])
    return grouped


def dump_xml(log: OcelLog) -> bytes:
    """Return ``log`` as an OCEL 2.0 XML document (UTF-8)."""
    out: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>', "<log>"]
    for section, element, types in (
        ("object-types", "object-type", log.object_types),
        ("event-types", "event-type", log.event_types),
    ):
        out.append(f"  <{section}>")
        for name, attributes in types.items():
            out.append(f"    <{element} name={quoteattr(name)}>")
            out.append("      <attributes>")
            out.extend(
                f"        <attribute name={quoteattr(n)} type={quoteattr(k)}/>"
                for n, k in attributes.items()
            )
            out.append("      </attributes>")
            out.append(f"    </{element}>")
        out.append(f"  </{section}>")

    o2o = _grouped(log.o2o, "source_id", ["target_id", "qualifier"])
    values = _grouped(
        log.object_attributes.with_columns(_xml_time("time")),
        "object_id",
        ["name", "time", "value"],
    )
    out.append("  <objects>")
    for ident, kind in log.objects.iter_rows():
        out.append(f"    <object id={quoteattr(ident)} type={quoteattr(kind)}>")
        out.append("      <attributes>")
        out.extend(
            f"        <attribute name={quoteattr(n)} time={quoteattr(t)}>{escape(v)}</attribute>"
            for n, t, v in values.get(ident, ())
        )
        out.append("      </attributes>")
        out.append("      <objects>")
        out.extend(
            f"        <relationship object-id={quoteattr(o)} qualifier={quoteattr(q)}/>"
            for o, q in o2o.get(ident, ())
        )
        out.append("      </objects>")
        out.append("    </object>")
    out.append("  </objects>")

    e2o = _grouped(log.e2o, "event_id", ["object_id", "qualifier"])
    event_values = _grouped(log.event_attributes, "event_id", ["name", "value"])
    out.append("  <events>")
    for ident, kind, time in log.events.with_columns(_xml_time("time")).iter_rows():
        out.append(
            f"    <event id={quoteattr(ident)} type={quoteattr(kind)} time={quoteattr(time)}>"
        )
        out.append("      <attributes>")
        out.extend(
            f"        <attribute name={quoteattr(n)}>{escape(v)}</attribute>"
            for n, v in event_values.get(ident, ())
        )
        out.append("      </attributes>")
        out.append("      <objects>")
        out.extend(
            f"        <relationship object-id={quoteattr(o)} qualifier={quoteattr(q)}/>"
            for o, q in e2o.get(ident, ())
        )
        out.append("      </objects>")
        out.append("    </event>")
    out.append("  </events>")
    out.append("</log>")
    out.append("")
    return "\n".join(out).encode("utf-8")
