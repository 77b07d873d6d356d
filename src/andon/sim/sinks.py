"""Where the simulator's records go: the store, memory, an in-process bus (publish only).

Every sink receives whole Arrow batches, one record kind at a time, each with a batch id
that names the run, the kind and the chunk (so a rerun into the same store is skipped whole
rather than duplicated). Ground-truth tables go through :meth:`Sink.write_truth`, which only
the store and memory sinks keep: truth never travels on a bus.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pyarrow as pa

from andon.records import RecordKind, empty
from andon.store.base import Store

__all__ = ["BusSink", "InProcessBus", "MemorySink", "Sink", "StoreSink"]


@runtime_checkable
class Sink(Protocol):
    """Receives the simulator's output chunk by chunk."""

    def write(self, kind: RecordKind, table: pa.Table, *, batch_id: str) -> None:
        """Take one batch of one record kind."""
        ...

    def write_truth(self, name: str, table: pa.Table) -> None:
        """Take one batch of a ground-truth table (``truth_*``)."""
        ...

    def close(self) -> None:
        """Flush and release what the sink holds."""
        ...


@dataclass
class StoreSink:
    """Writes straight into an andon store: the fastest way in.

    Record batches are idempotent by batch id; ground truth follows them: when the chunk's
    record batches were all seen before (the same run written again), its truth is skipped
    too, so a rerun neither duplicates records nor truth.
    """

    store: Store
    _fresh: bool = False

    def write(self, kind: RecordKind, table: pa.Table, *, batch_id: str) -> None:
        """Write the batch idempotently."""
        result = self.store.write(kind, table, batch_id=batch_id)
        self._fresh = self._fresh or not result.batch_seen

    def write_truth(self, name: str, table: pa.Table) -> None:
        """Append to the ground-truth table ``name`` unless its chunk was written before."""
        if self._fresh:
            self.store.write_table(name, table)

    def end_chunk(self) -> None:
        """Start judging the next chunk's freshness."""
        self._fresh = False

    def close(self) -> None:
        """Nothing to flush: every write is committed."""


@dataclass
class MemorySink:
    """Keeps every batch in memory, for tests and notebooks."""

    tables: dict[str, list[pa.Table]] = field(default_factory=dict)
    truth: dict[str, list[pa.Table]] = field(default_factory=dict)

    def write(self, kind: RecordKind, table: pa.Table, *, batch_id: str) -> None:
        """Keep the batch."""
        del batch_id
        self.tables.setdefault(RecordKind(kind).value, []).append(table)

    def write_truth(self, name: str, table: pa.Table) -> None:
        """Keep the truth batch."""
        self.truth.setdefault(name, []).append(table)

    def close(self) -> None:
        """Nothing to release."""

    def table(self, kind: RecordKind | str) -> pa.Table:
        """Return every record of a kind as one table."""
        parts = self.tables.get(RecordKind(kind).value, [])
        return pa.concat_tables(parts) if parts else empty(kind)

    def truth_table(self, name: str) -> pa.Table:
        """Return a whole ground-truth table (empty when nothing was written)."""
        parts = self.truth.get(name, [])
        return pa.concat_tables(parts, promote_options="default") if parts else pa.table({})


Subscriber = Callable[[RecordKind, pa.Table], None]


@dataclass
class InProcessBus:
    """The simplest bus: subscribers called in the publisher's thread, in order."""

    subscribers: list[Subscriber] = field(default_factory=list)

    def subscribe(self, callback: Subscriber) -> None:
        """Call ``callback(kind, table)`` for every batch published from now on."""
        self.subscribers.append(callback)

    def publish(self, kind: RecordKind, table: pa.Table) -> None:
        """Hand a batch to every subscriber."""
        for callback in self.subscribers:
            callback(kind, table)


@dataclass
class BusSink:
    """Publishes records on an in-process bus; ground truth is not published."""

    bus: InProcessBus

    def write(self, kind: RecordKind, table: pa.Table, *, batch_id: str) -> None:
        """Publish the batch."""
        del batch_id
        self.bus.publish(kind, table)

    def write_truth(self, name: str, table: pa.Table) -> None:
        """Drop it: truth stays out of the plant's data."""
        del name, table

    def close(self) -> None:
        """Nothing to release."""
