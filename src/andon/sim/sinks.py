"""Where the simulator's records go: the store, memory, an in-process bus (publish only).

Every sink receives whole Arrow batches, one record kind at a time, each with a batch id
that names the run, the kind and the chunk (so a rerun into the same store is skipped whole
rather than duplicated). Ground-truth tables go through :meth:`Sink.write_truth`, which only
the store and memory sinks keep: truth never travels on a bus.

:class:`PipelineSink` is the way into a store: each batch passes the same
:class:`~andon.connect.pipeline.Pipeline` as every connector's (contract check, quarantine
with its reason, idempotent write by batch id), so the simulator's data is checked as a
plant's is. Ground truth is not plant data and goes to the store directly.
:class:`StoreSink` writes past the contracts; it is kept for re-loading data already checked.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pyarrow as pa

from andon.connect.decoded import Batch
from andon.connect.pipeline import Pipeline
from andon.model import Model
from andon.records import RecordKind, empty
from andon.store.base import QUARANTINE_SCHEMA, Store

__all__ = ["BusSink", "InProcessBus", "MemorySink", "PipelineSink", "Sink", "StoreSink"]


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


Clock = Callable[[], int]
"""Now, in UTC microseconds."""


class PipelineSink:
    """Writes each batch through the contracts' :class:`Pipeline` into its store.

    Build it from a pipeline (``PipelineSink(pipeline=Pipeline(store=..., model=...))``) or
    with :meth:`into`. ``clock`` gives the time the future bound is measured from; left
    ``None``, it is the simulated time the run has reached (:meth:`advance`, called by
    :func:`~andon.sim.simulate` before each chunk is written), else the wall clock. The
    store receives the good rows in class units (the contract check converts them) and the
    quarantined rows with their reasons; :attr:`quarantined` counts them by reason.

    Ground truth follows its chunk's records, as with :class:`StoreSink`: when every record
    batch of the chunk was written before (the same run written again), its truth is skipped
    too.

    >>> from andon.model import load_model
    >>> from andon.sim import simulate
    >>> from andon.store import open_store
    >>> model = load_model("examples/discrete")
    >>> store = open_store("duckdb://:memory:")
    >>> sink = PipelineSink.into(store, model=model)
    >>> _ = simulate(model, days=0.25, seed=1, sink=sink)
    >>> sink.written > 0, sink.quarantined
    (True, {})
    """

    def __init__(self, *, pipeline: Pipeline, clock: Clock | None = None) -> None:
        self.pipeline = pipeline
        self.clock = clock
        self.written = 0
        self.duplicates = 0
        self.quarantined: dict[str, int] = {}
        self._now_us: int | None = None
        self._wrote = False
        self._seen = False

    @classmethod
    def into(cls, store: Store, *, model: Model, clock: Clock | None = None) -> PipelineSink:
        """Return a sink through a new pipeline over ``store`` and ``model``."""
        return cls(pipeline=Pipeline(store=store, model=model), clock=clock)

    def advance(self, now_us: int) -> None:
        """Set the simulated time that the future bound is measured from."""
        self._now_us = now_us

    def _now(self) -> int | None:
        if self.clock is not None:
            return self.clock()
        return self._now_us

    def write(self, kind: RecordKind, table: pa.Table, *, batch_id: str) -> None:
        """Check the batch, write its good rows idempotently, quarantine the others."""
        batch = Batch(
            {RecordKind(kind): table}, QUARANTINE_SCHEMA.empty_table(), time.time_ns() // 1000
        )
        result = self.pipeline.write(batch, batch_id=batch_id, now_us=self._now())
        self.written += result.written
        self.duplicates += result.duplicates
        if result.quarantined:
            self.quarantined = dict(Counter(self.quarantined) + Counter(result.quarantined))
        self._wrote = self._wrote or result.written > 0
        self._seen = self._seen or result.duplicates > 0

    def write_truth(self, name: str, table: pa.Table) -> None:
        """Append to the ground-truth table ``name`` unless its chunk was written before."""
        if self._wrote or not self._seen:
            self.pipeline.store.write_table(name, table)

    def end_chunk(self) -> None:
        """Start judging the next chunk's freshness."""
        self._wrote = self._seen = False

    def close(self) -> None:
        """Nothing to flush: every write is committed; the store stays open."""


@dataclass
class StoreSink:
    """Writes straight into an andon store, past the contracts (see :class:`PipelineSink`).

    For data already checked (a re-load); the simulator's output goes through
    :class:`PipelineSink`.

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
