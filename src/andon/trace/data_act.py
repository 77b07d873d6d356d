"""EU Data Act (Regulation 2023/2854) access: grants of equipment data and their export bundles.

A :class:`Grant` says which equipment paths and record kinds, over which time range, go to
whom (the user of the equipment, or a third party the user names, Art. 5) and until when;
it can be revoked. Grants live in the auxiliary table ``data_act_grants`` (one row per
event, granted or revoked, never changed), so the history of every grant stays readable.

:func:`export_bundle` writes all the data the granted equipment generated in the granted
range, in open formats (Parquet and CSV per record kind), with the Art. 3 metadata (data
types, units, frequency, volume, retention), a data dictionary generated from the plant
model and a manifest with the SHA-256 of every file. The same grant over the same data
gives the same bytes: rows are sorted by their natural key and no file holds the time of
the export. The caller passes ``record`` to put the export in the audit chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from andon.errors import InputError, Problem
from andon.model import Model
from andon.records import KIND_SCHEMAS, NATURAL_KEYS, PATH_COLUMNS, RecordKind
from andon.store import AuxTable, Store

__all__ = [
    "GRANTS",
    "Grant",
    "GrantError",
    "export_bundle",
    "grant",
    "grants",
    "revoke",
]

GRANTS: Final = AuxTable(
    name="data_act_grants",
    version=1,
    schema=pa.schema(
        [
            pa.field("grant_id", pa.string(), nullable=False),
            pa.field("event", pa.string(), nullable=False),  # granted | revoked
            pa.field("recipient", pa.string(), nullable=False),
            pa.field("third_party", pa.bool_(), nullable=False),
            pa.field("paths", pa.string(), nullable=False),  # JSON list of equipment paths
            pa.field("kinds", pa.string(), nullable=False),  # JSON list of record kinds
            pa.field("start_us", pa.int64(), nullable=False),
            pa.field("end_us", pa.int64(), nullable=False),
            pa.field("expires_us", pa.int64(), nullable=False),
            pa.field("at_us", pa.int64(), nullable=False),
            pa.field("actor", pa.string(), nullable=False),
        ]
    ),
    description="Data Act grants: one row per granted or revoked event",
)
"""The grant ledger, declared by this module."""

RETENTION: Final = "kept as long as the store keeps it; andon deletes no plant record"
"""What andon can say of retention (Art. 3(2)(e)): it never deletes records itself."""


class GrantError(InputError):
    """A Data Act grant or export asked for something andon cannot give: an unknown path or
    record kind, an empty or reversed range, a grant that does not exist, expired or was
    revoked."""

    code = "grant.invalid"

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        problem_code = code or self.code
        super().__init__(
            "the Data Act request is refused", [Problem(code=problem_code, message=reason)]
        )
        self.reason = reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """Access to the data of some equipment, over a time range, for a recipient, until when."""

    grant_id: str
    recipient: str
    third_party: bool
    """The recipient is a third party the user named (Art. 5), not the user (Art. 4)."""
    paths: tuple[str, ...]
    kinds: tuple[RecordKind, ...]
    start_us: int
    end_us: int
    expires_us: int
    granted_at_us: int
    revoked_at_us: int | None = None

    def active(self, now_us: int) -> bool:
        """Whether the grant may be used at ``now_us``: not revoked, not expired."""
        return self.revoked_at_us is None and now_us < self.expires_us


def _check(model: Model, paths: Sequence[str], kinds: Sequence[str], start: int, end: int) -> None:
    known_kinds = sorted(k.value for k in PATH_COLUMNS)
    problems = [
        Problem(code="grant.unknown_path", message="no equipment there", path=path)
        for path in paths
        if path not in model.equipment
        and not any(p.startswith(path.rstrip("/") + "/") for p in model.equipment)
    ]
    problems.extend(
        Problem(
            code="grant.unknown_kind",
            message=f"{kind!r} is not a record kind of equipment",
            expected=", ".join(known_kinds),
        )
        for kind in kinds
        if kind not in known_kinds
    )
    if not paths or not kinds:
        problems.append(Problem(code="grant.empty", message="name paths and record kinds"))
    if end <= start:
        problems.append(Problem(code="grant.range", message="the range ends before it starts"))
    if problems:
        raise InputError("the Data Act grant is refused", problems, code="input.data_act")


def grant(
    store: Store,
    model: Model,
    *,
    recipient: str,
    paths: Sequence[str],
    kinds: Sequence[str],
    start_us: int,
    end_us: int,
    expires_us: int,
    actor: str,
    now_us: int,
    third_party: bool = False,
) -> Grant:
    """Record a grant and return it; every problem of the request is reported at once."""
    _check(model, paths, kinds, start_us, end_us)
    ordered_paths, ordered_kinds = tuple(sorted(set(paths))), tuple(sorted(set(kinds)))
    content = json.dumps(
        [recipient, third_party, ordered_paths, ordered_kinds, start_us, end_us, expires_us, now_us]
    )
    grant_id = "G-" + hashlib.sha256(content.encode()).hexdigest()[:16]
    store.declare_table(GRANTS)
    store.write_table(
        GRANTS.name,
        _row(
            grant_id,
            "granted",
            recipient,
            third_party,
            ordered_paths,
            ordered_kinds,
            (start_us, end_us, expires_us, now_us),
            actor,
        ),
    )
    return Grant(
        grant_id=grant_id,
        recipient=recipient,
        third_party=third_party,
        paths=ordered_paths,
        kinds=tuple(RecordKind(k) for k in ordered_kinds),
        start_us=start_us,
        end_us=end_us,
        expires_us=expires_us,
        granted_at_us=now_us,
    )


def _row(  # noqa: PLR0917 - one ledger row, its columns in order
    grant_id: str,
    event: str,
    recipient: str,
    third_party: bool,
    paths: Sequence[str],
    kinds: Sequence[str],
    times: tuple[int, int, int, int],
    actor: str,
) -> pa.Table:
    start, end, expires, at = times
    return pa.Table.from_pylist(
        [
            {
                "grant_id": grant_id,
                "event": event,
                "recipient": recipient,
                "third_party": third_party,
                "paths": json.dumps(list(paths)),
                "kinds": json.dumps(list(kinds)),
                "start_us": start,
                "end_us": end,
                "expires_us": expires,
                "at_us": at,
                "actor": actor,
            }
        ],
        schema=GRANTS.schema,
    )


def grants(store: Store) -> dict[str, Grant]:
    """Return every grant by id, with its revocation if it has one."""
    store.declare_table(GRANTS)
    found: dict[str, Grant] = {}
    rows = store.read_table(GRANTS.name).sort_by([("at_us", "ascending")]).to_pylist()
    for row in rows:  # the ledger of grants: a handful of rows, not records
        if row["event"] == "granted":
            found[row["grant_id"]] = Grant(
                grant_id=row["grant_id"],
                recipient=row["recipient"],
                third_party=bool(row["third_party"]),
                paths=tuple(json.loads(row["paths"])),
                kinds=tuple(RecordKind(k) for k in json.loads(row["kinds"])),
                start_us=int(row["start_us"]),
                end_us=int(row["end_us"]),
                expires_us=int(row["expires_us"]),
                granted_at_us=int(row["at_us"]),
            )
        elif row["grant_id"] in found:
            old = found[row["grant_id"]]
            found[row["grant_id"]] = Grant(**{**_fields(old), "revoked_at_us": int(row["at_us"])})
    return found


def _fields(g: Grant) -> dict[str, Any]:
    return {name: getattr(g, name) for name in Grant.__dataclass_fields__}


def _active(store: Store, grant_id: str, now_us: int) -> Grant:
    found = grants(store).get(grant_id)
    if found is None:
        raise GrantError(f"no grant {grant_id}", code="grant.unknown_grant")
    if found.revoked_at_us is not None:
        raise GrantError(f"grant {grant_id} was revoked", code="grant.revoked")
    if not found.active(now_us):
        raise GrantError(f"grant {grant_id} expired", code="grant.expired")
    return found


def revoke(store: Store, grant_id: str, *, actor: str, now_us: int) -> Grant:
    """Revoke a grant from ``now_us`` on; return it as revoked."""
    found = _active(store, grant_id, now_us)
    store.write_table(
        GRANTS.name,
        _row(
            grant_id,
            "revoked",
            found.recipient,
            found.third_party,
            found.paths,
            [k.value for k in found.kinds],
            (found.start_us, found.end_us, found.expires_us, now_us),
            actor,
        ),
    )
    return Grant(**{**_fields(found), "revoked_at_us": now_us})


def _dictionary(model: Model, paths: Sequence[str]) -> dict[str, Any]:
    """The data dictionary of the granted equipment, from the model (tags with units)."""

    def granted(path: str) -> bool:
        return any(path == p or path.startswith(p.rstrip("/") + "/") for p in paths)

    tags = [
        {
            "path": tag.path,
            "equipment": tag.equipment_path,
            "type": tag.definition.type.value,
            "unit": tag.definition.unit,
            "source_unit": tag.source_unit,
            "min": tag.definition.min,
            "max": tag.definition.max,
            "rate_s": tag.definition.rate_s,
            "description": tag.definition.description,
        }
        for tag in sorted(model.tags.values(), key=lambda t: t.path)
        if granted(tag.equipment_path)
    ]
    equipment = [
        {"path": e.path, "class": e.equipment_class.id}
        for e in sorted(model.equipment.values(), key=lambda e: e.path)
        if granted(e.path)
    ]
    return {"equipment": equipment, "tags": tags}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _roots(paths: Sequence[str]) -> list[str]:
    """The granted paths not below another granted path (so no record is read twice)."""
    return [
        p for p in paths if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in paths)
    ]


def _kind_table(store: Store, g: Grant, kind: RecordKind) -> pa.Table:
    parts = [
        store.records(kind, path_prefix=path, start=g.start_us, end=g.end_us)
        for path in _roots(g.paths)
    ]
    table = pa.concat_tables(parts) if parts else KIND_SCHEMAS[kind].empty_table()
    return table.sort_by([(k, "ascending") for k in NATURAL_KEYS[kind]])


def export_bundle(
    store: Store,
    model: Model,
    grant_id: str,
    folder: Path,
    *,
    now_us: int,
    record: Callable[[str, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Write the bundle of an active grant into ``folder``; return its manifest.

    Files: ``<kind>.parquet`` and ``<kind>.csv`` per granted kind, ``metadata.json`` (Art. 3),
    ``dictionary.json`` (from the model) and ``manifest.json`` (SHA-256 of each file).
    ``record(action, data)`` is called once with the manifest's summary (the audit entry).
    """
    g = _active(store, grant_id, now_us)
    folder.mkdir(parents=True, exist_ok=True)
    metadata: dict[str, Any] = {
        "grant": {**_fields(g), "kinds": [k.value for k in g.kinds], "paths": list(g.paths)},
        "regulation": "EU 2023/2854 (Data Act), Art. 3, 4 and 5",
        "retention": RETENTION,
        "kinds": {},
    }
    for kind in g.kinds:
        table = _kind_table(store, g, kind)
        pq.write_table(table, folder / f"{kind.value}.parquet", compression="zstd")
        pacsv.write_csv(table, folder / f"{kind.value}.csv")
        ts = table.column("ts").cast(pa.int64()).to_pylist() if table.num_rows else []
        metadata["kinds"][kind.value] = {
            "columns": [{"name": f.name, "type": str(f.type)} for f in table.schema],
            "rows": table.num_rows,
            "first_us": min(ts) if ts else None,
            "last_us": max(ts) if ts else None,
            "frequency": "per tag, rate_s in dictionary.json"
            if kind is RecordKind.SAMPLE
            else "per event",
        }
    (folder / "metadata.json").write_text(json.dumps(metadata, indent=1, sort_keys=True))
    (folder / "dictionary.json").write_text(
        json.dumps(_dictionary(model, g.paths), indent=1, sort_keys=True)
    )
    files = sorted(p.name for p in folder.iterdir() if p.name != "manifest.json")
    manifest = {
        "grant_id": g.grant_id,
        "files": [
            {"name": n, "bytes": (folder / n).stat().st_size, "sha256": _sha256(folder / n)}
            for n in files
        ],
        "withheld": [],
        "withheld_note": "the plant model marks no field as a trade secret",
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    if record is not None:
        record(
            "data_act.export",
            {"grant_id": g.grant_id, "recipient": g.recipient, "files": manifest["files"]},
        )
    return manifest
