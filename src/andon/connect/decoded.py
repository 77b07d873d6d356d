"""What a decoder returns: record batches by kind, and the messages it could not read.

Decoders are pure functions over bytes; they never raise on bad input. A message that cannot
be read becomes a quarantine row (``andon.store.base.QUARANTINE_SCHEMA``) with a stable
reason code, a sentence for people and the payload itself, so nothing is lost silently.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

import pyarrow as pa

from andon.records import RecordKind
from andon.store.base import QUARANTINE_SCHEMA

__all__ = [
    "RECORD_EXCERPT_BYTES",
    "Batch",
    "Decoded",
    "Rejected",
    "rejected_table",
]

RECORD_EXCERPT_BYTES: Final = 1 << 20
"""A rejected payload larger than this is kept as an excerpt with its size and SHA-256."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """One message a decoder could not turn into records, and why."""

    reason: str
    detail: str
    topic: str
    payload: bytes
    kind: str = "payload"
    source: str | None = None

    def record_text(self) -> str:
        """Return the payload as text for the quarantine ``record`` column."""
        if len(self.payload) <= RECORD_EXCERPT_BYTES:
            return self.payload.decode("utf-8", errors="backslashreplace")
        digest = hashlib.sha256(self.payload).hexdigest()
        head = self.payload[:4096].decode("utf-8", errors="backslashreplace")
        return f"<{len(self.payload)} bytes, sha256 {digest}; first 4096 bytes follow>\n{head}"


def stamped(rejects: Iterable[Rejected], source: str | None) -> tuple[Rejected, ...]:
    """Return the rejects with ``source`` where they name none, so that a quarantined
    message says which source it came from."""
    return tuple(r if r.source is not None else replace(r, source=source) for r in rejects)


def _text(value: str | None) -> str | None:
    """Return a text fit for a quarantine column: what is not UTF-8 (a lone surrogate from a
    topic that was not) written as an escape instead of failing the whole row."""
    if value is None or value.isascii():
        return value
    try:
        value.encode()
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode()
    return value


def rejected_table(rejects: Sequence[Rejected], *, received_at_us: int) -> pa.Table:
    """Return quarantine rows (``QUARANTINE_SCHEMA``) for messages that could not be decoded."""
    n = len(rejects)
    return pa.Table.from_arrays(
        [
            pa.array([received_at_us] * n, type=pa.int64()).cast(QUARANTINE_SCHEMA.field(0).type),
            pa.array([_text(r.kind) for r in rejects], type=pa.string()),
            pa.array([_text(r.source) for r in rejects], type=pa.string()),
            pa.nulls(n, QUARANTINE_SCHEMA.field("ts").type),
            pa.array([_text(r.topic) for r in rejects], type=pa.string()),
            pa.array([_text(r.reason) for r in rejects], type=pa.string()),
            pa.array([_text(r.detail) for r in rejects], type=pa.string()),
            pa.array([r.record_text() for r in rejects], type=pa.string()),
        ],
        schema=QUARANTINE_SCHEMA,
    )


@dataclass(frozen=True, slots=True)
class Decoded:
    """Record batches decoded from a group of messages, and the messages that were rejected."""

    tables: dict[RecordKind, pa.Table] = field(default_factory=dict)
    rejected: tuple[Rejected, ...] = ()

    @property
    def rows(self) -> int:
        """Records decoded, over every kind."""
        return sum(t.num_rows for t in self.tables.values())

    def merge(self, other: Decoded) -> Decoded:
        """Return both decodings together (tables of one kind concatenated)."""
        tables = dict(self.tables)
        for kind, table in other.tables.items():
            tables[kind] = (
                pa.concat_tables([tables[kind], table], promote_options="default")
                if kind in tables
                else table
            )
        return Decoded(tables, self.rejected + other.rejected)


@dataclass(frozen=True, slots=True)
class Batch:
    """The unit a buffer keeps and a bus carries: record tables and quarantine rows.

    ``received_at_us`` is when the oldest message of the batch was received; lag is
    measured from it.
    """

    tables: dict[RecordKind, pa.Table]
    quarantine: pa.Table
    received_at_us: int

    @classmethod
    def of(cls, decoded: Decoded, *, received_at_us: int) -> Batch:
        """Return a batch of a decoding, rejected messages turned into quarantine rows."""
        return cls(
            dict(decoded.tables),
            rejected_table(decoded.rejected, received_at_us=received_at_us),
            received_at_us,
        )

    @property
    def rows(self) -> int:
        """Records and quarantine rows in the batch."""
        return sum(int(t.num_rows) for t in self.tables.values()) + int(self.quarantine.num_rows)

    def to_bytes(self) -> bytes:
        """Return the batch as bytes: a JSON header line, then one Arrow IPC stream per table."""
        parts: list[bytes] = []
        header: dict[str, object] = {"received_at_us": self.received_at_us, "tables": []}
        named = [(kind.value, table) for kind, table in self.tables.items()]
        named.append(("quarantine", self.quarantine))
        for name, table in named:
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            body = sink.getvalue().to_pybytes()
            header["tables"].append([name, len(body)])  # type: ignore[attr-defined]
            parts.append(body)
        return json.dumps(header).encode() + b"\n" + b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> Batch:
        """Return a batch written by :meth:`to_bytes`."""
        line_end = data.index(b"\n")
        header = json.loads(data[:line_end])
        offset = line_end + 1
        tables: dict[RecordKind, pa.Table] = {}
        quarantine = QUARANTINE_SCHEMA.empty_table()
        for name, length in header["tables"]:
            reader = pa.ipc.open_stream(pa.py_buffer(data[offset : offset + length]))
            table = reader.read_all()
            offset += length
            if name == "quarantine":
                quarantine = table
            else:
                tables[RecordKind(name)] = table
        return cls(tables, quarantine, int(header["received_at_us"]))
