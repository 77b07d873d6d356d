"""The forwarder: takes batches from a buffer in order and hands them to a sink until taken.

Delivery is at least once: a batch leaves the buffer only after the sink returned, and a
sink that fails (store refusing writes, bus unreachable) is retried with backoff, forever,
without reordering. Writes are idempotent (batch id, then natural key), so at least once
is exactly once in effect.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Final, Protocol

import pyarrow as pa

from andon.connect.buffer import Buffer, BufferEntry
from andon.connect.decoded import Batch
from andon.connect.metrics import Metrics
from andon.connect.pipeline import Pipeline
from andon.records import RecordKind

__all__ = ["Forwarder", "Sink", "StoreSink", "merge_batches"]

_log: Final = logging.getLogger(__name__)


class Sink(Protocol):
    """Where forwarded batches go: the store (through the pipeline) or a bus."""

    def send(self, batch: Batch, *, batch_id: str) -> None:
        """Deliver a batch or raise an :class:`~andon.errors.AndonError`."""
        ...


class StoreSink:
    """A sink that checks contracts and writes to the store."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline: Final = pipeline

    def send(self, batch: Batch, *, batch_id: str) -> None:
        """Check and write a batch."""
        self.pipeline.write(batch, batch_id=batch_id)


def merge_batches(batches: Sequence[Batch]) -> Batch:
    """Return one batch with the tables of several, in order."""
    if len(batches) == 1:
        return batches[0]
    tables: dict[RecordKind, list[pa.Table]] = {}
    for batch in batches:
        for kind, table in batch.tables.items():
            tables.setdefault(kind, []).append(table)
    return Batch(
        {
            kind: pa.concat_tables(parts, promote_options="default")
            for kind, parts in tables.items()
        },
        pa.concat_tables([b.quarantine for b in batches]),
        min(b.received_at_us for b in batches),
    )


class Forwarder:
    """Moves batches from a buffer to a sink on a thread of its own.

    A batch id is ``<name>~<buffer token>:<first>-<last>``: the buffer's random token
    (:attr:`~andon.connect.buffer.Buffer.token`, kept in a durable buffer's file) keeps the
    ids of two edges apart even when they share a name, and a replay after a restart (the
    same file) keeps its ids, so the store recognises it.
    """

    def __init__(
        self,
        *,
        buffer: Buffer,
        sink: Sink,
        name: str | None = None,
        metrics: Metrics | None = None,
        max_batches: int = 64,
        max_rows: int = 500_000,
        retry_min_s: float = 0.2,
        retry_max_s: float = 10.0,
    ) -> None:
        self.buffer: Final = buffer
        self.sink: Final = sink
        self.name: Final = name or "andon"
        self.metrics: Final = metrics if metrics is not None else Metrics()
        self.max_batches: Final = max_batches
        self.max_rows: Final = max_rows
        self.retry_min_s: Final = retry_min_s
        self.retry_max_s: Final = retry_max_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start forwarding in the background."""
        self._thread = threading.Thread(target=self._run, name="andon-forward", daemon=True)
        self._thread.start()

    def stop(self, *, drain_s: float = 10.0) -> None:
        """Forward what waits (up to ``drain_s``), then stop."""
        deadline = time.monotonic() + drain_s
        while self.buffer.depth() and time.monotonic() < deadline:
            time.sleep(0.02)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(max(drain_s, 1.0))

    def _run(self) -> None:
        delay = self.retry_min_s
        while not self._stop.is_set():
            if not self.buffer.wait(0.1):
                continue
            entries = self._take()
            if not entries:
                continue
            try:
                self.forward(entries)
            except Exception as exc:  # noqa: BLE001 - retried: nothing may be lost
                self.metrics.add("forward_retries")
                _log.warning(
                    "forwarding %d batch(es) failed (%s); retrying in %.1f s",
                    len(entries),
                    exc,
                    delay,
                )
                self._stop.wait(delay)
                delay = min(delay * 2, self.retry_max_s)
                continue
            delay = self.retry_min_s

    def _take(self) -> list[BufferEntry]:
        entries = self.buffer.peek(self.max_batches)
        taken: list[BufferEntry] = []
        rows = 0
        for entry in entries:
            if taken and rows + entry.batch.rows > self.max_rows:
                break
            taken.append(entry)
            rows += entry.batch.rows
        return taken

    def forward(self, entries: Sequence[BufferEntry]) -> None:
        """Send entries as one batch and remove them from the buffer."""
        batch = merge_batches([e.batch for e in entries])
        batch_id = f"{self.name}~{self.buffer.token}:{entries[0].id}-{entries[-1].id}"
        self.sink.send(batch, batch_id=batch_id)
        self.buffer.ack([e.id for e in entries])
        self.metrics.gauge("buffer_depth", self.buffer.depth())
        self.metrics.gauge("lag_s", round((time.time_ns() // 1000 - batch.received_at_us) / 1e6, 6))
