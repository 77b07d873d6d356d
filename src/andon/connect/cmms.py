"""Work orders exported from a CMMS (CSV) read as maintenance records, row by row.

A CMMS (Maximo, SAP PM, Fiix, eMaint, a spreadsheet) exports one row per work order: its
number, the asset, a failure mode or problem code, a type (corrective, preventive,
inspection), when it was opened, started and completed, the downtime, the parts used and
the crew. Each readable row becomes up to three ``maintenance`` records (``opened``,
``started``, ``closed``) of :mod:`andon.records`, which then pass the contracts like any
connector's.

Columns are found by name: each field has a list of the names CMMS exports give it
(:data:`COLUMN_NAMES`, compared in lower case with spaces and punctuation as ``_``), and
``columns`` maps a column to a field where the names differ. The asset is resolved against
the model: an equipment path (a leading ``/`` or a path below the enterprise allowed), an
equipment id that only one equipment of the model (or of the row's site) has, or an alias
from ``assets`` (the CMMS asset number). Problem codes are the class's failure mode ids,
or mapped by ``codes``; types are the words of :data:`KIND_WORDS` or of ``kinds``.

Times are ISO 8601 (or ``time_format``, a ``strptime`` format): a time with an offset is
taken as written, one without is local time in ``timezone`` or, by default, in the zone of
the asset's site (in the repeated hour of a DST change, the earlier instant). A missing
start is the completion less the downtime when both are given.

Only a file that cannot be read as a table is refused as a whole (a
:class:`~andon.errors.ConnectError`: no such file, no header, a column named twice, a
mapping that names no column, no work order, asset, type or time column). Anything wrong
in a row quarantines that row with its reason, its row number and its cells, and the rest
is stored. Every row read is noted under the SHA-256 of its cells and of what reading it
depended on (the options and the model's assets, modes and parts), in the transaction that
stores it: importing the same file again, or a later export that repeats its rows, stores
and quarantines nothing twice; a row is read again once the model or the options change.

>>> from andon.model import load_model
>>> model = load_model("examples/discrete")
>>> assets = AssetIndex(model)
>>> assets.resolve("acme/lyon/machining/m1/milling/mill1")
'acme/lyon/machining/m1/milling/mill1'
>>> assets.resolve("MILL1", site="brno")
'acme/brno/machining/m1/milling/mill1'
>>> kind_of("EM"), kind_of("PM")
('failure', 'preventive')
>>> parse_parts("BRG-7014 x2; SEAL-KIT-P")
{'BRG-7014': 2, 'SEAL-KIT-P': 1}
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import re
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa

from andon.connect.decoded import Batch
from andon.errors import ConnectError
from andon.records import TS_TYPE, MaintenanceEvent, MaintenanceKind, RecordKind, schema_of
from andon.store import AuxTable
from andon.store.base import QUARANTINE_SCHEMA
from andon.time import HOUR_US, from_datetime

if TYPE_CHECKING:
    from andon.connect.pipeline import Pipeline
    from andon.model import Model

__all__ = [
    "COLUMN_NAMES",
    "FIELDS",
    "KIND_WORDS",
    "AssetIndex",
    "RowProblem",
    "WorkOrder",
    "WorkOrderFile",
    "WorkOrderImport",
    "import_work_orders",
    "kind_of",
    "parse_parts",
    "read_work_orders",
    "work_order_records",
]

FIELDS: Final = (
    *("work_order", "asset", "site", "failure_mode", "kind", "opened", "started", "completed"),
    *("downtime", "parts", "crew"),
)
"""The fields a work-order row may give; ``work_order``, ``asset``, ``kind`` and one time
are required."""


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


COLUMN_NAMES: Final[Mapping[str, tuple[str, ...]]] = {
    "work_order": _names(
        "work_order wonum work_order_number work_order_no wo_number wo order order_number aufnr"
    ),
    "asset": _names(
        "asset assetnum asset_id asset_number asset_tag equipment "
        "equipment_id equipment_path equnr path tag machine"
    ),
    "site": _names("site siteid site_id plant werks"),
    "failure_mode": _names(
        "failure_mode failurecode failure_code problemcode "
        "problem_code problem damage_code fecod mode"
    ),
    "kind": _names("kind worktype work_type type wo_type order_type maintenance_type auart"),
    "opened": _names(
        "opened reportdate report_date reported reported_at "
        "created created_at created_on creation_date opened_at erdat"
    ),
    "started": _names("started actstart actual_start start start_time started_at gstri"),
    "completed": _names(
        "completed actfinish actual_finish finished closed "
        "completion_date completed_at finished_at end end_time getri"
    ),
    "downtime": _names(
        "downtime downtime_h downtime_hours downtime_hrs down_time breakdown_duration"
    ),
    "parts": _names("parts parts_used spare_parts materials material components"),
    "crew": _names("crew crewid crew_id team work_center workcenter arbpl"),
}
"""Column names CMMS exports give each field, in the order they are looked for."""

KIND_WORDS: Final[Mapping[str, MaintenanceKind]] = {
    **dict.fromkeys(
        ("failure", "breakdown", "emergency", "em", "bd", "brk", "fail", "unplanned"),
        MaintenanceKind.FAILURE,
    ),
    **dict.fromkeys(
        ("corrective", "cm", "cor", "repair", "correction", "defect"), MaintenanceKind.CORRECTIVE
    ),
    **dict.fromkeys(
        ("preventive", "preventative", "pm", "ppm", "planned", "scheduled", "overhaul"),
        MaintenanceKind.PREVENTIVE,
    ),
    **dict.fromkeys(
        ("inspection", "insp", "ins", "check", "round", "pdm", "cbm"), MaintenanceKind.INSPECTION
    ),
}
"""Work-order types as CMMS exports write them, in lower case, and the kind each means."""

DOWNTIME_UNITS: Final[Mapping[str, float]] = {"h": 1.0, "min": 1 / 60, "s": 1 / 3600}
"""Units of the downtime column, in hours."""

_IMPORTS_TABLE: Final = "cmms_imports"
_IMPORTS_SCHEMA: Final = pa.schema(
    [
        pa.field("row_sha256", pa.string(), nullable=False),
        pa.field("file", pa.string()),
        pa.field("row", pa.int64(), nullable=False),
        pa.field("quarantined", pa.bool_(), nullable=False),
        pa.field("imported_at", TS_TYPE, nullable=False),
    ]
)
_WRONG_TYPE: Final = "wrong_type"
_BAD_ENUM: Final = "bad_enum"
_UNKNOWN_PATH: Final = "unknown_path"
_OUT_OF_RANGE: Final = "out_of_range"
_FUTURE: Final = "future"
_MAX_TEXT: Final = 200
_PART_ITEM: Final = re.compile(
    r"^\s*(?:(?P<pre>\d+)\s*[x\u00d7*]\s*)?(?P<part>[^\s:=()x\u00d7*][^:=()]*?)"
    r"\s*(?:[:=]\s*(?P<post>\d+)|\s[x\u00d7*]\s*(?P<times>\d+)|\((?P<paren>\d+)\))?\s*$",
    re.IGNORECASE,
)


def _normal(name: str) -> str:
    """A column name or a word as compared: lower case, runs of other characters as ``_``."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def kind_of(word: str, extra: Mapping[str, MaintenanceKind] | None = None) -> str | None:
    """Return the maintenance kind a work-order type means, or ``None`` when unknown."""
    key = _normal(word)
    for words in (extra or {}, KIND_WORDS):
        found = {_normal(k): v for k, v in words.items()}.get(key)
        if found is not None:
            return MaintenanceKind(found).value
    return None


def parse_parts(text: str) -> dict[str, int]:
    """Return the parts of a ``parts used`` cell as part -> quantity.

    Reads a JSON object (``{"BRG-7014": 2}``) or a list separated by ``;``, ``|``, ``,`` or
    new lines whose items are ``PART``, ``PART:2``, ``PART=2``, ``PART x2``, ``2x PART`` or
    ``PART (2)``. Raises :class:`ValueError` naming the item that does not read.
    """
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        loaded = json.loads(text)
        if not isinstance(loaded, dict):
            msg = "a JSON parts cell must be an object of part -> quantity"
            raise ValueError(msg)
        items = [(str(k), v) for k, v in loaded.items()]
    else:
        items = []
        for item in re.split(r"[;|,\n]", text):
            if not item.strip():
                continue
            match = _PART_ITEM.match(item)
            if match is None:
                msg = f"part {item.strip()!r} is not PART, PART:QTY, PART xQTY or QTYx PART"
                raise ValueError(msg)
            qty = next(
                (match[g] for g in ("pre", "post", "times", "paren") if match[g] is not None), "1"
            )
            items.append((match["part"].strip(), int(qty)))
    parts: dict[str, int] = {}
    for part, qty in items:
        if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
            msg = f"part {part!r}: quantity {qty!r} is not a whole number above 0"
            raise ValueError(msg)
        parts[part] = parts.get(part, 0) + qty
    return parts


class AssetIndex:
    """Resolves a CMMS asset (path, equipment id, alias) to a model equipment path."""

    def __init__(self, model: Model, aliases: Mapping[str, str] | None = None) -> None:
        self.model = model
        self._paths = {path.lower(): path for path in model.equipment}
        self._tags = {
            tag.lower(): info.path
            for info in model.equipment.values()
            for tag in (f"{info.path}/{t.name}" for t in info.equipment_class.tags)
        }
        self._ids: dict[str, list[str]] = {}
        self._sites: dict[str, str] = {}
        for path, info in model.equipment.items():
            self._ids.setdefault(info.equipment.id.lower(), []).append(path)
            self._sites[info.site.id.lower()] = info.site_path
        for site_path in model.sites:
            self._sites[site_path.lower()] = site_path
        self.aliases: dict[str, str] = {}
        for alias, target in (aliases or {}).items():
            named = self._paths.get(target.strip().strip("/").lower())
            if named is None:
                msg = f"asset alias {alias!r} names {target!r}, which is no equipment of the model"
                raise ConnectError(msg, code="connect.cmms")
            self.aliases[alias.strip().lower()] = named

    def site(self, text: str) -> str | None:
        """Return the site path a site cell names (id or path), or ``None``."""
        return self._sites.get(text.strip().strip("/").lower())

    def resolve(self, text: str, *, site: str | None = None) -> str | tuple[str, ...]:
        """Return the equipment path ``text`` names, or the candidates when it names none
        (empty) or several (an id that more than one site has)."""
        key = text.strip().lower()
        if key in self.aliases:
            return self.aliases[key]
        bare = key.strip("/")
        if bare in self._paths:
            return self._paths[bare]
        if bare in self._tags:
            return self._tags[bare]
        below = f"{self.model.root.lower()}/{bare}"
        if below in self._paths:
            return self._paths[below]
        site_path = self.site(site) if site else None
        candidates = [
            p for p in self._ids.get(bare, []) if site_path is None or p.startswith(site_path + "/")
        ]
        suffix = [p for p in self._paths.values() if p.lower().endswith("/" + bare)]
        for found in (candidates, suffix):
            if len(found) == 1:
                return found[0]
        return tuple(sorted(candidates or suffix))


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderFile:
    """How to read one CMMS export."""

    path: Path
    columns: Mapping[str, str] = field(default_factory=dict)
    """Column name -> field, where the export's names are not in :data:`COLUMN_NAMES`."""
    assets: Mapping[str, str] = field(default_factory=dict)
    """CMMS asset (number, tag, location) -> equipment path."""
    kinds: Mapping[str, MaintenanceKind] = field(default_factory=dict)
    """Work-order type -> kind, beside :data:`KIND_WORDS` (e.g. SAP ``PM02`` -> preventive)."""
    codes: Mapping[str, str] = field(default_factory=dict)
    """Problem or failure code -> failure mode id of the class."""
    timezone: str | None = None
    """Zone of times written without an offset; ``None``: the zone of the asset's site."""
    time_format: str | None = None
    """``strptime`` format of the times (``%d.%m.%Y %H:%M``); ``None``: ISO 8601."""
    delimiter: str | None = None
    """Field separator; ``None``: the one of ``, ; tab |`` the header has most of."""
    downtime_unit: str = "h"
    """Unit of the downtime column: ``h``, ``min`` or ``s``."""
    source: str = "cmms"
    """The records' ``source``: one per CMMS, so that its later exports repeat, not add."""
    chunk_rows: int = 5_000
    """Rows written per transaction."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrder:
    """One row read: a work order of an equipment, with the times of its events."""

    row: int
    work_order: str
    path: str
    kind: str
    failure_mode: str | None
    opened_us: int | None
    started_us: int | None
    closed_us: int | None
    parts: Mapping[str, int] = field(default_factory=dict)
    crew: str | None = None
    downtime_h: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RowProblem:
    """One row that cannot be stored: the reason code, the sentence, the row's cells."""

    row: int
    line: int
    reason: str
    detail: str
    cells: Mapping[str, str | None]
    ts_us: int | None = None
    path: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrderImport:
    """What :func:`import_work_orders` did with one file."""

    path: Path
    rows: int
    """Rows of the file read in this import."""
    seen_rows: int
    """Rows an earlier import had read already (same cells, same options), not read again."""
    work_orders: int
    """Rows stored as work orders in this import."""
    written: int
    """Maintenance records written."""
    duplicates: int
    """Records the store held already (a work order another export gave the same way)."""
    quarantined: dict[str, int] = field(default_factory=dict)


# --- the header ---------------------------------------------------------------------------


def _fields_of(spec: WorkOrderFile, header: Sequence[str]) -> dict[str, int]:
    """Return the column index of each field the header gives; refuse a header that lacks
    a required field or names a column twice."""
    where = spec.path.name
    names = [h.strip() for h in header]
    normal = [_normal(h) for h in names]
    twice = sorted({n for n in names if names.count(n) > 1 and n})
    if twice:
        msg = f"{where}: column(s) {', '.join(map(repr, twice))} appear more than once"
        raise ConnectError(msg, code="connect.cmms")
    found: dict[str, int] = {}
    for column, name in spec.columns.items():
        if name not in FIELDS:
            msg = f"--map {column}={name}: {name!r} is not a field; use one of {', '.join(FIELDS)}"
            raise ConnectError(msg, code="connect.cmms")
        wanted = _normal(column)
        if wanted not in normal:
            msg = f"--map {column}={name}: {where} has no column {column!r} (columns: {names})"
            raise ConnectError(msg, code="connect.cmms")
        found[name] = normal.index(wanted)
    taken = set(found.values())
    for name in FIELDS:
        if name in found:
            continue
        for synonym in COLUMN_NAMES[name]:
            if synonym in normal and normal.index(synonym) not in taken:
                found[name] = normal.index(synonym)
                taken.add(found[name])
                break
    missing = [n for n in ("work_order", "asset", "kind") if n not in found]
    if not any(n in found for n in ("opened", "started", "completed")):
        missing.append("opened, started or completed")
    if missing:
        msg = (
            f"{where}: no column for {', '.join(missing)} (columns: {names}); "
            "name one with --map COLUMN=FIELD"
        )
        raise ConnectError(msg, code="connect.cmms")
    return found


def _sniff(line: str) -> str:
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


# --- one row ------------------------------------------------------------------------------


class _RowError(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _clean(text: str | None, what: str) -> str | None:
    """Return a cell stripped (``None`` when empty); refuse text that is not UTF-8 or holds
    control characters (a store cannot keep a NUL)."""
    if text is None:
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        msg = f"the {what} is not UTF-8 text"
        raise _RowError(_WRONG_TYPE, msg) from None
    text = text.strip()
    if not text:
        return None
    if any(unicodedata.category(c) == "Cc" for c in text):
        msg = f"the {what} {text!r} holds control characters"
        raise _RowError(_WRONG_TYPE, msg)
    return text


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = f"time zone {name!r} is not an IANA zone such as Europe/Paris"
        raise ConnectError(msg, code="connect.cmms") from exc


def _time(text: str, what: str, spec: WorkOrderFile, zone: ZoneInfo) -> int:
    try:
        if spec.time_format:
            moment = dt.datetime.strptime(text, spec.time_format)  # noqa: DTZ007 - zoned below
        else:
            moment = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        expected = spec.time_format or "ISO 8601 such as 2026-01-05 07:30 or with +01:00"
        msg = f"{what} {text!r} is not a time ({expected})"
        raise _RowError(_WRONG_TYPE, msg) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone, fold=0)
    try:
        return from_datetime(moment)
    except (OverflowError, ValueError):
        msg = f"{what} {text!r} lies outside the years 1 to 9999 in UTC"
        raise _RowError(_OUT_OF_RANGE, msg) from None


def _hours(text: str, spec: WorkOrderFile) -> float:
    unit = DOWNTIME_UNITS[spec.downtime_unit]
    clock = re.fullmatch(r"(\d+):([0-5]\d)(?::([0-5]\d))?", text)
    if clock:
        h, m, s = int(clock[1]), int(clock[2]), int(clock[3] or 0)
        return h + m / 60 + s / 3600
    try:
        value = float(text.replace(",", ".")) if text.count(",") == 1 else float(text)
    except ValueError:
        msg = f"downtime {text!r} is not a number of {spec.downtime_unit} (or h:mm)"
        raise _RowError(_WRONG_TYPE, msg) from None
    hours = value * unit
    if not (0.0 <= hours < 1e6):
        msg = f"downtime {text!r} is not between 0 and a million hours"
        raise _RowError(_OUT_OF_RANGE, msg)
    return hours


@dataclass(frozen=True, slots=True)
class _Reader:
    """What reading one row needs: the spec, the model's look-ups, the clock."""

    spec: WorkOrderFile
    assets: AssetIndex
    fields: Mapping[str, int]
    now_us: int
    future_us: int
    zone: ZoneInfo | None

    def cell(self, cells: Sequence[str], name: str) -> str | None:
        index = self.fields.get(name)
        if index is None or index >= len(cells):
            return None
        return _clean(cells[index], name.replace("_", " "))

    def row(self, cells: Sequence[str], row: int) -> WorkOrder:
        """Read one row, or raise :class:`_RowError` with the first thing wrong in it."""
        model = self.assets.model
        work_order = self.cell(cells, "work_order")
        if work_order is None:
            raise _RowError(_WRONG_TYPE, "the work order number is empty")
        if len(work_order) > _MAX_TEXT:
            msg = f"the work order number is longer than {_MAX_TEXT} characters"
            raise _RowError(_WRONG_TYPE, msg)
        asset = self.cell(cells, "asset")
        if asset is None:
            raise _RowError(_WRONG_TYPE, "the asset is empty")
        site = self.cell(cells, "site")
        if site is not None and self.assets.site(site) is None:
            raise _RowError(_UNKNOWN_PATH, f"site {site!r} is not a site of the plant model")
        path = self.assets.resolve(asset, site=site)
        if isinstance(path, tuple):
            if path:
                msg = (
                    f"asset {asset!r} is more than one equipment: {', '.join(path)}; give the site"
                )
            else:
                msg = (
                    f"asset {asset!r} is no equipment of the plant model (by path, id or alias; "
                    "map CMMS asset numbers with --asset NUMBER=PATH)"
                )
            raise _RowError(_UNKNOWN_PATH, msg)
        info = model.equipment[path]
        word = self.cell(cells, "kind")
        if word is None:
            raise _RowError(_WRONG_TYPE, "the work order type is empty")
        kind = kind_of(word, self.spec.kinds)
        if kind is None:
            msg = (
                f"work order type {word!r} is not corrective, preventive, inspection or failure "
                "(map it with --kind WORD=KIND)"
            )
            raise _RowError(_BAD_ENUM, msg)
        mode = self._mode(cells, info.equipment_class.failure_modes, info.equipment_class.id)
        parts = self._parts(cells)
        crew = self.cell(cells, "crew")
        zone = self.zone or _zone(info.site.timezone)
        times: dict[str, int | None] = {}
        for name in ("opened", "started", "completed"):
            text = self.cell(cells, name)
            times[name] = None if text is None else _time(text, name, self.spec, zone)
        text = self.cell(cells, "downtime")
        downtime = None if text is None else _hours(text, self.spec)
        if times["started"] is None and times["completed"] is not None and downtime is not None:
            times["started"] = times["completed"] - round(downtime * HOUR_US)
        given = [(n, t) for n, t in times.items() if t is not None]
        if not given:
            raise _RowError(_WRONG_TYPE, "no opened, started or completed time")
        for (a, ta), (b, tb) in itertools.pairwise(given):
            if tb < ta:
                msg = f"{b} {_iso(tb)} is before {a} {_iso(ta)}"
                raise _RowError(_OUT_OF_RANGE, msg)
        last_name, last = given[-1]
        if last > self.future_us:
            msg = f"{last_name} {_iso(last)} is in the future (now {_iso(self.now_us)})"
            raise _RowError(_FUTURE, msg)
        return WorkOrder(
            row=row,
            work_order=work_order,
            path=path,
            kind=kind,
            failure_mode=mode,
            opened_us=times["opened"],
            started_us=times["started"],
            closed_us=times["completed"],
            parts=parts,
            crew=crew,
            downtime_h=downtime,
        )

    def _mode(self, cells: Sequence[str], modes: Sequence[object], class_id: str) -> str | None:
        code = self.cell(cells, "failure_mode")
        if code is None:
            return None
        ids = {str(getattr(m, "id", "")).lower(): str(getattr(m, "id", "")) for m in modes}
        mapped = {k.strip().lower(): v for k, v in self.spec.codes.items()}.get(code.lower(), code)
        found = ids.get(mapped.lower())
        if found is None:
            msg = (
                f"failure mode or problem code {code!r} is not a failure mode of class "
                f"{class_id!r} ({', '.join(ids.values()) or 'none'}; map codes with "
                "--code CODE=MODE)"
            )
            raise _RowError(_UNKNOWN_PATH, msg)
        return found

    def _parts(self, cells: Sequence[str]) -> dict[str, int]:
        text = self.cell(cells, "parts")
        if text is None:
            return {}
        try:
            given = parse_parts(text)
        except (ValueError, RecursionError) as exc:
            raise _RowError(_WRONG_TYPE, f"parts {text!r}: {exc}") from None
        known = {p.lower(): p for p in self.assets.model.parts}
        parts: dict[str, int] = {}
        for part, qty in given.items():
            found = known.get(part.lower())
            if found is None:
                msg = f"part {part!r} is not a spare part of the plant model"
                raise _RowError(_UNKNOWN_PATH, msg)
            parts[found] = parts.get(found, 0) + qty
        return parts


def _iso(micros: int) -> str:
    return dt.datetime.fromtimestamp(micros / 1e6, tz=dt.UTC).isoformat(timespec="minutes")


# --- the file -----------------------------------------------------------------------------


def _fingerprint(spec: WorkOrderFile, model: Model) -> bytes:
    """What reading a row depends on besides its cells: the options and the model's
    assets, modes and parts (a row is read again once these change)."""
    digest = hashlib.sha256()
    options = {
        "columns": sorted(spec.columns.items()),
        "assets": sorted(spec.assets.items()),
        "kinds": sorted((k, str(v)) for k, v in spec.kinds.items()),
        "codes": sorted(spec.codes.items()),
        "timezone": spec.timezone,
        "time_format": spec.time_format,
        "downtime_unit": spec.downtime_unit,
        "source": spec.source,
    }
    digest.update(json.dumps(options, sort_keys=True).encode())
    for path, info in sorted(model.equipment.items()):
        modes = ",".join(m.id for m in info.equipment_class.failure_modes)
        digest.update(f"{path}|{modes}|{info.site.timezone}\n".encode())
    digest.update("|".join(sorted(model.parts)).encode())
    return digest.digest()


def _row_sha256(fingerprint: bytes, cells: Sequence[str]) -> str:
    digest = hashlib.sha256(fingerprint)
    for cell in cells:
        digest.update(cell.encode("utf-8", "surrogateescape"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def _open_text(path: Path) -> io.TextIOWrapper:
    try:
        handle = path.open("rb")
    except FileNotFoundError as exc:
        msg = f"{path}: no such file"
        raise ConnectError(msg, code="connect.cmms") from exc
    except OSError as exc:
        msg = f"{path}: cannot read: {exc}"
        raise ConnectError(msg, code="connect.cmms") from exc
    # utf-8-sig: spreadsheet exports begin with a byte-order mark; surrogateescape keeps a
    # cell that is not UTF-8 readable as one bad row instead of stopping the file
    return io.TextIOWrapper(handle, encoding="utf-8-sig", errors="surrogateescape", newline="")


def read_work_orders(
    spec: WorkOrderFile, model: Model, *, now_us: int | None = None, future_bound_s: float = 300.0
) -> Iterator[tuple[int, list[str], WorkOrder | RowProblem]]:
    """Yield each data row of a CMMS export: its number (from 1), its cells, and the work
    order read from it or the problem that keeps it out, in file order."""
    if spec.downtime_unit not in DOWNTIME_UNITS:
        msg = f"downtime unit {spec.downtime_unit!r} is not one of {', '.join(DOWNTIME_UNITS)}"
        raise ConnectError(msg, code="connect.cmms")
    now = time.time_ns() // 1000 if now_us is None else now_us
    zone = _zone(spec.timezone) if spec.timezone else None
    assets = AssetIndex(model, spec.assets)
    with _open_text(spec.path) as text:
        try:
            first = text.readline()
        except OSError as exc:
            msg = f"{spec.path}: cannot read: {exc}"
            raise ConnectError(msg, code="connect.cmms") from exc
        if not first.strip():
            msg = f"{spec.path}: no header line (an empty file?)"
            raise ConnectError(msg, code="connect.cmms")
        delimiter = spec.delimiter or _sniff(first)
        try:
            header = next(csv.reader([first], delimiter=delimiter))
        except csv.Error as exc:
            msg = f"{spec.path}: the header does not read as CSV: {exc}"
            raise ConnectError(msg, code="connect.cmms") from exc
        try:
            "".join(header).encode("utf-8")
        except UnicodeEncodeError as exc:
            msg = f"{spec.path}: a column name is not UTF-8 text"
            raise ConnectError(msg, code="connect.cmms") from exc
        reader = _Reader(
            spec=spec,
            assets=assets,
            fields=_fields_of(spec, header),
            now_us=now,
            future_us=now + round(future_bound_s * 1e6),
            zone=zone,
        )
        yield from _rows(text, header, delimiter, reader)


def _rows(
    text: io.TextIOWrapper, header: list[str], delimiter: str, reader: _Reader
) -> Iterator[tuple[int, list[str], WorkOrder | RowProblem]]:
    lines = csv.reader(text, delimiter=delimiter)
    row = 0
    while True:
        line = lines.line_num + 2  # the header was line 1
        try:
            cells = next(lines)
        except StopIteration:
            return
        except csv.Error as exc:
            row += 1
            problem = RowProblem(
                row=row, line=line, reason=_WRONG_TYPE, detail=f"not a CSV row: {exc}", cells={}
            )
            yield row, [], problem
            continue
        if not any(c.strip() for c in cells):
            continue  # blank lines between rows are no rows
        row += 1
        named = _named(header, cells)
        if len(cells) != len(header):
            detail = f"{len(cells)} fields where the header has {len(header)}"
            yield (
                row,
                cells,
                RowProblem(row=row, line=line, reason=_WRONG_TYPE, detail=detail, cells=named),
            )
            continue
        try:
            yield row, cells, reader.row(cells, row)
        except _RowError as exc:
            yield (
                row,
                cells,
                RowProblem(row=row, line=line, reason=exc.reason, detail=exc.detail, cells=named),
            )


def _named(header: Sequence[str], cells: Sequence[str]) -> dict[str, str | None]:
    named: dict[str, str | None] = {}
    for index, cell in enumerate(cells):
        name = header[index].strip() if index < len(header) else f"extra_{index + 1}"
        named[name] = cell.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return named


def work_order_records(orders: Sequence[WorkOrder], *, source: str) -> pa.Table:
    """Return the ``maintenance`` records of work orders: one per event each order gives
    (``opened``, ``started``, ``closed``); the parts go on the last event. ``seq`` numbers
    the event (0, 1, 2), so the same work order exported twice is the same records."""
    columns: dict[str, list[object]] = {
        n: [] for n in ("ts", "seq", "work_order", "path", "kind", "event", "failure_mode", "parts")
    }
    for order in orders:
        events = [
            (seq, event, ts)
            for seq, (event, ts) in enumerate(
                (
                    (MaintenanceEvent.OPENED, order.opened_us),
                    (MaintenanceEvent.STARTED, order.started_us),
                    (MaintenanceEvent.CLOSED, order.closed_us),
                )
            )
            if ts is not None
        ]
        for index, (seq, event, ts) in enumerate(events):
            last = index == len(events) - 1
            columns["ts"].append(ts)
            columns["seq"].append(seq)
            columns["work_order"].append(order.work_order)
            columns["path"].append(order.path)
            columns["kind"].append(order.kind)
            columns["event"].append(event.value)
            columns["failure_mode"].append(order.failure_mode)
            columns["parts"].append(
                json.dumps(dict(sorted(order.parts.items()))) if last and order.parts else None
            )
    schema = schema_of(RecordKind.MAINTENANCE)
    n = len(columns["ts"])
    table = pa.Table.from_arrays(
        [
            pa.array(columns["ts"], pa.int64()).cast(TS_TYPE),
            pa.repeat(source, n).cast(pa.string()),
            pa.array(columns["seq"], pa.int64()),
            *(pa.array(columns[name], pa.string()) for name in schema.names[3:]),
        ],
        schema=schema,
    )
    # two rows of one order with the same times (operations of an SAP order) are one record
    keys = ["work_order", "event", "ts", "seq"]
    if n and table.group_by(keys).aggregate([]).num_rows < n:
        seen: set[tuple[object, ...]] = set()
        keep = []
        for key in zip(*(table.column(k).to_pylist() for k in keys), strict=True):
            keep.append(key not in seen)
            seen.add(key)
        table = table.filter(pa.array(keep))
    return table


def _quarantine(problems: Sequence[RowProblem], spec: WorkOrderFile, received: int) -> pa.Table:
    n = len(problems)
    return pa.Table.from_arrays(
        [
            pa.array([received] * n, pa.int64()).cast(TS_TYPE),
            pa.repeat(RecordKind.MAINTENANCE.value, n).cast(pa.string()),
            pa.repeat(spec.source, n).cast(pa.string()),
            pa.array([p.ts_us for p in problems], pa.int64()).cast(TS_TYPE),
            pa.array([p.path for p in problems], pa.string()),
            pa.array([p.reason for p in problems], pa.string()),
            pa.array(
                [f"{spec.path.name} row {p.row} (line {p.line}): {p.detail}" for p in problems],
                pa.string(),
            ),
            pa.array(
                [
                    json.dumps(
                        {"file": spec.path.name, "row": p.row, "line": p.line, **p.cells},
                        ensure_ascii=True,
                    )
                    for p in problems
                ],
                pa.string(),
            ),
        ],
        schema=QUARANTINE_SCHEMA,
    )


def _seen(pipeline: Pipeline) -> set[str]:
    store = pipeline.store
    store.declare_table(
        AuxTable(
            name=_IMPORTS_TABLE,
            schema=_IMPORTS_SCHEMA,
            description="rows of CMMS work-order exports read, by the SHA-256 of their cells",
        )
    )
    done = store.read_table(_IMPORTS_TABLE)
    return set(done.column("row_sha256").to_pylist()) if done.num_rows else set()


def import_work_orders(
    spec: WorkOrderFile,
    *,
    pipeline: Pipeline,
    on_rows: Callable[[int], object] | None = None,
) -> WorkOrderImport:
    """Read a CMMS export through ``pipeline`` into its store, each row once.

    Rows go in chunks of ``spec.chunk_rows``: a chunk's records, its quarantine rows and the
    note of each row's SHA-256 are written in one transaction. ``on_rows`` is told the rows
    of each chunk (for a progress bar).
    """
    model = pipeline.model
    seen = _seen(pipeline)
    fingerprint = _fingerprint(spec, model)
    totals = {"rows": 0, "seen": 0, "orders": 0, "written": 0, "duplicates": 0}
    quarantined: dict[str, int] = {}
    chunk: list[tuple[int, str, WorkOrder | RowProblem]] = []

    def flush() -> None:
        if not chunk:
            return
        result = _write_chunk(chunk, spec, pipeline)
        totals["written"] += result.written
        totals["duplicates"] += result.duplicates
        totals["orders"] += sum(1 for _, _, r in chunk if isinstance(r, WorkOrder))
        for reason, count in result.quarantined.items():
            quarantined[reason] = quarantined.get(reason, 0) + count
        if on_rows is not None:
            on_rows(len(chunk))
        chunk.clear()

    for row, cells, read in read_work_orders(spec, model, future_bound_s=pipeline.future_bound_s):
        digest = _row_sha256(fingerprint, cells) if cells else _row_sha256(fingerprint, [str(row)])
        if digest in seen:
            totals["seen"] += 1
            continue
        seen.add(digest)
        totals["rows"] += 1
        chunk.append((row, digest, read))
        if len(chunk) >= spec.chunk_rows:
            flush()
    flush()
    return WorkOrderImport(
        path=spec.path,
        rows=totals["rows"],
        seen_rows=totals["seen"],
        work_orders=totals["orders"],
        written=totals["written"],
        duplicates=totals["duplicates"],
        quarantined=quarantined,
    )


def _write_chunk(
    chunk: Sequence[tuple[int, str, WorkOrder | RowProblem]],
    spec: WorkOrderFile,
    pipeline: Pipeline,
) -> _ChunkResult:
    received = time.time_ns() // 1000
    orders = [r for _, _, r in chunk if isinstance(r, WorkOrder)]
    problems = [r for _, _, r in chunk if isinstance(r, RowProblem)]
    records = work_order_records(orders, source=spec.source)
    batch = Batch(
        {RecordKind.MAINTENANCE: records}, _quarantine(problems, spec, received), received
    )
    digest = hashlib.sha256("".join(d for _, d, _ in chunk).encode()).hexdigest()
    note = pa.table(
        {
            "row_sha256": [d for _, d, _ in chunk],
            "file": [spec.path.name] * len(chunk),
            "row": pa.array([row for row, _, _ in chunk], pa.int64()),
            "quarantined": [isinstance(r, RowProblem) for _, _, r in chunk],
            "imported_at": pa.array([received] * len(chunk), pa.int64()).cast(TS_TYPE),
        },
        schema=_IMPORTS_SCHEMA,
    )
    store = pipeline.store
    with store.transaction():
        result = pipeline.write(batch, batch_id=f"cmms:{digest[:32]}")
        store.write_table(_IMPORTS_TABLE, note)
    return _ChunkResult(result.written, result.duplicates, dict(result.quarantined))


@dataclass(frozen=True, slots=True)
class _ChunkResult:
    written: int
    duplicates: int
    quarantined: dict[str, int]
