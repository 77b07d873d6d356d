"""Engineering change requests: what changes, validated against the plant model.

Four kinds, each a mapping (or a YAML file holding one)::

    kind: part_substitution   part: BRG-6204  replacement: BRG-6204-C3  effective: 2026-03-01
    kind: firmware            station: voltec/dresden/smt/s1/reflow/oven1  version: "4.2.0"
    kind: parameter_limit     product: PCB-CTRL  parameter: peak_temperature  lsl: 238  usl: 252
    kind: routing             product: GB-200  line: acme/lyon/assembly/a1  steps: [...]

Every problem found is reported at once, each a :class:`~andon.errors.Problem` with a
``change.*`` code and the location of the offending field, as the model validator does.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from andon.errors import InputError, Problem
from andon.model import Model

__all__ = ["ChangeKind", "ChangeRequest", "RouteStep", "load_request", "parse_request"]


class ChangeKind(StrEnum):
    """What an engineering change alters."""

    PART_SUBSTITUTION = "part_substitution"
    FIRMWARE = "firmware"
    PARAMETER_LIMIT = "parameter_limit"
    ROUTING = "routing"


@dataclass(frozen=True, slots=True)
class RouteStep:
    """One step of a new routing: a cell of the line, its cycle time and setup."""

    cell: str
    cycle_time_s: float | None = None
    setup_min: float = 0.0


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    """A validated change request; only the fields of its kind are set."""

    kind: ChangeKind
    title: str = ""
    effective: dt.date | None = None
    part: str | None = None
    replacement: str | None = None
    replacement_unit_cost: float | None = None
    replacement_lead_time_days: float | None = None
    station: str | None = None
    version: str | None = None
    requalification_h: float = 1.0
    product: str | None = None
    parameter: str | None = None
    lsl: float | None = None
    usl: float | None = None
    target: float | None = None
    line: str | None = None
    steps: tuple[RouteStep, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """Return the request as a JSON object (only the fields that are set)."""
        out: dict[str, Any] = {"kind": self.kind.value}
        for name in (
            "title",
            "part",
            "replacement",
            "replacement_unit_cost",
            "replacement_lead_time_days",
            "station",
            "version",
            "product",
            "parameter",
            "lsl",
            "usl",
            "target",
            "line",
        ):
            value = getattr(self, name)
            if value not in (None, ""):
                out[name] = value
        if self.effective is not None:
            out["effective"] = self.effective.isoformat()
        if self.kind is ChangeKind.FIRMWARE:
            out["requalification_h"] = self.requalification_h
        if self.steps:
            out["steps"] = [
                {"cell": s.cell, "cycle_time_s": s.cycle_time_s, "setup_min": s.setup_min}
                for s in self.steps
            ]
        return out


_FIELDS = {
    ChangeKind.PART_SUBSTITUTION: (
        {"part", "replacement"},
        {"replacement_unit_cost", "replacement_lead_time_days"},
    ),
    ChangeKind.FIRMWARE: ({"station", "version"}, {"requalification_h"}),
    ChangeKind.PARAMETER_LIMIT: ({"product", "parameter"}, {"lsl", "usl", "target"}),
    ChangeKind.ROUTING: ({"product", "line", "steps"}, set()),
}
_COMMON = {"kind", "title", "effective"}


class _Checker:
    def __init__(self, data: dict[str, Any], file: str | None) -> None:
        self.data = data
        self.file = file
        self.problems: list[Problem] = []

    def add(self, code: str, message: str, path: str, expected: str | None = None) -> None:
        self.problems.append(
            Problem(code=code, message=message, file=self.file, path=path, expected=expected)
        )

    def text(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.add("change.bad_value", f"{name} must be text", name, "a string")
            return None
        return str(value)

    def number(self, name: str, *, positive: bool = False) -> float | None:
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            self.add(
                "change.bad_value", f"{name} must be a number, not {value!r}", name, "a number"
            )
            return None
        if value < 0 or (positive and value == 0):
            self.add("change.bad_value", f"{name} must be {'>' if positive else '>='} 0", name)
            return None
        return float(value)


def parse_request(data: object, model: Model, *, file: str | None = None) -> ChangeRequest:
    """Validate a change request against ``model``; raise :class:`InputError` listing every
    problem (codes ``change.*``, each with the field's location) when it is wrong."""
    if not isinstance(data, dict):
        raise InputError(
            "change request refused",
            [
                Problem(
                    code="change.not_a_mapping",
                    message="a change request is a mapping of fields",
                    file=file,
                )
            ],
        )
    check = _Checker(data, file)
    raw_kind = data.get("kind")
    try:
        kind = ChangeKind(str(raw_kind))
    except ValueError:
        check.add(
            "change.unknown_kind",
            f"unknown change kind {raw_kind!r}",
            "kind",
            ", ".join(k.value for k in ChangeKind),
        )
        raise InputError("change request refused", check.problems) from None
    required, optional = _FIELDS[kind]
    for name in sorted(set(data) - required - optional - _COMMON):
        check.add(
            "change.unknown_field",
            f"field {name!r} is not part of a {kind.value} change",
            str(name),
        )
    for name in sorted(required - set(data)):
        check.add("change.missing_field", f"a {kind.value} change needs {name!r}", name)
    effective = _date(check, data.get("effective"))
    fields: dict[str, Any] = {
        "kind": kind,
        "title": check.text("title") or "",
        "effective": effective,
    }
    if kind is ChangeKind.PART_SUBSTITUTION:
        fields |= _part(check, model)
    elif kind is ChangeKind.FIRMWARE:
        fields |= _firmware(check, model)
    elif kind is ChangeKind.PARAMETER_LIMIT:
        fields |= _limit(check, model)
    else:
        fields |= _routing(check, model)
    if check.problems:
        raise InputError("change request refused", Problem.ordered(check.problems))
    return ChangeRequest(**fields)


def load_request(path: str | Path, model: Model) -> ChangeRequest:
    """Read a change request from a YAML (or JSON) file and validate it."""
    source = Path(path)
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read change request {source}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            "change request refused",
            [
                Problem(
                    code="change.syntax",
                    message=f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
                    file=str(source),
                    line=mark.line + 1 if mark is not None else None,
                )
            ],
        ) from exc
    return parse_request(data, model, file=str(source))


def _date(check: _Checker, value: object) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        check.add(
            "change.bad_value", f"effective {value!r} is not a date", "effective", "YYYY-MM-DD"
        )
        return None


def _part(check: _Checker, model: Model) -> dict[str, Any]:
    part = check.text("part")
    replacement = check.text("replacement")
    if part is not None and part not in model.parts:
        check.add("change.unknown_part", f"unknown part {part!r}", "part", _known(model.parts))
    if part is not None and part == replacement:
        check.add("change.bad_value", "the replacement is the part itself", "replacement")
    cost = check.number("replacement_unit_cost")
    lead = check.number("replacement_lead_time_days")
    if replacement is not None and replacement not in model.parts and cost is None:
        check.add(
            "change.missing_field",
            f"part {replacement!r} is not in the model: give its replacement_unit_cost",
            "replacement_unit_cost",
        )
    return {
        "part": part,
        "replacement": replacement,
        "replacement_unit_cost": cost,
        "replacement_lead_time_days": lead,
    }


def _firmware(check: _Checker, model: Model) -> dict[str, Any]:
    station = check.text("station")
    if station is not None and station not in model.equipment:
        check.add(
            "change.unknown_station",
            f"unknown station {station!r}",
            "station",
            "an equipment path of the model",
        )
    hours = check.number("requalification_h")
    return {
        "station": station,
        "version": check.text("version"),
        "requalification_h": 1.0 if hours is None else hours,
    }


def _product(check: _Checker, model: Model) -> str | None:
    product = check.text("product")
    if product is not None and product not in model.products:
        check.add(
            "change.unknown_product",
            f"unknown product {product!r}",
            "product",
            _known(model.products),
        )
        return None
    return product


def _limit(check: _Checker, model: Model) -> dict[str, Any]:
    product = _product(check, model)
    parameter = check.text("parameter")
    if product is not None and parameter is not None:
        known = {s.parameter for s in model.products[product].spec_limits}
        if parameter not in known:
            check.add(
                "change.unknown_parameter",
                f"product {product!r} has no spec limit on parameter {parameter!r}",
                "parameter",
                ", ".join(sorted(known)) or "a parameter with spec limits",
            )
    values = {name: _signed(check, name) for name in ("lsl", "usl", "target")}
    if all(v is None for v in values.values()):
        check.add(
            "change.missing_field", "a parameter_limit change needs lsl, usl or target", "lsl"
        )
    lsl, usl = values["lsl"], values["usl"]
    if lsl is not None and usl is not None and lsl >= usl:
        check.add("change.bad_value", f"lsl {lsl} is not below usl {usl}", "lsl")
    return {"product": product, "parameter": parameter, **values}


def _signed(check: _Checker, name: str) -> float | None:
    value = check.data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        check.add("change.bad_value", f"{name} must be a number, not {value!r}", name, "a number")
        return None
    return float(value)


def _routing(check: _Checker, model: Model) -> dict[str, Any]:
    product = _product(check, model)
    line = check.text("line")
    cells: set[str] = set()
    if line is not None and line not in model.lines and f"{model.root}/{line}" in model.lines:
        line = f"{model.root}/{line}"
    if line is not None:
        if line not in model.lines:
            check.add("change.unknown_line", f"unknown line {line!r}", "line", _known(model.lines))
        else:
            cells = {c.id for c in model.lines[line].cells}
    raw = check.data.get("steps")
    steps: list[RouteStep] = []
    if raw is not None and (not isinstance(raw, list) or not raw):
        check.add("change.bad_value", "steps must be a non-empty list", "steps")
        raw = []
    for i, given in enumerate(raw or []):
        where = f"steps[{i}]"
        item = {"cell": given} if isinstance(given, str) else given
        if not isinstance(item, dict) or not isinstance(item.get("cell"), str):
            check.add("change.bad_value", "a step is a cell id or a mapping with 'cell'", where)
            continue
        cell = item["cell"]
        if line in model.lines and cell not in cells:
            check.add(
                "change.unknown_cell",
                f"line {line!r} has no cell {cell!r}",
                f"{where}.cell",
                ", ".join(sorted(cells)),
            )
        sub = _Checker(item, check.file)
        cycle = sub.number("cycle_time_s", positive=True)
        setup = sub.number("setup_min")
        for p in sub.problems:
            check.add(p.code, p.message, f"{where}.{p.path}", p.expected)
        steps.append(RouteStep(cell, cycle, setup or 0.0))
    return {"product": product, "line": line, "steps": tuple(steps)}


def _known(names: Any) -> str:
    listed = sorted(names)
    return ", ".join(listed[:8]) + (", ..." if len(listed) > 8 else "")
