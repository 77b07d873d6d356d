"""Checks across elements that a schema alone cannot make: references, units, calendars.

Each check yields :class:`Issue` values with the location of the offending field in the
document, so the loader can name file and line. Codes are stable: tests and integrations
match on them.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from andon.model._yaml import Location
from andon.model.schema import (
    Cell,
    Equipment,
    EquipmentClass,
    FailureMode,
    Meter,
    PlantModel,
    Shift,
    Site,
    TagType,
    Weekday,
)
from andon.model.units import UnitError, conversion, is_unit

__all__ = ["RESERVED_TAG_NAMES", "Issue", "check_references"]

_DAY_INDEX = {day: index for index, day in enumerate(Weekday)}
_WEEK_MIN = 7 * 24 * 60

RESERVED_TAG_NAMES: Final = frozenset({"state", "bdSeq"})
"""Tag names the connectors use for themselves: ``state`` is each equipment's state variable
on OPC UA and its state metric in Sparkplug B births, ``bdSeq`` Sparkplug's birth/death
sequence metric. A tag of that name would collide with them (``BadNodeIdExists``)."""


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem found in a parsed model, before file and line are attached."""

    code: str
    message: str
    location: Location
    path: str | None = None
    expected: str | None = None
    ref: str | None = None
    """The id the issue says is unknown; the loader drops the issue when that element was
    itself refused by the schema (its own problem is reported already)."""


def _duplicates(
    ids: Iterable[str], location: Location, key: str, parent_path: str, what: str
) -> Iterator[Issue]:
    seen: set[str] = set()
    for index, element_id in enumerate(ids):
        if element_id in seen:
            yield Issue(
                "model.duplicate_id",
                f"duplicate {what} id {element_id!r}",
                (*location, key, index, "id"),
                f"{parent_path}/{element_id}" if parent_path else element_id,
                f"{what} ids unique within {parent_path or 'the model'}",
            )
        seen.add(element_id)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _shift_spans(shift: Shift) -> list[tuple[int, int]]:
    """Return the week-minute intervals a shift covers, crossing midnight when end <= start.

    A rotating shift may fall on any weekday, so it is taken to run on all of them.
    """
    start, end = _minutes(shift.start), _minutes(shift.end)
    length = (end - start) % (24 * 60) or 24 * 60
    spans = []
    for day in tuple(Weekday) if shift.rotation is not None else shift.days:
        begin = _DAY_INDEX[day] * 24 * 60 + start
        spans.append((begin, begin + length))
    return spans


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    for shift_b in (0, _WEEK_MIN, -_WEEK_MIN):
        if a[0] < b[1] + shift_b and b[0] + shift_b < a[1]:
            return True
    return False


def _check_site_calendar(
    site: Site, location: Location, site_path: str, classes: Mapping[str, EquipmentClass]
) -> Iterator[Issue]:
    try:
        zoneinfo.ZoneInfo(site.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        yield Issue(
            "model.unknown_timezone",
            f"unknown time zone {site.timezone!r}",
            (*location, "timezone"),
            site_path,
            "an IANA time zone such as Europe/Paris",
        )
    yield from _duplicates((s.id for s in site.shifts), location, "shifts", site_path, "shift")
    spans = [(index, span) for index, s in enumerate(site.shifts) for span in _shift_spans(s)]
    reported: set[tuple[int, int]] = set()
    for i, (index_a, span_a) in enumerate(spans):
        for index_b, span_b in spans[i + 1 :]:
            pair = (min(index_a, index_b), max(index_a, index_b))
            if index_a != index_b and pair not in reported and _overlap(span_a, span_b):
                reported.add(pair)
                a, b = site.shifts[pair[0]], site.shifts[pair[1]]
                yield Issue(
                    "model.overlapping_shifts",
                    f"shift {b.id!r} ({b.start}-{b.end}) overlaps shift {a.id!r} "
                    f"({a.start}-{a.end})",
                    (*location, "shifts", pair[1]),
                    site_path,
                    "shifts of one site that do not overlap",
                )
    for index, shift in enumerate(site.shifts):
        start_min, end_min = _minutes(shift.start), _minutes(shift.end)
        span = (0, (end_min - start_min) % (24 * 60) or 24 * 60)
        taken: list[tuple[int, int]] = []
        covered = False
        for position, (begin, end) in enumerate(shift.breaks):
            relative = (
                (_minutes(begin) - _minutes(shift.start)) % (24 * 60),
                (_minutes(end) - _minutes(shift.start)) % (24 * 60),
            )
            if any(relative[0] < b and a < relative[1] for a, b in taken):
                yield Issue(
                    "model.overlapping_breaks",
                    f"break {begin}-{end} overlaps another break of shift {shift.id!r}",
                    (*location, "shifts", index, "breaks", position),
                    site_path,
                    "breaks of one shift that do not overlap",
                )
            taken.append(relative)
            start = _minutes(begin) - _minutes(shift.start)
            stop = _minutes(end) - _minutes(shift.start)
            start %= 24 * 60
            stop %= 24 * 60
            length = span[1] - span[0]
            if start == 0 and (stop or length) == length:
                covered = True
                yield Issue(
                    "model.break_covers_shift",
                    f"break {begin}-{end} covers all of shift {shift.id!r} "
                    f"({shift.start}-{shift.end}): the shift plans no production",
                    (*location, "shifts", index, "breaks", position),
                    site_path,
                    "breaks shorter than their shift (remove a shift that never works)",
                )
            elif not (0 <= start < stop <= length):
                yield Issue(
                    "model.break_outside_shift",
                    f"break {begin}-{end} is not inside shift {shift.id!r} "
                    f"({shift.start}-{shift.end})",
                    (*location, "shifts", index, "breaks", position),
                    site_path,
                    "a break that starts and ends inside its shift",
                )
        inside = sum(max(0, min(b, span[1]) - a) for a, b in taken if a < b)
        if shift.breaks and not covered and inside >= span[1]:
            yield Issue(
                "model.break_covers_shift",
                f"the breaks of shift {shift.id!r} ({shift.start}-{shift.end}) cover all of "
                "it: the shift plans no production",
                (*location, "shifts", index, "breaks"),
                site_path,
                "breaks shorter than their shift (remove a shift that never works)",
            )
    for index, shift in enumerate(site.shifts):
        yield from _check_rotation(shift, (*location, "shifts", index), site_path)
    shift_ids = {s.id for s in site.shifts}
    for index, crew in enumerate(site.crews):
        for position, shift_id in enumerate(crew.shifts):
            if shift_id not in shift_ids:
                yield Issue(
                    "model.unknown_shift",
                    f"crew {crew.id!r} works unknown shift {shift_id!r}",
                    (*location, "crews", index, "shifts", position),
                    f"{site_path}",
                    "one of "
                    + (", ".join(sorted(shift_ids)) or "the site's shifts (none defined)"),
                    ref=f"{site.id}/{shift_id}",
                )
        for position, class_id in enumerate(crew.skills):
            if class_id not in classes:
                yield Issue(
                    "model.unknown_class",
                    f"crew {crew.id!r} has a skill for unknown equipment class {class_id!r}",
                    (*location, "crews", index, "skills", position),
                    site_path,
                    "one of " + (", ".join(sorted(classes)) or "no classes"),
                    ref=class_id,
                )
    yield from _duplicates((c.id for c in site.crews), location, "crews", site_path, "crew")
    yield from _duplicates(
        (w.id for w in site.maintenance_windows),
        location,
        "maintenance_windows",
        site_path,
        "maintenance window",
    )
    if site.tariff is not None:
        # prices may be negative (day-ahead markets have negative hours); carbon may not
        for hour, value in enumerate(site.tariff.gco2e_per_kwh):
            if value < 0:
                yield Issue(
                    "model.negative_value",
                    f"tariff gco2e_per_kwh at hour {hour} is negative ({value})",
                    (*location, "tariff", "gco2e_per_kwh", hour),
                    site_path,
                    ">= 0",
                )
    yield from _check_windows(site, location, site_path)


def _check_rotation(shift: Shift, location: Location, site_path: str) -> Iterator[Issue]:
    """A rotation's crews share one cycle length, never two on at once, some crew on."""
    rotation = shift.rotation
    if rotation is None:
        return
    where = (*location, "rotation")
    if "days" in shift.model_fields_set:
        yield Issue(
            "model.bad_rotation",
            f"shift {shift.id!r} has both days and a rotation",
            (*location, "days"),
            site_path,
            "days or a rotation, not both (the rotation says on which days the shift runs)",
        )
    lengths = {crew: len(pattern) for crew, pattern in rotation.crews.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{crew}: {n}" for crew, n in lengths.items())
        yield Issue(
            "model.bad_rotation",
            f"the crews of shift {shift.id!r} have cycles of different lengths ({described})",
            (*where, "crews"),
            site_path,
            "one on/off value per day of the cycle for every crew",
        )
        return
    cycle = next(iter(lengths.values()), 0)
    on = [
        [crew for crew, pattern in rotation.crews.items() if pattern[day]] for day in range(cycle)
    ]
    for day, crews in enumerate(on):
        if len(crews) > 1:
            yield Issue(
                "model.bad_rotation",
                f"crews {', '.join(crews)} are all on shift {shift.id!r} on day {day + 1} of "
                "its cycle",
                (*where, "crews", crews[1]),
                site_path,
                "at most one crew on a shift each day (two crews at once are two shifts)",
            )
            break
    if cycle and not any(on):
        yield Issue(
            "model.bad_rotation",
            f"no crew is ever on shift {shift.id!r}",
            (*where, "crews"),
            site_path,
            "a 1 for some crew on some day of the cycle",
        )


def check_references(plant: PlantModel) -> list[Issue]:
    """Return every cross-element problem of a schema-valid plant model."""
    return list(_check(plant))


def _check(plant: PlantModel) -> Iterator[Issue]:
    root = plant.enterprise.id
    classes = {c.id: c for c in plant.equipment_classes}
    parts = {p.id for p in plant.parts}
    sites = {s.id for s in plant.sites}
    yield from _duplicates(
        (c.id for c in plant.equipment_classes), (), "equipment_classes", "", "equipment class"
    )
    yield from _duplicates((p.id for p in plant.parts), (), "parts", "", "part")
    yield from _duplicates((p.id for p in plant.products), (), "products", "", "product")
    yield from _duplicates((s.id for s in plant.sites), (), "sites", root, "site")

    for ci, cls in enumerate(plant.equipment_classes):
        location: Location = ("equipment_classes", ci)
        yield from _duplicates((t.name for t in cls.tags), location, "tags", cls.id, "tag")
        yield from _duplicates(
            (f.id for f in cls.failure_modes), location, "failure_modes", cls.id, "failure mode"
        )
        tag_names = {t.name for t in cls.tags}
        tag_types = {t.name: t.type for t in cls.tags}
        for ti, tag in enumerate(cls.tags):
            if not is_unit(tag.unit):
                yield Issue(
                    "model.unknown_unit",
                    f"tag {tag.name!r} has unknown unit {tag.unit!r}",
                    (*location, "tags", ti, "unit"),
                    f"{cls.id}/{tag.name}",
                    "a unit pint understands, e.g. degC, mm/s, bar, A, kW",
                )
            if tag.min is not None and tag.max is not None and tag.min >= tag.max:
                yield Issue(
                    "model.bad_range",
                    f"tag {tag.name!r} has min {tag.min} >= max {tag.max}: no value is valid"
                    if tag.min > tag.max
                    else f"tag {tag.name!r} has min = max = {tag.min}: an empty range",
                    (*location, "tags", ti, "min"),
                    f"{cls.id}/{tag.name}",
                    "min < max",
                )
            if tag.name in RESERVED_TAG_NAMES:
                yield Issue(
                    "model.reserved_name",
                    f"tag name {tag.name!r} is reserved by the connectors",
                    (*location, "tags", ti, "name"),
                    f"{cls.id}/{tag.name}",
                    "a tag name other than " + ", ".join(sorted(RESERVED_TAG_NAMES)),
                )
        for fi, mode in enumerate(cls.failure_modes):
            if mode.mtbf_h <= mode.repair_h:
                yield Issue(
                    "model.implausible_mtbf",
                    f"failure mode {mode.id!r} fails every {mode.mtbf_h} h but takes "
                    f"{mode.repair_h} h to repair: the equipment would be down most of the time",
                    (*location, "failure_modes", fi, "mtbf_h"),
                    f"{cls.id}/{mode.id}",
                    "mtbf_h well above repair_h (both in hours)",
                )
            yield from _check_degradation(mode, (*location, "failure_modes", fi), cls.id)
            for part_id, quantity in mode.parts.items():
                if part_id not in parts:
                    yield Issue(
                        "model.unknown_part",
                        f"failure mode {mode.id!r} uses unknown part {part_id!r}",
                        (*location, "failure_modes", fi, "parts", part_id),
                        f"{cls.id}/{mode.id}",
                        "a part id from the parts section",
                        ref=part_id,
                    )
                if quantity <= 0:
                    yield Issue(
                        "model.negative_value",
                        f"failure mode {mode.id!r} uses {quantity} of part {part_id!r}",
                        (*location, "failure_modes", fi, "parts", part_id),
                        f"{cls.id}/{mode.id}",
                        "a quantity >= 1",
                    )
            for si, signal in enumerate(mode.signals):
                if signal not in tag_names:
                    yield Issue(
                        "model.unknown_tag",
                        f"failure mode {mode.id!r} names unknown signal {signal!r}",
                        (*location, "failure_modes", fi, "signals", si),
                        f"{cls.id}/{mode.id}",
                        "one of the class's tags: " + (", ".join(sorted(tag_names)) or "none"),
                        ref=f"{cls.id}/{signal}",
                    )
                elif tag_types[signal] is TagType.BOOL:
                    yield Issue(
                        "model.boolean_signal",
                        f"failure mode {mode.id!r} names boolean tag {signal!r} as a signal: "
                        "an on/off value cannot show a mode developing",
                        (*location, "failure_modes", fi, "signals", si),
                        f"{cls.id}/{mode.id}",
                        "a float or int condition tag (vibration, temperature, current)",
                    )

    yield from _check_stock(plant, classes)
    yield from _check_meters(plant)
    yield from _check_restorations(plant, classes)
    for pi, part in enumerate(plant.parts):
        for site_id, quantity in part.stock.items():
            if quantity < 0:
                yield Issue(
                    "model.negative_value",
                    f"part {part.id!r} has negative stock {quantity} at {site_id!r}",
                    ("parts", pi, "stock", site_id),
                    part.id,
                    "a stock >= 0",
                )
            if site_id not in sites:
                yield Issue(
                    "model.unknown_site",
                    f"part {part.id!r} is stocked at unknown site {site_id!r}",
                    ("parts", pi, "stock", site_id),
                    part.id,
                    "one of " + ", ".join(sorted(sites)),
                    ref=site_id,
                )
        if (
            part.expedite_lead_time_days is not None
            and part.expedite_lead_time_days > part.lead_time_days
        ):
            yield Issue(
                "model.bad_lead_time",
                f"part {part.id!r} expedites slower "
                f"({part.expedite_lead_time_days} d) than normal ({part.lead_time_days} d)",
                ("parts", pi, "expedite_lead_time_days"),
                part.id,
                "expedite lead time <= lead time",
            )

    line_cells: dict[str, dict[str, Cell]] = {}
    for si, site in enumerate(plant.sites):
        site_loc: Location = ("sites", si)
        site_path = f"{root}/{site.id}"
        yield from _check_site_calendar(site, site_loc, site_path, classes)
        yield from _duplicates((a.id for a in site.areas), site_loc, "areas", site_path, "area")
        for ai, area in enumerate(site.areas):
            area_loc: Location = (*site_loc, "areas", ai)
            area_path = f"{site_path}/{area.id}"
            yield from _duplicates(
                (ln.id for ln in area.lines), area_loc, "lines", area_path, "line"
            )
            for li, line in enumerate(area.lines):
                line_loc: Location = (*area_loc, "lines", li)
                line_path = f"{area_path}/{line.id}"
                line_cells[f"{site.id}/{area.id}/{line.id}"] = {c.id: c for c in line.cells}
                yield from _duplicates(
                    (c.id for c in line.cells), line_loc, "cells", line_path, "cell"
                )
                for cj, cell in enumerate(line.cells):
                    cell_loc: Location = (*line_loc, "cells", cj)
                    cell_path = f"{line_path}/{cell.id}"
                    yield from _duplicates(
                        (e.id for e in cell.equipment),
                        cell_loc,
                        "equipment",
                        cell_path,
                        "equipment",
                    )
                    for ei, eq in enumerate(cell.equipment):
                        eq_loc: Location = (*cell_loc, "equipment", ei)
                        eq_path = f"{cell_path}/{eq.id}"
                        eq_class = classes.get(eq.class_)
                        if eq_class is None:
                            yield Issue(
                                "model.unknown_class",
                                f"equipment {eq.id!r} has unknown class {eq.class_!r}",
                                (*eq_loc, "class"),
                                eq_path,
                                "one of " + (", ".join(sorted(classes)) or "no classes"),
                                ref=eq.class_,
                            )
                            continue
                        tags = {t.name: t for t in eq_class.tags}
                        for ti, override in enumerate(eq.tags):
                            definition = tags.get(override.name)
                            if definition is None:
                                yield Issue(
                                    "model.unknown_tag",
                                    f"tag {override.name!r} is not a tag of class {eq_class.id!r}",
                                    (*eq_loc, "tags", ti, "name"),
                                    f"{eq_path}/{override.name}",
                                    "one of " + (", ".join(sorted(tags)) or "none"),
                                    ref=f"{eq_class.id}/{override.name}",
                                )
                            elif override.unit is not None:
                                try:
                                    conversion(override.unit, definition.unit)
                                except UnitError as exc:
                                    yield Issue(
                                        "model.unit_mismatch",
                                        str(exc),
                                        (*eq_loc, "tags", ti, "unit"),
                                        f"{eq_path}/{override.name}",
                                        f"a unit convertible to {definition.unit}",
                                    )

    for pi, product in enumerate(plant.products):
        stations: set[str] = set()
        routed: set[str] = set()
        for ri, routing in enumerate(product.routings):
            if routing.line in routed:
                yield Issue(
                    "model.duplicate_id",
                    f"product {product.id!r} has two routings on line {routing.line!r}",
                    ("products", pi, "routings", ri, "line"),
                    product.id,
                    "one routing per product and line",
                )
            routed.add(routing.line)
            cells = line_cells.get(routing.line)
            if cells is None:
                yield Issue(
                    "model.dangling_routing",
                    f"product {product.id!r} is routed on unknown line {routing.line!r}",
                    ("products", pi, "routings", ri, "line"),
                    product.id,
                    "a line path site/area/line, one of " + ", ".join(sorted(line_cells)[:8]),
                    ref=routing.line,
                )
                continue
            order = {cell_id: position for position, cell_id in enumerate(cells)}
            visited: dict[str, int] = {}
            for sj, step in enumerate(routing.steps):
                stations.add(step.cell)
                yield from _check_step_order(
                    step.cell,
                    sj,
                    visited,
                    order,
                    ("products", pi, "routings", ri, "steps", sj),
                    f"{root}/{routing.line}",
                    product.id,
                )
                visited.setdefault(step.cell, sj)
                if step.cell not in cells:
                    yield Issue(
                        "model.dangling_routing_step",
                        f"routing step {sj + 1} of product {product.id!r} names cell "
                        f"{step.cell!r}, which line {routing.line!r} does not have",
                        ("products", pi, "routings", ri, "steps", sj, "cell"),
                        f"{root}/{routing.line}",
                        "one of " + ", ".join(sorted(cells)),
                        ref=step.cell,
                    )
                    continue
                yield from _check_station(
                    cells[step.cell],
                    cycle_time_s=step.cycle_time_s,
                    classes=classes,
                    location=("products", pi, "routings", ri, "steps", sj),
                    cell_path=f"{root}/{routing.line}/{step.cell}",
                    product_id=product.id,
                )
        measured: set[tuple[str, str]] = set()
        for li, limit in enumerate(product.spec_limits):
            if (limit.parameter, limit.cell) in measured:
                yield Issue(
                    "model.duplicate_id",
                    f"spec limits of {limit.parameter!r} at cell {limit.cell!r} given twice",
                    ("products", pi, "spec_limits", li, "parameter"),
                    product.id,
                    "one set of limits per parameter and cell",
                )
            measured.add((limit.parameter, limit.cell))
            if limit.target is not None and (
                (limit.lsl is not None and limit.target < limit.lsl)
                or (limit.usl is not None and limit.target > limit.usl)
            ):
                yield Issue(
                    "model.bad_limits",
                    f"target {limit.target} of {limit.parameter!r} lies outside its "
                    f"limits [{limit.lsl}, {limit.usl}]",
                    ("products", pi, "spec_limits", li, "target"),
                    product.id,
                    "lsl <= target <= usl",
                )
            if limit.lsl is not None and limit.usl is not None and limit.lsl >= limit.usl:
                yield Issue(
                    "model.bad_limits",
                    f"spec limits of {limit.parameter!r}: lsl {limit.lsl} >= usl {limit.usl}",
                    ("products", pi, "spec_limits", li),
                    product.id,
                    "lsl < usl",
                )
            if not is_unit(limit.unit):
                yield Issue(
                    "model.unknown_unit",
                    f"parameter {limit.parameter!r} has unknown unit {limit.unit!r}",
                    ("products", pi, "spec_limits", li, "unit"),
                    product.id,
                    "a unit pint understands",
                )
            if stations and limit.cell not in stations:
                yield Issue(
                    "model.unknown_station",
                    f"parameter {limit.parameter!r} is measured "
                    f"at cell {limit.cell!r}, which no routing of the product visits",
                    ("products", pi, "spec_limits", li, "cell"),
                    product.id,
                    "one of " + ", ".join(sorted(stations)),
                )


def _check_degradation(mode: FailureMode, location: Location, class_id: str) -> Iterator[Issue]:
    """Check a ``pf`` mode's P-F interval and that some signal can show its potential failure."""
    if mode.degradation != "pf":
        return
    path = f"{class_id}/{mode.id}"
    if mode.pf_interval_h is None:
        yield Issue(
            "model.bad_pf_interval",
            f"failure mode {mode.id!r} degrades pf but gives no pf_interval_h",
            (*location, "degradation"),
            path,
            "pf_interval_h: the mean P-F interval in operating hours, below mtbf_h",
        )
    elif mode.pf_interval_h >= mode.mtbf_h:
        yield Issue(
            "model.bad_pf_interval",
            f"failure mode {mode.id!r} has a P-F interval of {mode.pf_interval_h} h, not below "
            f"its MTBF of {mode.mtbf_h} h: the potential failure would come before it is new",
            (*location, "pf_interval_h"),
            path,
            "pf_interval_h < mtbf_h (both in operating hours)",
        )
    if not mode.signals:
        yield Issue(
            "model.pf_without_signal",
            f"failure mode {mode.id!r} degrades pf but lists no signals: nothing would show "
            "its potential failure",
            (*location, "degradation"),
            path,
            "signals naming the condition tags that show it, or degradation: random",
        )


def _check_step_order(  # noqa: PLR0917 (a private helper of one caller, read in place)
    cell_id: str,
    index: int,
    visited: Mapping[str, int],
    order: Mapping[str, int],
    location: Location,
    line_path: str,
    product_id: str,
) -> Iterator[Issue]:
    """A routing visits each cell once, in the line's flow order (its ``cells`` order)."""
    if cell_id in visited:
        yield Issue(
            "model.bad_routing",
            f"routing step {index + 1} of product {product_id!r} visits cell {cell_id!r} "
            f"again (step {visited[cell_id] + 1} did)",
            (*location, "cell"),
            line_path,
            "each cell of a line at most once per routing (rework is a separate routing)",
        )
        return
    if cell_id not in order:
        return  # reported as a dangling step
    before = [c for c in visited if c in order and order[c] > order[cell_id]]
    if before:
        yield Issue(
            "model.bad_routing",
            f"routing step {index + 1} of product {product_id!r} goes back to cell "
            f"{cell_id!r}, which the line has before {before[0]!r}",
            (*location, "cell"),
            line_path,
            "steps in the line's cell order: " + ", ".join(order),
        )


def _check_station(
    cell: Cell,
    *,
    cycle_time_s: float | None,
    classes: Mapping[str, EquipmentClass],
    location: Location,
    cell_path: str,
    product_id: str,
) -> Iterator[Issue]:
    """A routed cell must have equipment, and a cycle time from the step or its equipment."""
    if not cell.equipment:
        yield Issue(
            "model.empty_station",
            f"product {product_id!r} is routed through cell {cell.id!r}, which has no equipment",
            (*location, "cell"),
            cell_path,
            "at least one equipment in a routed cell",
        )
        return
    if cycle_time_s is not None:
        return
    for eq in cell.equipment:
        eq_class = classes.get(eq.class_)
        if eq_class is None:
            continue  # reported as an unknown class
        if eq.ideal_cycle_time_s is None and eq_class.ideal_cycle_time_s is None:
            yield Issue(
                "model.missing_cycle_time",
                f"routing step of {product_id!r} at cell {cell.id!r} has no cycle time, and "
                f"neither equipment {eq.id!r} nor its class {eq_class.id!r} has one",
                (*location, "cell"),
                f"{cell_path}/{eq.id}",
                "cycle_time_s on the step, or ideal_cycle_time_s on the equipment or class",
            )


def _week_span(day: Weekday, clock: str, minutes: float) -> tuple[int, int]:
    begin = _DAY_INDEX[day] * 24 * 60 + _minutes(clock)
    return begin, begin + round(minutes)


def _check_windows(site: Site, location: Location, site_path: str) -> Iterator[Issue]:
    """Maintenance windows of a site do not overlap each other.

    A window may overlap a shift: production stops for it (the calendar takes the window
    out of planned production time), so a site that works around the clock needs no hole in
    its shifts to have one.
    """
    window_spans: list[tuple[int, tuple[int, int]]] = []
    for index, window in enumerate(site.maintenance_windows):
        span = _week_span(window.day, window.start, window.duration_h * 60)
        other_window = next((i for i, other in window_spans if _overlap(span, other)), None)
        if other_window is not None:
            yield Issue(
                "model.overlapping_windows",
                f"maintenance window {window.id!r} overlaps window "
                f"{site.maintenance_windows[other_window].id!r}",
                (*location, "maintenance_windows", index),
                site_path,
                "maintenance windows that do not overlap",
            )
        window_spans.append((index, span))


def _check_restorations(
    plant: PlantModel, classes: Mapping[str, EquipmentClass]
) -> Iterator[Issue]:
    """Each ``restored`` date names a failure mode of the class, after the installation."""
    root = plant.enterprise.id
    for si, site in enumerate(plant.sites):
        for ai, area in enumerate(site.areas):
            for li, line in enumerate(area.lines):
                for ci, cell in enumerate(line.cells):
                    for ei, eq in enumerate(cell.equipment):
                        cls = classes.get(eq.class_)
                        if cls is None or not eq.restored:
                            continue
                        location: Location = (
                            "sites",
                            si,
                            "areas",
                            ai,
                            "lines",
                            li,
                            "cells",
                            ci,
                            "equipment",
                            ei,
                        )
                        path = f"{root}/{site.id}/{area.id}/{line.id}/{cell.id}/{eq.id}"
                        modes = {m.id for m in cls.failure_modes}
                        for mode_id, day in eq.restored.items():
                            if mode_id not in modes:
                                yield Issue(
                                    "model.unknown_failure_mode",
                                    f"equipment {eq.id!r} restores unknown failure mode "
                                    f"{mode_id!r}",
                                    (*location, "restored", mode_id),
                                    path,
                                    "one of the class's failure modes: "
                                    + (", ".join(sorted(modes)) or "none"),
                                    ref=mode_id,
                                )
                            elif eq.installed is not None and day < eq.installed:
                                yield Issue(
                                    "model.bad_date",
                                    f"equipment {eq.id!r} restores {mode_id!r} on {day}, "
                                    f"before it was installed on {eq.installed}",
                                    (*location, "restored", mode_id),
                                    path,
                                    "a restoration date on or after the installation date",
                                )


def _check_stock(plant: PlantModel, classes: Mapping[str, EquipmentClass]) -> Iterator[Issue]:
    """A part that a site's equipment needs for a repair must have a stock entry at that site."""
    needed: dict[str, dict[str, str]] = defaultdict(dict)  # part -> site -> first user
    for site in plant.sites:
        for area in site.areas:
            for line in area.lines:
                for cell in line.cells:
                    for eq in cell.equipment:
                        eq_class = classes.get(eq.class_)
                        for mode in eq_class.failure_modes if eq_class else ():
                            for part_id in mode.parts:
                                where = f"{area.id}/{line.id}/{cell.id}/{eq.id} ({mode.id})"
                                needed[part_id].setdefault(site.id, where)
    for pi, part in enumerate(plant.parts):
        for site_id, user in sorted(needed.get(part.id, {}).items()):
            if site_id not in part.stock:
                yield Issue(
                    "model.part_not_stocked",
                    f"part {part.id!r} is used to repair {user} at site {site_id!r} but has "
                    f"no stock entry there",
                    ("parts", pi, "stock"),
                    part.id,
                    f"a stock entry for {site_id!r} (0 is fine: it says the shelf is empty)",
                )


def _meter_owners(
    plant: PlantModel,
) -> Iterator[tuple[Location, str, tuple[Meter, ...], set[str]]]:
    """Yield every element with meters: location, path, its meters, the ids of its children."""
    root = plant.enterprise.id
    for si, site in enumerate(plant.sites):
        site_loc: Location = ("sites", si)
        yield site_loc, f"{root}/{site.id}", site.meters, {a.id for a in site.areas}
        for ai, area in enumerate(site.areas):
            area_loc: Location = (*site_loc, "areas", ai)
            area_path = f"{root}/{site.id}/{area.id}"
            yield area_loc, area_path, area.meters, {ln.id for ln in area.lines}
            for li, line in enumerate(area.lines):
                line_loc: Location = (*area_loc, "lines", li)
                line_path = f"{area_path}/{line.id}"
                yield line_loc, line_path, line.meters, {c.id for c in line.cells}
                for ci, cell in enumerate(line.cells):
                    cell_loc: Location = (*line_loc, "cells", ci)
                    cell_path = f"{line_path}/{cell.id}"
                    yield cell_loc, cell_path, cell.meters, {e.id for e in cell.equipment}
                    for ei, eq in enumerate(cell.equipment):
                        yield (*cell_loc, "equipment", ei), f"{cell_path}/{eq.id}", eq.meters, set()


def _check_meters(plant: PlantModel) -> Iterator[Issue]:
    """A meter's path is its owner's path plus its id: it must not name a child element too.

    The same path is the MQTT topic prefix and the store key, so two things on one path
    would mix their records. Tag paths of equipment are checked the same way.
    """
    classes = {c.id: c for c in plant.equipment_classes}
    node_ids: dict[tuple[str, str], str] = {}
    for location, path, meters, children in _meter_owners(plant):
        yield from _duplicates((m.id for m in meters), location, "meters", path, "meter")
        for mi, meter in enumerate(meters):
            if meter.id in children:
                yield Issue(
                    "model.duplicate_path",
                    f"meter {meter.id!r} has the path of a child element, {path}/{meter.id}",
                    (*location, "meters", mi, "id"),
                    f"{path}/{meter.id}",
                    "a meter id that no child of its element uses",
                )
        if location[-2:-1] != ("equipment",):
            continue
        site, eq = _equipment_at(plant, location)
        eq_class = classes.get(eq.class_)
        tag_names = {t.name for t in eq_class.tags} if eq_class else set()
        for mi, meter in enumerate(meters):
            if meter.id in tag_names:
                yield Issue(
                    "model.duplicate_path",
                    f"meter {meter.id!r} has the path of a tag of the equipment",
                    (*location, "meters", mi, "id"),
                    f"{path}/{meter.id}",
                    "a meter id that is not a tag name of the equipment's class",
                )
        yield from _duplicates((t.name for t in eq.tags), location, "tags", path, "tag override")
        for ti, override in enumerate(eq.tags):
            if override.node_id is None:
                continue
            first = node_ids.setdefault((site, override.node_id), f"{path}/{override.name}")
            if first != f"{path}/{override.name}":
                yield Issue(
                    "model.duplicate_node_id",
                    f"OPC UA node {override.node_id!r} already feeds tag {first}",
                    (*location, "tags", ti, "node_id"),
                    f"{path}/{override.name}",
                    "one OPC UA node per tag within a site",
                )


def _equipment_at(plant: PlantModel, location: Location) -> tuple[str, Equipment]:
    """Return the site id and the equipment at a location ``sites, i, areas, j, ...``."""
    _, si, _, ai, _, li, _, ci, _, ei = location
    site = plant.sites[int(si)]
    cell = site.areas[int(ai)].lines[int(li)].cells[int(ci)]
    return site.id, cell.equipment[int(ei)]
