"""What an engineering change touches before release, and its cost and schedule effect.

:func:`impact` walks the model from the changed element to the products, routings, lines,
equipment, setups, spec-limit checks and spare parts it reaches, then asks the store which
open orders and which units and lots in progress are on that path. docs/change.md says how
each kind is walked and how the estimate is made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from andon.change.request import ChangeKind, ChangeRequest
from andon.model import EquipmentInfo, Model
from andon.model.schema import Product, Routing
from andon.records import OrderEvent, RecordKind
from andon.time import from_datetime

if TYPE_CHECKING:
    from andon.store import Store

__all__ = ["Impact", "TestCheck", "impact"]


@dataclass(frozen=True, slots=True)
class TestCheck:
    """A spec limit that checks the changed parameter or a station the change touches."""

    product: str
    parameter: str
    cell: str
    lines: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """Return the check as a JSON object."""
        return {
            "product": self.product,
            "parameter": self.parameter,
            "cell": self.cell,
            "lines": list(self.lines),
        }


@dataclass(frozen=True, slots=True)
class Impact:
    """Everything a change touches and its estimated cost (model currency) and delay."""

    request: ChangeRequest
    products: tuple[str, ...]
    routings: tuple[str, ...]
    lines: tuple[str, ...]
    equipment: tuple[str, ...]
    setups: tuple[str, ...]
    tests: tuple[TestCheck, ...]
    spare_parts: tuple[str, ...]
    open_orders: tuple[str, ...] = ()
    open_quantity: int = 0
    units: tuple[str, ...] = ()
    lots: tuple[str, ...] = ()
    units_outside_new_limits: int = 0
    cost: float = 0.0
    schedule_h: float = 0.0
    currency: str = "EUR"
    basis: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """Return the impact as a JSON object (what ``andon change impact --json`` prints)."""
        return {
            "request": self.request.to_json(),
            "products": list(self.products),
            "routings": list(self.routings),
            "lines": list(self.lines),
            "equipment": list(self.equipment),
            "setups": list(self.setups),
            "tests": [t.to_json() for t in self.tests],
            "spare_parts": list(self.spare_parts),
            "open_orders": list(self.open_orders),
            "open_quantity": self.open_quantity,
            "units": list(self.units),
            "lots": list(self.lots),
            "units_outside_new_limits": self.units_outside_new_limits,
            "cost": round(self.cost, 2),
            "schedule_h": round(self.schedule_h, 3),
            "currency": self.currency,
            "basis": list(self.basis),
        }


def impact(request: ChangeRequest, model: Model, store: Store | None = None) -> Impact:
    """Return what ``request`` touches in ``model`` and, with a store, in production now."""
    walk = {
        ChangeKind.PART_SUBSTITUTION: _part,
        ChangeKind.FIRMWARE: _firmware,
        ChangeKind.PARAMETER_LIMIT: _limit,
        ChangeKind.ROUTING: _routing,
    }[request.kind]
    found = walk(request, model)
    if store is not None:
        found = _in_production(found, model, store)
    return _estimate(found, model)


# -- the model walk -------------------------------------------------------------------


@dataclass(slots=True)
class _Found:
    request: ChangeRequest
    products: set[str] = field(default_factory=set)
    routings: set[tuple[str, str]] = field(default_factory=set)
    equipment: set[str] = field(default_factory=set)
    setups: set[str] = field(default_factory=set)
    tests: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)
    spare_parts: set[str] = field(default_factory=set)
    orders: dict[str, tuple[str, int]] = field(default_factory=dict)
    units: set[str] = field(default_factory=set)
    lots: set[str] = field(default_factory=set)
    outside: int = 0
    unit_parameter: str | None = None
    unit_prefixes: set[str] = field(default_factory=set)

    @property
    def lines(self) -> set[str]:
        routed = {line for _, line in self.routings}
        return routed | {"/".join(path.split("/")[:4]) for path in self.equipment}


def _line_of(model: Model, routing: Routing) -> str:
    """The full path of a routing's line (routings name it below the enterprise)."""
    line = routing.line.strip("/")
    return line if line in model.lines else f"{model.root}/{line}"


def _steps_at(routing: Routing, cell: str) -> bool:
    return any(step.cell == cell for step in routing.steps)


def _check_cells(found: _Found, product: Product, line: str, cells: Iterable[str]) -> None:
    wanted = set(cells)
    for spec in product.spec_limits:
        if spec.cell in wanted:
            found.tests.setdefault((product.id, spec.parameter, spec.cell), set()).add(line)


def _inspection_cells(model: Model, line: str) -> set[str]:
    return {info.cell.id for info in model.equipment_under(line) if info.role.value == "inspection"}


def _touch_stations(found: _Found, model: Model, stations: Iterable[EquipmentInfo]) -> None:
    by_line: dict[str, set[str]] = {}
    for info in stations:
        found.equipment.add(info.path)
        by_line.setdefault(info.line_path, set()).add(info.cell.id)
    for product in model.products.values():
        for routing in product.routings:
            line = _line_of(model, routing)
            cells = by_line.get(line)
            if not cells or not any(_steps_at(routing, c) for c in cells):
                continue
            found.products.add(product.id)
            found.routings.add((product.id, line))
            for step in routing.steps:
                if step.cell in cells and step.setup_min > 0:
                    found.setups.add(f"{product.id}@{line}/{step.cell}")
            _check_cells(found, product, line, cells | _inspection_cells(model, line))
            found.unit_prefixes.update(f"{line}/{c}" for c in cells)


def _part(request: ChangeRequest, model: Model) -> _Found:
    found = _Found(request)
    assert request.part is not None
    stations = [
        info
        for info in model.equipment.values()
        if any(request.part in mode.parts for mode in info.equipment_class.failure_modes)
    ]
    _touch_stations(found, model, stations)
    found.spare_parts.update(p for p in (request.part, request.replacement) if p)
    return found


def _firmware(request: ChangeRequest, model: Model) -> _Found:
    found = _Found(request)
    assert request.station is not None
    info = model.equipment[request.station]
    _touch_stations(found, model, [info])
    found.unit_prefixes = {info.path}
    for mode in info.equipment_class.failure_modes:
        found.spare_parts.update(mode.parts)
    return found


def _limit(request: ChangeRequest, model: Model) -> _Found:
    found = _Found(request)
    assert request.product is not None
    assert request.parameter is not None
    product = model.products[request.product]
    cells = {s.cell for s in product.spec_limits if s.parameter == request.parameter}
    found.products.add(product.id)
    for routing in product.routings:
        here = {c for c in cells if _steps_at(routing, c)}
        if not here:
            continue
        line = _line_of(model, routing)
        found.routings.add((product.id, line))
        for cell in here:
            found.tests.setdefault((product.id, request.parameter, cell), set()).add(line)
            found.unit_prefixes.add(f"{line}/{cell}")
            found.equipment.update(i.path for i in model.equipment_under(f"{line}/{cell}"))
    found.unit_parameter = request.parameter
    return found


def _routing(request: ChangeRequest, model: Model) -> _Found:
    found = _Found(request)
    assert request.product is not None
    assert request.line is not None
    product = model.products[request.product]
    found.products.add(product.id)
    found.routings.add((product.id, request.line))
    old = _route(model, product, request.line)
    before = {s.cell: (s.cycle_time_s, s.setup_min) for s in old.steps} if old else {}
    after = {s.cell: (s.cycle_time_s, s.setup_min) for s in request.steps}
    changed = {c for c in before.keys() | after.keys() if before.get(c) != after.get(c)}
    for step in request.steps:
        found.equipment.update(i.path for i in model.equipment_under(f"{request.line}/{step.cell}"))
        if step.setup_min > 0 and step.cell in changed:
            found.setups.add(f"{product.id}@{request.line}/{step.cell}")
    _check_cells(found, product, request.line, changed)
    found.unit_prefixes = {request.line}
    return found


def _route(model: Model, product: Product, line: str) -> Routing | None:
    return next((r for r in product.routings if _line_of(model, r) == line), None)


# -- production now -------------------------------------------------------------------


def _under(path: str | None, prefixes: Iterable[str]) -> bool:
    return path is not None and any(path == p or path.startswith(p + "/") for p in prefixes)


def _in_production(found: _Found, model: Model, store: Store) -> _Found:
    del model
    orders = store.records(RecordKind.ORDER).to_pylist()
    last: dict[str, dict[str, Any]] = {}
    for row in orders:
        last[row["order_id"]] = row
        if row.get("path"):
            last[row["order_id"]] = {**row}
    paths: dict[str, str | None] = {}
    for row in orders:
        if row.get("path"):
            paths[row["order_id"]] = row["path"]
    lines = found.lines
    for order_id, row in last.items():
        if row["event"] == OrderEvent.COMPLETED.value or row["product"] not in found.products:
            continue
        path = paths.get(order_id)
        if (
            path is not None
            and not _under(path, lines)
            and not any(ln.startswith(path.rstrip("/") + "/") for ln in lines)
        ):
            continue
        found.orders[order_id] = (row["product"], int(row["quantity"]))
    start = (
        from_datetime(dt.datetime.combine(found.request.effective, dt.time(), tzinfo=dt.UTC))
        if found.request.effective
        else None
    )
    bounds = _new_limits(found)
    for prefix in sorted(found.unit_prefixes):
        units = store.records(RecordKind.UNIT, path_prefix=prefix, start=start).to_pylist()
        for row in units:
            if row["product"] not in found.products:
                continue
            if found.unit_parameter is not None and row["parameter"] != found.unit_parameter:
                continue
            found.units.add(row["serial"])
            if row.get("lot"):
                found.lots.add(row["lot"])
            value = row.get("value")
            if bounds is not None and value is not None:
                lsl, usl = bounds
                if (lsl is not None and value < lsl) or (usl is not None and value > usl):
                    found.outside += 1
    return found


def _new_limits(found: _Found) -> tuple[float | None, float | None] | None:
    request = found.request
    if request.kind is not ChangeKind.PARAMETER_LIMIT or (
        request.lsl is None and request.usl is None
    ):
        return None
    return request.lsl, request.usl


# -- the estimate ---------------------------------------------------------------------


def _bottleneck_s(model: Model, line: str, steps: Iterable[tuple[str, float | None]]) -> float:
    slowest = 0.0
    for cell, cycle in steps:
        if cycle is None:
            ideal = [i.ideal_cycle_time_s for i in model.equipment_under(f"{line}/{cell}")]
            slowest = max(slowest, max((c for c in ideal if c is not None), default=0.0))
        else:
            slowest = max(slowest, cycle)
    return slowest


def _line_hour_cost(model: Model, line: str) -> float:
    return max(
        (i.equipment.downtime_cost_per_hour for i in model.equipment_under(line)), default=0.0
    )


def _estimate(found: _Found, model: Model) -> Impact:
    request = found.request
    cost = 0.0
    hours = 0.0
    basis: list[str] = []
    quantity = sum(q for _, q in found.orders.values())
    if request.kind is ChangeKind.PART_SUBSTITUTION:
        assert request.part is not None
        assert request.replacement is not None
        old = model.parts[request.part]
        new = model.parts.get(request.replacement)
        stock = sum(old.stock.values())
        cost += stock * old.unit_cost
        basis.append(f"{stock} {old.id} on hand written off at {old.unit_cost:g} each")
        new_cost = (
            request.replacement_unit_cost
            if request.replacement_unit_cost is not None
            else (new.unit_cost if new else 0.0)
        )
        per_set = sum(
            mode.parts.get(old.id, 0)
            for eq in found.equipment
            for mode in model.equipment[eq].equipment_class.failure_modes
        )
        cost += per_set * new_cost
        basis.append(
            f"{per_set} {request.replacement} to stock one replacement per use on the equipment, "
            f"at {new_cost:g} each"
        )
        lead = request.replacement_lead_time_days
        if lead is None and new is not None:
            lead = new.lead_time_days
        if lead is not None:
            hours = lead * 24
            basis.append(f"schedule: the replacement's lead time, {lead:g} days")
    elif request.kind is ChangeKind.FIRMWARE:
        assert request.station is not None
        info = model.equipment[request.station]
        hours = request.requalification_h
        cost = hours * info.equipment.downtime_cost_per_hour
        basis.append(
            f"station down {hours:g} h to update and requalify, at its downtime cost "
            f"{info.equipment.downtime_cost_per_hour:g}/h"
        )
    elif request.kind is ChangeKind.PARAMETER_LIMIT:
        assert request.product is not None
        product = model.products[request.product]
        if found.units and found.outside:
            share = found.outside / len(found.units)
            cost = share * quantity * product.scrap_cost
            basis.append(
                f"{found.outside} of {len(found.units)} measured values fall outside the new "
                "limits; "
                f"that share of the {quantity} open units at scrap cost {product.scrap_cost:g}"
            )
        else:
            basis.append("no measured unit falls outside the new limits (or no store given)")
    else:
        assert request.product is not None
        assert request.line is not None
        product = model.products[request.product]
        route = _route(model, product, request.line)
        new_s = _bottleneck_s(
            model, request.line, ((s.cell, s.cycle_time_s) for s in request.steps)
        )
        old_s = (
            _bottleneck_s(model, request.line, ((s.cell, s.cycle_time_s) for s in route.steps))
            if route
            else 0.0
        )
        delta = new_s - old_s
        setup_h = (
            sum(s.setup_min for s in request.steps)
            - (sum(s.setup_min for s in route.steps) if route else 0.0)
        ) / 60
        hours = delta * quantity / 3600 + setup_h * len(found.orders)
        cost = max(hours, 0.0) * _line_hour_cost(model, request.line)
        basis.append(
            f"bottleneck cycle {old_s:g} s -> {new_s:g} s over {quantity} open units, "
            f"setup change {setup_h * 60:+g} min per order over {len(found.orders)} open orders"
        )
        basis.append(
            "line hour at the line's highest downtime cost, "
            f"{_line_hour_cost(model, request.line):g}/h"
        )
    return Impact(
        request=request,
        products=tuple(sorted(found.products)),
        routings=tuple(sorted(f"{p}@{ln}" for p, ln in found.routings)),
        lines=tuple(sorted(found.lines)),
        equipment=tuple(sorted(found.equipment)),
        setups=tuple(sorted(found.setups)),
        tests=tuple(
            TestCheck(p, parameter, cell, tuple(sorted(lines)))
            for (p, parameter, cell), lines in sorted(found.tests.items())
        ),
        spare_parts=tuple(sorted(found.spare_parts)),
        open_orders=tuple(sorted(found.orders)),
        open_quantity=quantity,
        units=tuple(sorted(found.units)),
        lots=tuple(sorted(found.lots)),
        units_outside_new_limits=found.outside,
        cost=cost,
        schedule_h=hours,
        currency=model.currency,
        basis=tuple(basis),
    )
