"""Group commit: changes that arrive together commit in one transaction, each in its own
savepoint.

Every audited change takes the audit head's row lock and holds it until its commit, so
changes commit one after another, each waiting for the previous one's write to disk. Under
a steady stream of approvals that wait, not the work, is what fills a queue and makes the
slow tail. A leader commits for all: the first change to find the writer free takes every
change queued by then and runs them in one transaction, each inside a savepoint (so one
refused change, a version conflict, gives up its own writes only), then commits once.
The changes queued while it wrote are the next leader's. Alone, a change commits as
before, without a savepoint.

The store must offer savepoints as nested transactions (PostgreSQL does; DuckDB has none,
and has one writer in the process anyway, so it commits each change by itself).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["GroupCommit"]

T = TypeVar("T")


@dataclass(slots=True)
class _Change(Generic[T]):
    work: Callable[[], T]
    result: T | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


class GroupCommit:
    """Run changes in shared transactions: ``transaction()`` opens the outer one (the
    audit log's, which records the head file after it commits), ``savepoint()`` an inner.

    >>> from contextlib import nullcontext
    >>> commits = GroupCommit(transaction=nullcontext, savepoint=nullcontext)
    >>> commits.run(lambda: 42)
    42
    """

    def __init__(
        self,
        *,
        transaction: Callable[[], AbstractContextManager[object]],
        savepoint: Callable[[], AbstractContextManager[object]],
    ) -> None:
        self._transaction = transaction
        self._savepoint = savepoint
        self._queue: list[_Change[object]] = []
        self._queue_lock = threading.Lock()
        self._writer = threading.Lock()

    def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` (its writes and audit entries) in a committed transaction; return
        what it returned or raise what it raised. Blocks until its transaction commits."""
        change: _Change[object] = _Change(work)
        with self._queue_lock:
            self._queue.append(change)
        with self._writer:
            if not change.done.is_set():
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit(batch)
        if change.error is not None:
            raise change.error
        return change.result  # type: ignore[return-value]

    def _commit(self, batch: list[_Change[object]]) -> None:
        try:
            with self._transaction():
                if len(batch) == 1:
                    batch[0].result = batch[0].work()
                else:
                    for change in batch:
                        try:
                            with self._savepoint():
                                change.result = change.work()
                        except Exception as exc:  # noqa: BLE001 - handed to its caller
                            change.error = exc
        except BaseException as exc:  # noqa: BLE001 - the commit failed: each caller raises it
            for change in batch:
                if change.error is None:
                    change.error = exc
                change.result = None
        finally:
            for change in batch:
                change.done.set()
