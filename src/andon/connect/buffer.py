"""Store-and-forward buffers: batches kept in order until the store or bus has them.

:class:`DiskBuffer` is durable: one SQLite database in WAL mode, one row per batch (Arrow
IPC bytes). A batch is appended and committed before its messages are acknowledged to the
broker, and deleted only after the store or bus took it, so a killed process, a vanished
broker or a refusing store loses nothing; replay is in append order. Its size is bounded:
when a batch would not fit, the policy decides:

* ``block`` (default): the append waits until the forwarder frees room; the connector
  stops acknowledging, so the broker keeps the messages (persistent session).
* ``drop_oldest``: the oldest batches are deleted to make room, counted as
  ``dropped_records`` and logged; for plants that prefer fresh data to complete data.

:class:`MemoryBuffer` has the same interface without durability, for a process that writes
straight to a local store.

>>> import tempfile, pathlib
>>> from andon.connect.decoded import Batch
>>> from andon.store.base import QUARANTINE_SCHEMA
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> buffer = DiskBuffer(folder / "buffer.db", max_bytes=1 << 20)
>>> _ = buffer.append(Batch({}, QUARANTINE_SCHEMA.empty_table(), 0))
>>> buffer.depth()
1
>>> [entry.id for entry in buffer.peek(10)]
[1]
>>> buffer.ack([1]); buffer.depth()
0
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final, Protocol

from andon.connect.decoded import Batch
from andon.connect.metrics import Metrics
from andon.errors import ConnectError

__all__ = ["Buffer", "BufferEntry", "DiskBuffer", "FullPolicy", "MemoryBuffer"]

_log: Final = logging.getLogger(__name__)


class FullPolicy(StrEnum):
    """What a bounded buffer does when a batch does not fit."""

    BLOCK = "block"
    DROP_OLDEST = "drop_oldest"


@dataclass(frozen=True, slots=True)
class BufferEntry:
    """A batch in a buffer with its id (append order)."""

    id: int
    batch: Batch


class Buffer(Protocol):
    """What a forwarder needs of a buffer."""

    @property
    def token(self) -> str:
        """A random id of this buffer, kept as long as its batch ids count on: a forwarder
        puts it in every batch id, so two buffers' batch ``1-3`` are told apart."""
        ...

    def append(self, batch: Batch) -> int:
        """Keep a batch; return its id once it is safe to acknowledge its messages."""
        ...

    def peek(self, limit: int) -> list[BufferEntry]:
        """Return up to ``limit`` oldest batches without removing them."""
        ...

    def ack(self, ids: Sequence[int]) -> None:
        """Remove batches that the store or bus took."""
        ...

    def depth(self) -> int:
        """Return how many batches wait."""
        ...

    def wait(self, timeout_s: float) -> bool:
        """Wait until a batch waits or the timeout passes; return whether one waits."""
        ...

    def close(self) -> None:
        """Release the buffer."""
        ...


class MemoryBuffer:
    """An in-memory buffer: same order and interface, no durability, bounded by batches."""

    def __init__(self, *, max_batches: int = 10_000) -> None:
        self._items: deque[BufferEntry] = deque()
        self._cond = threading.Condition()
        self._next = 1
        self.max_batches: Final = max_batches
        self._token: Final = uuid.uuid4().hex

    @property
    def token(self) -> str:
        """A random id of this buffer: its ids count from 1 again in every process."""
        return self._token

    def append(self, batch: Batch) -> int:
        """Keep a batch; waits while the buffer holds ``max_batches``."""
        with self._cond:
            while len(self._items) >= self.max_batches:
                self._cond.wait(0.1)
            entry = BufferEntry(self._next, batch)
            self._next += 1
            self._items.append(entry)
            self._cond.notify_all()
            return entry.id

    def peek(self, limit: int) -> list[BufferEntry]:
        """Return up to ``limit`` oldest batches."""
        with self._cond:
            return [self._items[i] for i in range(min(limit, len(self._items)))]

    def ack(self, ids: Sequence[int]) -> None:
        """Remove batches by id."""
        done = set(ids)
        with self._cond:
            self._items = deque(e for e in self._items if e.id not in done)
            self._cond.notify_all()

    def depth(self) -> int:
        """Return how many batches wait."""
        with self._cond:
            return len(self._items)

    def wait(self, timeout_s: float) -> bool:
        """Wait for a batch."""
        with self._cond:
            if not self._items:
                self._cond.wait(timeout_s)
            return bool(self._items)

    def close(self) -> None:
        """Nothing to release."""


_BUFFER_MIGRATIONS: Final = (
    # Adoption: buffers made before this list had the table and user_version 0, so the first
    # step alone keeps IF NOT EXISTS. Later steps are plain statements, appended here.
    (
        "CREATE TABLE IF NOT EXISTS batches (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "received_at INTEGER NOT NULL, rows INTEGER NOT NULL, size INTEGER NOT NULL, "
        "body BLOB NOT NULL)"
    ),
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # the buffer's own random id, made once with the file: batch ids carry it, so the
    # buffers of two edges (whatever their names) never give the store the same batch id
    "INSERT INTO meta (key, value) VALUES ('buffer_id', lower(hex(randomblob(16))))",
)
"""The buffer file's schema versions, in order; SQLite's ``user_version`` records the last.

The buffer is the edge's own file, not the store: it has its own short list of steps, kept
beside the only code that reads it."""


def _migrate(db: sqlite3.Connection) -> None:
    """Apply the buffer's schema steps above the file's ``user_version``, each atomically."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if int(version) > len(_BUFFER_MIGRATIONS):
        msg = f"buffer schema version {version} is newer than this andon knows"
        raise sqlite3.DatabaseError(msg)
    for number, statement in enumerate(_BUFFER_MIGRATIONS[int(version) :], int(version) + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


class DiskBuffer:
    """A durable, bounded buffer in one SQLite file (WAL): survives a killed process."""

    def __init__(
        self,
        path: str | Path,
        *,
        max_bytes: int = 1 << 30,
        policy: FullPolicy = FullPolicy.BLOCK,
        metrics: Metrics | None = None,
    ) -> None:
        self.path: Final = Path(path)
        self.max_bytes: Final = max_bytes
        self.policy: Final = FullPolicy(policy)
        self.metrics: Final = metrics if metrics is not None else Metrics()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a killed process; only a power cut may lose the
            # last commits, which the broker then still holds unacknowledged.
            self._db.execute("PRAGMA synchronous=NORMAL")
            _migrate(self._db)
            row = self._db.execute("SELECT count(*), coalesce(sum(size), 0) FROM batches")
            count, size = row.fetchone()
            (token,) = self._db.execute("SELECT value FROM meta WHERE key = 'buffer_id'").fetchone()
        except sqlite3.Error as exc:
            msg = f"cannot open the buffer at {self.path}: {exc}"
            raise ConnectError(msg) from exc
        self._count = int(count)
        self._bytes = int(size)
        self._token: Final = str(token)
        self._cond = threading.Condition()
        self._gauges()

    @property
    def token(self) -> str:
        """The buffer file's random id, made with the file and kept with it: batches
        replayed after a restart keep their batch ids."""
        return self._token

    def _gauges(self) -> None:
        self.metrics.gauge("buffer_batches", self._count)
        self.metrics.gauge("buffer_bytes", self._bytes)

    def append(self, batch: Batch) -> int:
        """Commit a batch to disk; apply the full policy when it does not fit."""
        body = batch.to_bytes()
        size = len(body)
        if size > self.max_bytes:
            msg = f"a batch of {size} bytes is larger than the whole buffer ({self.max_bytes})"
            raise ConnectError(msg)
        with self._cond:
            while self._bytes + size > self.max_bytes:
                if self.policy is FullPolicy.DROP_OLDEST:
                    self._drop_oldest()
                    continue
                _log.warning(
                    "buffer %s is full (%d of %d bytes): waiting for the forwarder",
                    self.path,
                    self._bytes,
                    self.max_bytes,
                )
                self.metrics.add("buffer_full_waits")
                self._cond.wait(1.0)
            try:
                cursor = self._db.execute(
                    "INSERT INTO batches (received_at, rows, size, body) VALUES (?, ?, ?, ?)",
                    (batch.received_at_us, batch.rows, size, body),
                )
            except sqlite3.Error as exc:
                msg = f"cannot append to the buffer at {self.path}: {exc}"
                raise ConnectError(msg) from exc
            self._count += 1
            self._bytes += size
            self._gauges()
            self._cond.notify_all()
            return int(cursor.lastrowid or 0)

    def _drop_oldest(self) -> None:
        row = self._db.execute("SELECT id, rows, size FROM batches ORDER BY id LIMIT 1").fetchone()
        if row is None:
            return
        self._db.execute("DELETE FROM batches WHERE id = ?", (row[0],))
        self._count -= 1
        self._bytes -= int(row[2])
        self.metrics.add("dropped_records", int(row[1]))
        _log.warning(
            "buffer %s is full: dropped its oldest batch %d (%d records) by policy drop_oldest",
            self.path,
            row[0],
            row[1],
        )

    def peek(self, limit: int) -> list[BufferEntry]:
        """Return up to ``limit`` oldest batches in append order."""
        with self._cond:
            rows = self._db.execute(
                "SELECT id, body FROM batches ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
        return [BufferEntry(int(i), Batch.from_bytes(bytes(body))) for i, body in rows]

    def ack(self, ids: Sequence[int]) -> None:
        """Delete batches that were forwarded."""
        if not ids:
            return
        with self._cond:
            marks = ", ".join("?" * len(ids))
            freed = self._db.execute(
                f"SELECT count(*), coalesce(sum(size), 0) FROM batches WHERE id IN ({marks})",
                list(ids),
            ).fetchone()
            self._db.execute(f"DELETE FROM batches WHERE id IN ({marks})", list(ids))
            self._count -= int(freed[0])
            self._bytes -= int(freed[1])
            self._gauges()
            self._cond.notify_all()

    def depth(self) -> int:
        """Return how many batches wait."""
        with self._cond:
            return self._count

    def size_bytes(self) -> int:
        """Return the bytes of the waiting batches."""
        with self._cond:
            return self._bytes

    def oldest_received_at_us(self) -> int | None:
        """Return when the oldest waiting batch was received (for lag), or ``None``."""
        with self._cond:
            row = self._db.execute("SELECT min(received_at) FROM batches").fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def wait(self, timeout_s: float) -> bool:
        """Wait until a batch waits or the timeout passes."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._count == 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def close(self) -> None:
        """Close the database."""
        with self._cond:
            self._db.close()
