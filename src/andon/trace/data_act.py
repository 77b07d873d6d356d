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

Tags the model marks ``trade_secret`` (Art. 4(6) and 5(9)) are withheld from bundles and
from grant reads; the manifest lists each withheld tag, its rows and the reason.

Continuous access (Art. 4(1)): :func:`issue_token` gives a grant token, shown once and
stored as its SHA-256 (``data_act_tokens``); :func:`authenticate` returns the active grant a
token stands for, and :func:`read_records` reads one page of the grant's records, refusing
anything outside its equipment, kinds and range.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from andon.errors import InputError, Problem
from andon.model import Model
from andon.records import KIND_SCHEMAS, NATURAL_KEYS, PATH_COLUMNS, RecordKind
from andon.store import AuxTable, Store

__all__ = [
    "GRANTS",
    "GRANT_TOKEN_PREFIX",
    "TOKENS",
    "Grant",
    "GrantError",
    "GrantToken",
    "RecordsPage",
    "authenticate",
    "export_bundle",
    "grant",
    "grants",
    "issue_token",
    "read_records",
    "revoke",
    "withheld_tags",
]

Record = Callable[[str, dict[str, Any]], None]
"""Called with an audit action and its data, once per change, export or access."""

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

TOKENS: Final = AuxTable(
    name="data_act_tokens",
    version=1,
    schema=pa.schema(
        [
            pa.field("token_id", pa.string(), nullable=False),
            pa.field("grant_id", pa.string(), nullable=False),
            pa.field("secret_hash", pa.string(), nullable=False),  # SHA-256 hex of the secret
            pa.field("at_us", pa.int64(), nullable=False),
            pa.field("actor", pa.string(), nullable=False),
        ]
    ),
    description="Data Act grant tokens: one row per token issued, the secret stored hashed",
)
"""The grant tokens, declared by this module; a token lives as long as its grant is active."""

GRANT_TOKEN_PREFIX: Final = "andon_grant_"  # noqa: S105 - a prefix, not a secret
"""How every grant token starts: ``andon_grant_<16 hex id>_<secret>``."""

_TOKEN = re.compile(r"^andon_grant_([a-f0-9]{16})_([A-Za-z0-9_-]{32,64})$")

WITHHELD_REASON: Final = (
    "the plant model marks the tag a trade secret of the data holder "
    "(EU 2023/2854 Art. 4(6) and 5(9))"
)

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

    def covers(self, path: str) -> bool:
        """Whether ``path`` is a granted path or lies below one."""
        return any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.paths)

    @property
    def site(self) -> str | None:
        """The ``enterprise/site`` every granted path lies in, or ``None`` when several."""
        sites = {"/".join(p.split("/")[:2]) for p in self.paths}
        return sites.pop() if len(sites) == 1 else None

    def to_json(self) -> dict[str, Any]:
        """Return the grant as JSON-ready values (kinds as their names)."""
        return {**_fields(self), "paths": list(self.paths), "kinds": [k.value for k in self.kinds]}


@dataclass(frozen=True, slots=True, kw_only=True)
class GrantToken:
    """A grant token just issued: ``secret`` is the whole token, shown this once only."""

    token_id: str
    grant_id: str
    secret: str = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordsPage:
    """One page of a grant's records, oldest first, and where the next page starts."""

    kind: RecordKind
    table: pa.Table
    next_after: tuple[int, int] | None
    """``(ts, rows at that ts already given)`` to pass as ``after``, or ``None`` at the end."""
    withheld: tuple[str, ...]
    """The trade-secret tags left out of this kind's records."""


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
    record: Record | None = None,
) -> Grant:
    """Record a grant and return it; every problem of the request is reported at once.

    ``record("data_act.granted", data)`` is called once (the audit entry).
    """
    _check(model, paths, kinds, start_us, end_us)
    ordered_paths, ordered_kinds = tuple(sorted(set(paths))), tuple(sorted(set(kinds)))
    content = json.dumps(
        [recipient, third_party, ordered_paths, ordered_kinds, start_us, end_us, expires_us, now_us]
    )
    grant_id = "G-" + hashlib.sha256(content.encode()).hexdigest()[:16]
    if grant_id in grants(store):  # the same request at the same microsecond: not a new grant
        raise GrantError(f"grant {grant_id} exists already", code="grant.duplicate")
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
    made = Grant(
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
    if record is not None:
        record("data_act.granted", made.to_json())
    return made


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


def revoke(
    store: Store, grant_id: str, *, actor: str, now_us: int, record: Record | None = None
) -> Grant:
    """Revoke a grant (and so its tokens) from ``now_us`` on; return it as revoked.

    ``record("data_act.revoked", data)`` is called once (the audit entry).
    """
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
    revoked = Grant(**{**_fields(found), "revoked_at_us": now_us})
    if record is not None:
        record("data_act.revoked", {"grant_id": grant_id, "recipient": found.recipient})
    return revoked


# tokens -------------------------------------------------------------------------------------


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(
    store: Store, grant_id: str, *, actor: str, now_us: int, record: Record | None = None
) -> GrantToken:
    """Issue a token for an active grant; the whole token is in the answer, this once only.

    The store keeps the SHA-256 of its secret (the secret is 32 random bytes, so a slow
    hash adds nothing). ``record("data_act.token_issued", data)`` is the audit entry.
    """
    found = _active(store, grant_id, now_us)
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    store.declare_table(TOKENS)
    store.write_table(
        TOKENS.name,
        pa.Table.from_pylist(
            [
                {
                    "token_id": token_id,
                    "grant_id": found.grant_id,
                    "secret_hash": _digest(secret),
                    "at_us": now_us,
                    "actor": actor,
                }
            ],
            schema=TOKENS.schema,
        ),
    )
    if record is not None:
        record("data_act.token_issued", {"grant_id": found.grant_id, "token_id": token_id})
    return GrantToken(
        token_id=token_id,
        grant_id=found.grant_id,
        secret=f"{GRANT_TOKEN_PREFIX}{token_id}_{secret}",
    )


def authenticate(store: Store, token: str, *, now_us: int) -> Grant:
    """Return the grant a token stands for, if it is active at ``now_us``; else raise.

    A malformed or unknown token raises :class:`GrantError` ``grant.unknown_token``; a
    token of a revoked or expired grant, ``grant.revoked`` or ``grant.expired``.
    """
    match = _TOKEN.match(token.strip())
    unknown = GrantError("unknown grant token", code="grant.unknown_token")
    if match is None:
        raise unknown
    token_id, secret = match.group(1), match.group(2)
    store.declare_table(TOKENS)
    rows = store.read_table(TOKENS.name).filter(pc.field("token_id") == token_id).to_pylist()
    if not rows or not hmac.compare_digest(rows[0]["secret_hash"], _digest(secret)):
        raise unknown
    return _active(store, str(rows[0]["grant_id"]), now_us)


# what is withheld ---------------------------------------------------------------------------


def withheld_tags(model: Model, g: Grant) -> tuple[str, ...]:
    """Return the tags of the granted equipment that the model marks as trade secrets."""
    return tuple(
        sorted(
            tag.path
            for tag in model.tags.values()
            if tag.definition.trade_secret and g.covers(tag.equipment_path)
        )
    )


def _without(table: pa.Table, withheld: Sequence[str]) -> pa.Table:
    """Return ``table`` without the rows of withheld tags (sample rows carry the tag path)."""
    if not withheld or table.num_rows == 0:
        return table
    secret = pc.is_in(table.column("path"), value_set=pa.array(list(withheld), pa.string()))
    return table.filter(pc.invert(secret))


# reading through a grant --------------------------------------------------------------------


def _out_of_scope(reason: str) -> GrantError:
    return GrantError(reason, code="grant.out_of_scope")


def _window(
    g: Grant, kind: RecordKind, path: str | None, start: int | None, end: int | None
) -> tuple[list[str], int, int]:
    """The granted prefixes to read and the range, or raise when any of it is outside."""
    if kind not in g.kinds:
        msg = f"{kind.value} records are not in grant {g.grant_id}"
        raise _out_of_scope(msg)
    if path is not None and not g.covers(path.rstrip("/")):
        msg = f"{path} is not equipment of grant {g.grant_id}"
        raise _out_of_scope(msg)
    if (start is not None and start < g.start_us) or (end is not None and end > g.end_us):
        msg = f"grant {g.grant_id} covers only its own time range"
        raise _out_of_scope(msg)
    low = g.start_us if start is None else start
    high = g.end_us if end is None else end
    if high <= low:
        raise GrantError("the range ends before it starts", code="grant.range")
    return ([path.rstrip("/")] if path is not None else _roots(g.paths)), low, high


def _fetch(
    store: Store, kind: RecordKind, prefixes: Sequence[str], *, low: int, high: int, rows: int
) -> tuple[pa.Table, bool]:
    """Read up to ``rows`` records per prefix from ``low``; whether the range is exhausted.

    When a prefix was cut at ``rows``, the records at the last time read may be incomplete,
    so every record from that time on is left for the next read.
    """
    parts: list[pa.Table] = []
    cut: int | None = None
    for prefix in prefixes:
        part = store.records(kind, path_prefix=prefix, start=low, end=high, limit=rows)
        if part.num_rows == rows:
            last = int(pc.max(part.column("ts").cast(pa.int64())).as_py())
            cut = last if cut is None else min(cut, last)
        parts.append(part)
    table = pa.concat_tables(parts) if parts else KIND_SCHEMAS[kind].empty_table()
    if cut is not None:
        table = table.filter(pc.less(table.column("ts").cast(pa.int64()), cut))
    ordered = ["ts", *(k for k in NATURAL_KEYS[kind] if k != "ts")]
    return table.sort_by([(k, "ascending") for k in ordered]), cut is None


def read_records(
    store: Store,
    model: Model,
    g: Grant,
    kind: RecordKind,
    *,
    path: str | None = None,
    start_us: int | None = None,
    end_us: int | None = None,
    limit: int = 500,
    after: tuple[int, int] | None = None,
) -> RecordsPage:
    """Return one page of a grant's records of ``kind``, oldest first, secrets withheld.

    ``path``, ``start_us`` and ``end_us`` narrow the read and must lie inside the grant
    (:class:`GrantError` ``grant.out_of_scope`` otherwise); left out, they are the grant's.
    ``after`` is the previous page's ``next_after``.
    """
    prefixes, low, high = _window(g, kind, path, start_us, end_us)
    skip = 0
    if after is not None:
        low, skip = max(low, after[0]), after[1]
    withheld = withheld_tags(model, g) if kind is RecordKind.SAMPLE else ()
    rows = skip + limit + 1
    while True:
        table, exhausted = _fetch(store, kind, prefixes, low=low, high=high, rows=rows)
        table = _without(table, withheld)
        if exhausted or table.num_rows > skip + limit:
            break
        rows *= 4  # withheld rows, or many records at one time: read further
    page = table.slice(skip, limit)
    next_after = None
    if page.num_rows and (table.num_rows > skip + limit or not exhausted):
        ts = page.column("ts").cast(pa.int64())
        last = int(ts[-1].as_py())
        all_ts = table.slice(0, skip + limit).column("ts").cast(pa.int64())
        next_after = (last, int(pc.sum(pc.equal(all_ts, last)).as_py() or 0))
    return RecordsPage(kind=kind, table=page, next_after=next_after, withheld=withheld)


# bundles ------------------------------------------------------------------------------------


def _dictionary(model: Model, g: Grant) -> dict[str, Any]:
    """The data dictionary of the granted equipment, from the model (tags with units)."""
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
            "trade_secret": tag.definition.trade_secret,
        }
        for tag in sorted(model.tags.values(), key=lambda t: t.path)
        if g.covers(tag.equipment_path)
    ]
    equipment = [
        {"path": e.path, "class": e.equipment_class.id, "description": e.equipment.description}
        for e in sorted(model.equipment.values(), key=lambda e: e.path)
        if g.covers(e.path)
    ]
    columns = {
        kind.value: [{"name": f.name, "type": str(f.type)} for f in KIND_SCHEMAS[kind]]
        for kind in g.kinds
    }
    return {"equipment": equipment, "tags": tags, "columns": columns}


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


def _frequency(model: Model, g: Grant, kind: RecordKind) -> str:
    if kind is not RecordKind.SAMPLE:
        return "per event, as it happens"
    rates = sorted({t.definition.rate_s for t in model.tags.values() if g.covers(t.equipment_path)})
    listed = ", ".join(f"{r:g}" for r in rates) or "-"
    return f"one sample per tag every {listed} s (rate_s of each tag in dictionary.json)"


def _withheld_rows(table: pa.Table, withheld: Sequence[str]) -> list[dict[str, Any]]:
    found: dict[str, int] = {}
    if table.num_rows:
        counts = pc.value_counts(table.column("path"))
        values, rows = counts.field("values").to_pylist(), counts.field("counts").to_pylist()
        found = dict(zip(values, rows, strict=True))
    return [
        {"kind": "sample", "tag": tag, "rows": found.get(tag, 0), "reason": WITHHELD_REASON}
        for tag in withheld
    ]


def export_bundle(
    store: Store,
    model: Model,
    grant_id: str,
    folder: Path,
    *,
    now_us: int,
    record: Record | None = None,
) -> dict[str, Any]:
    """Write the bundle of an active grant into ``folder``; return its manifest.

    Files: ``<kind>.parquet`` and ``<kind>.csv`` per granted kind, ``metadata.json`` (Art. 3),
    ``dictionary.json`` (from the model) and ``manifest.json`` (SHA-256 of each file, and
    the trade-secret tags withheld with their rows and the reason).
    ``record(action, data)`` is called once with the manifest's summary (the audit entry).
    """
    g = _active(store, grant_id, now_us)
    folder.mkdir(parents=True, exist_ok=True)
    withheld = withheld_tags(model, g)
    withheld_rows: list[dict[str, Any]] = []
    metadata: dict[str, Any] = {
        "grant": g.to_json(),
        "regulation": "EU 2023/2854 (Data Act), Art. 3, 4 and 5",
        "format": "Apache Parquet (zstd) and CSV (header row, UTF-8), one file of each per kind",
        "retention": RETENTION,
        "kinds": {},
    }
    for kind in g.kinds:
        table = _kind_table(store, g, kind)
        if kind is RecordKind.SAMPLE and withheld:
            withheld_rows = _withheld_rows(table, withheld)
            table = _without(table, withheld)
        pq.write_table(table, folder / f"{kind.value}.parquet", compression="zstd")
        pacsv.write_csv(table, folder / f"{kind.value}.csv")
        span = pc.min_max(table.column("ts").cast(pa.int64())).as_py() if table.num_rows else {}
        metadata["kinds"][kind.value] = {
            "columns": [{"name": f.name, "type": str(f.type)} for f in table.schema],
            "rows": table.num_rows,
            "first_us": span.get("min"),
            "last_us": span.get("max"),
            "frequency": _frequency(model, g, kind),
        }
    (folder / "metadata.json").write_text(json.dumps(metadata, indent=1, sort_keys=True))
    (folder / "dictionary.json").write_text(
        json.dumps(_dictionary(model, g), indent=1, sort_keys=True)
    )
    names = [f"{k.value}.{ext}" for k in g.kinds for ext in ("csv", "parquet")]
    files = sorted([*names, "dictionary.json", "metadata.json"])
    manifest = {
        "grant_id": g.grant_id,
        "files": [
            {"name": n, "bytes": (folder / n).stat().st_size, "sha256": _sha256(folder / n)}
            for n in files
        ],
        "withheld": withheld_rows,
        "withheld_note": "tags the plant model marks trade_secret are left out of every file"
        if withheld
        else "the plant model marks no field of this equipment as a trade secret",
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    if record is not None:
        record(
            "data_act.export",
            {
                "grant_id": g.grant_id,
                "recipient": g.recipient,
                "files": manifest["files"],
                "withheld": [w["tag"] for w in withheld_rows],
            },
        )
    return manifest
