"""The append-only, hash-chained audit log.

Each entry's hash is SHA-256 over the previous entry's hash and the canonical JSON of the
entry (``[seq, ts, actor, action, entity, entity_id, site, data]``), so changing, removing
or reordering any entry breaks every hash after it. ``audit_head`` holds the last sequence
number and hash; appending updates it in the same transaction as the change it records,
which also serialises concurrent appenders on PostgreSQL (row lock) and DuckDB (one writer).
Publishing the head hash elsewhere (a ticket, a printout) lets anyone later prove that not
even a rewrite of the whole chain went unnoticed: ``andon audit verify --expect-head``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from andon.decisions._chain import first_break
from andon.decisions._json import canonical, now_us
from andon.decisions._schema import GENESIS
from andon.store.base import Store
from andon.store.decisions import AuditTable

__all__ = ["AuditEntry", "AuditLog", "VerifyResult", "entry_hash"]


def entry_hash(
    prev_hash: str,
    *,
    seq: int,
    ts: int,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    site: str | None,
    data: str,
) -> str:
    """Return the chained hash of one entry (``data`` is its canonical JSON text)."""
    body = json.dumps(
        [seq, ts, actor, action, entity, entity_id, site, data],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One change: who did what to which entity, when, with the details and the chain hashes."""

    seq: int
    ts: int
    actor: str
    action: str
    entity: str
    entity_id: str
    site: str | None
    data: Mapping[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyResult:
    """The outcome of checking the chain: entries checked and the first broken link, if any."""

    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the result as a JSON object."""
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "broken_seq": self.broken_seq,
            "reason": self.reason,
        }


class AuditLog:
    """Append to and verify the audit chain kept in a store.

    >>> from andon.store import open_store
    >>> from andon.decisions._schema import ensure_schema
    >>> store = open_store("duckdb://:memory:"); ensure_schema(store)
    >>> log = AuditLog(store=store)
    >>> with store.transaction():
    ...     entry = log.append(actor="ana", action="user.created", entity="user", entity_id="ana")
    >>> log.verify().ok
    True
    """

    def __init__(self, *, store: Store) -> None:
        self._table = AuditTable(store=store)

    def append(
        self,
        *,
        actor: str,
        action: str,
        entity: str,
        entity_id: str,
        site: str | None = None,
        data: Mapping[str, Any] | None = None,
        ts: int | None = None,
    ) -> AuditEntry:
        """Append one entry; call inside the store transaction that makes the change."""
        # The store's statement locks the head on PostgreSQL until the transaction ends;
        # DuckDB has one writer per database, and the store serialises its transactions.
        seq, prev_hash = self._table.next_link()
        when = now_us() if ts is None else ts
        text = canonical(dict(data or {}))
        digest = entry_hash(
            prev_hash,
            seq=seq,
            ts=when,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            site=site,
            data=text,
        )
        self._table.append(
            {
                "seq": seq,
                "ts": when,
                "actor": actor,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "site": site,
                "data": text,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        return AuditEntry(
            seq=seq,
            ts=when,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            site=site,
            data=json.loads(text),
            prev_hash=prev_hash,
            hash=digest,
        )

    def head(self) -> tuple[int, str]:
        """Return the last sequence number and hash."""
        head = self._table.head()
        return (0, GENESIS) if head is None else head

    def entries(
        self,
        *,
        after_seq: int | None = None,
        before_seq: int | None = None,
        entity: str | None = None,
        entity_id: str | None = None,
        sites: tuple[str, ...] | None = None,
        include_global: bool = True,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Return entries newest first, filtered; ``sites=None`` means every site."""
        rows = self._table.entries(
            after_seq=after_seq,
            before_seq=before_seq,
            entity=entity,
            entity_id=entity_id,
            sites=sites,
            include_global=include_global,
            limit=limit,
        )
        return [
            AuditEntry(
                seq=int(r["seq"]),
                ts=int(r["ts"]),
                actor=r["actor"],
                action=r["action"],
                entity=r["entity"],
                entity_id=r["entity_id"],
                site=r["site"],
                data=json.loads(r["data"]),
                prev_hash=r["prev_hash"],
                hash=r["hash"],
            )
            for r in rows
        ]

    def _batches(self, batch_rows: int, head_seq: int) -> Iterator[pa.Table]:
        """Yield the log in sequence order, ``batch_rows`` sequence numbers at a time.

        Up to the head a batch is a range of sequence numbers (a zone-map range scan, not a
        top-N over the rest of the log); past it, or after a gap as wide as a batch, the
        next rows are found whatever their numbers, so nothing stored escapes the check.
        """
        last = 0
        while True:
            table = None
            if last < head_seq:
                table = self._table.seq_range(after=last, upto=last + batch_rows)
            if table is None or table.num_rows == 0:
                table = self._table.following(after=last, limit=batch_rows)
            if table.num_rows == 0:
                return
            yield table
            last = int(table.column("seq")[-1].as_py())

    def verify(self, *, batch_rows: int = 250_000, expect_head: str | None = None) -> VerifyResult:
        """Recompute the chain and return the first broken link, if any.

        Rows stream in Arrow batches ordered by sequence; each is checked for a gap in the
        sequence, a previous hash that is not the last entry's hash, and a hash that does not
        match its content (:func:`andon.decisions._chain.first_break`: the canonical bodies
        are built by Arrow kernels, so the loop per entry is SHA-256 alone). The head must
        name the last entry (a removed tail is caught).
        """
        head_seq, head_hash = self.head()
        prev = GENESIS
        count = 0

        def broken(seq: int, reason: str) -> VerifyResult:
            return VerifyResult(
                ok=False,
                entries=count,
                head_seq=head_seq,
                head_hash=head_hash,
                broken_seq=seq,
                reason=reason,
            )

        for table in self._batches(batch_rows, head_seq):
            found = first_break(table, prev=prev, first_seq=count + 1)
            if found is not None:
                index, reason = found
                count += index
                return broken(count + 1, reason)
            prev = str(table.column("hash")[-1].as_py())
            count += table.num_rows
        if count != head_seq or prev != head_hash:
            return broken(
                count + 1 if count < head_seq else head_seq,
                f"the head names entry {head_seq} but the log ends at entry {count}",
            )
        if expect_head is not None and expect_head != head_hash:
            return broken(head_seq, "the head hash is not the one expected")
        return VerifyResult(ok=True, entries=count, head_seq=head_seq, head_hash=head_hash)
