"""The append-only, hash-chained audit log.

Each entry's hash is SHA-256 over the previous entry's hash and the canonical JSON of the
entry (``[seq, ts, actor, action, entity, entity_id, site, data]``), so changing, removing
or reordering any entry breaks every hash after it. ``audit_head`` holds the last sequence
number and hash; appending updates it in the same transaction as the change it records,
which also serialises concurrent appenders on PostgreSQL (row lock) and DuckDB (one writer).
Publishing the head hash elsewhere (a ticket, a printout) lets anyone later prove that not
even a rewrite of the whole chain went unnoticed: ``andon audit verify --expect-head``.

The chain covers the state of every decision: each entry that writes a decision row holds
the row's seal (:mod:`andon.decisions._seal`), and verify recomputes the seal of every row
(:mod:`andon.decisions._coverage`). With a head file (:mod:`andon.decisions.head_file`)
each committed append is also recorded outside the database, and verify requires the
store's head to be the newest head recorded there: a rewritten tail, an appended forged
entry or a removed tail is caught even when whoever did it moved ``audit_head`` along.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from andon.decisions import _coverage
from andon.decisions._chain import first_break
from andon.decisions._json import canonical, now_us
from andon.decisions._schema import GENESIS
from andon.decisions.errors import HeadFileError
from andon.decisions.head_file import HeadFile, configured_head_file
from andon.store.base import Store
from andon.store.decisions import AuditTable, DecisionTable

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
    decisions: int = 0
    """Decision rows checked against the chain."""
    unsealed: int = 0
    """Decisions whose entries all predate row seals: their rows are not covered."""
    decision_id: str | None = None
    """The first decision whose row the chain does not vouch for, when that is the break."""
    decisions_failed: int = 0
    """How many decisions' rows the chain does not vouch for."""
    head_file: str | None = None
    """The head file the head was checked against, if one was configured."""

    def to_json(self) -> dict[str, Any]:
        """Return the result as a JSON object."""
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "broken_seq": self.broken_seq,
            "reason": self.reason,
            "decisions": self.decisions,
            "unsealed": self.unsealed,
            "decision_id": self.decision_id,
            "decisions_failed": self.decisions_failed,
            "head_file": self.head_file,
        }


class _Pending(threading.local):
    """Per thread: how deep in audited transactions each store is, and the heads appended."""

    def __init__(self) -> None:
        self.depth: dict[int, int] = {}
        self.heads: dict[int, list[tuple[HeadFile, int, str]]] = {}


_PENDING = _Pending()


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

    def __init__(self, *, store: Store, head_file: Path | str | None = None) -> None:
        self._store = store
        self._table = AuditTable(store=store)
        self._decisions = DecisionTable(store=store)
        path = configured_head_file() if head_file is None else Path(head_file)
        self.head_file = None if path is None else HeadFile(path)
        """Where every committed head is recorded outside the database (``head_file``, else
        ``ANDON_AUDIT_HEAD_FILE``), or ``None``."""

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Return the store's transaction; once the outermost one commits, the head it
        reached is recorded in the head file (when there is one).

        Every change that appends must run in one: the head file then names only heads
        that committed. An inner block that fails gives up the heads it appended.
        """
        key = id(self._store)
        depth = _PENDING.depth.get(key, 0)
        heads = _PENDING.heads.setdefault(key, [])
        kept = len(heads)
        _PENDING.depth[key] = depth + 1
        try:
            with self._store.transaction():
                yield
        except BaseException:
            del heads[kept:]
            raise
        finally:
            if depth:
                _PENDING.depth[key] = depth
            else:
                del _PENDING.depth[key], _PENDING.heads[key]
        if not depth:
            newest: dict[Path, tuple[HeadFile, int, str]] = {}
            for head_file, seq, head_hash in heads:
                if head_file.path not in newest or seq > newest[head_file.path][1]:
                    newest[head_file.path] = (head_file, seq, head_hash)
            for head_file, seq, head_hash in newest.values():
                head_file.record(seq, head_hash)

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
        """Append one entry; call inside the :meth:`transaction` that makes the change."""
        if self.head_file is not None and not _PENDING.depth.get(id(self._store)):
            msg = "with a head file, append inside AuditLog.transaction(), not the store's"
            raise HeadFileError(msg)
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
        if self.head_file is not None:
            _PENDING.heads.setdefault(id(self._store), []).append((self.head_file, seq, digest))
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

    def _states(self, batch_rows: int) -> Iterator[pa.Table]:
        """Yield every decision row, every column, in id order, ``batch_rows`` at a time."""
        after = ""
        while True:
            table = self._decisions.states(after=after, limit=batch_rows)
            if table.num_rows == 0:
                return
            yield table
            after = str(table.column("id")[-1].as_py())

    def _outside(self, head_seq: int, head_hash: str) -> str | None:
        """Return why the store's head is not the head file's newest, or ``None``."""
        if self.head_file is None:
            return None
        recorded = self.head_file.newest()
        where = self.head_file.path
        if recorded is None:
            if head_seq == 0:
                return None
            return f"the head file {where} records no head, the store's head is entry {head_seq}"
        seq, recorded_hash = recorded
        if seq > head_seq:
            return (
                f"the head file {where} records entry {seq}, the store's head is entry "
                f"{head_seq}: entries were removed"
            )
        if seq < head_seq:
            return (
                f"the store holds entries after entry {seq}, the last the head file {where} "
                "records: appended outside andon, or by a process without the head file"
            )
        if recorded_hash != head_hash:
            return f"the head hash is not the one the head file {where} records: rewritten"
        return None

    def verify(
        self,
        *,
        batch_rows: int = 250_000,
        expect_head: str | None = None,
        decisions: bool = True,
    ) -> VerifyResult:
        """Recompute the chain, check the head and every decision; return the first break.

        Rows stream in Arrow batches ordered by sequence; each is checked for a gap in the
        sequence, a previous hash that is not the last entry's hash, and a hash that does not
        match its content (:func:`andon.decisions._chain.first_break`: the canonical bodies
        are built by Arrow kernels, so the loop per entry is SHA-256 alone). The head must
        name the last entry (a removed tail is caught), be the newest the head file records
        when there is one, and be ``expect_head`` when given. Then every decision row is
        sealed again and compared with the last seal the chain holds for it
        (:func:`andon.decisions._coverage.check`; ``decisions=False`` skips it).
        """
        head_seq, head_hash = self.head()
        prev = GENESIS
        count = 0
        entries: list[pa.Table] = []
        head_file = None if self.head_file is None else str(self.head_file.path)

        def broken(seq: int | None, reason: str, **more: Any) -> VerifyResult:
            return VerifyResult(
                ok=False,
                entries=count,
                head_seq=head_seq,
                head_hash=head_hash,
                broken_seq=seq,
                reason=reason,
                head_file=head_file,
                **more,
            )

        for table in self._batches(batch_rows, head_seq):
            found = first_break(table, prev=prev, first_seq=count + 1)
            if found is not None:
                index, reason = found
                count += index
                return broken(count + 1, reason)
            if decisions:
                entries.append(_coverage.decision_entries(table))
            prev = str(table.column("hash")[-1].as_py())
            count += table.num_rows
        if count != head_seq or prev != head_hash:
            return broken(
                count + 1 if count < head_seq else head_seq,
                f"the head names entry {head_seq} but the log ends at entry {count}",
            )
        outside = self._outside(head_seq, head_hash)
        if outside is not None:
            return broken(head_seq, outside)
        if expect_head is not None and expect_head != head_hash:
            return broken(head_seq, "the head hash is not the one expected")
        checked = unsealed = 0
        if decisions:
            coverage = _coverage.check(entries, self._states(batch_rows))
            checked, unsealed = coverage.decisions, coverage.unsealed
            if coverage.first is not None:
                return broken(
                    coverage.first.seq,
                    coverage.first.reason,
                    decisions=checked,
                    unsealed=unsealed,
                    decision_id=coverage.first.decision_id,
                    decisions_failed=coverage.failed,
                )
        return VerifyResult(
            ok=True,
            entries=count,
            head_seq=head_seq,
            head_hash=head_hash,
            decisions=checked,
            unsealed=unsealed,
            head_file=head_file,
        )
