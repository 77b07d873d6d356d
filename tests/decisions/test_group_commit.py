"""Changes that arrive together commit together, each in its own savepoint.

On PostgreSQL, approvals from many threads at once share transactions: every one commits
with its audit entry, the chain stays whole, and a change refused inside a shared
transaction (a conflict, an illegal step) gives up its own writes only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from andon.decisions import AuditLog, DecisionService, ensure_schema
from andon.decisions._group_commit import GroupCommit
from andon.decisions.errors import IllegalTransitionError
from andon.decisions.record import Status
from andon.store import PostgresStore
from decisions.decision_helpers import Clock, make_proposal, person


def _until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_concurrent_changes_share_commits_and_a_failure_stays_its_own() -> None:
    commits: list[int] = []
    inner: list[str] = []
    batch: list[str] = []
    gate = threading.Event()

    @contextmanager
    def transaction() -> Iterator[None]:
        batch.clear()
        yield
        commits.append(len(batch))

    @contextmanager
    def savepoint() -> Iterator[None]:
        before = list(inner)
        try:
            yield
        except Exception:
            inner[:] = before  # rolled back to the savepoint
            raise

    group = GroupCommit(transaction=transaction, savepoint=savepoint)

    def work(name: str) -> str:
        if name == "first":
            gate.wait(5)  # hold the writer while the others queue up
        inner.append(name)
        batch.append(name)
        if name == "bad":
            raise ValueError("refused")
        return name

    with ThreadPoolExecutor(max_workers=8) as pool:
        first = pool.submit(group.run, lambda: work("first"))
        _until(group._writer.locked)  # the first holds the writer
        others = [pool.submit(group.run, lambda n=n: work(n)) for n in ("a", "b", "bad", "c")]
        _until(lambda: len(group._queue) == 4)  # all four queued behind it
        gate.set()
        assert first.result(5) == "first"
        results = []
        for future in others:
            try:
                results.append(future.result(5))
            except ValueError as exc:
                results.append(str(exc))
    assert results == ["a", "b", "refused", "c"]
    assert commits == [1, 4]  # the first alone, then the four queued behind it in one
    assert sorted(inner) == ["a", "b", "c", "first"]  # the refused one left nothing


@pytest.fixture
def pg_service(postgres_store: PostgresStore) -> DecisionService:
    ensure_schema(postgres_store)
    return DecisionService(store=postgres_store, clock=Clock())


def test_approvals_from_many_threads_all_commit_with_a_whole_chain(
    pg_service: DecisionService, postgres_store: PostgresStore
) -> None:
    records = pg_service.propose(
        [make_proposal(subject=f"acme/lyon/machining/m1/milling/mill{i}") for i in range(60)]
    )
    who = person()
    twice = records[0].id

    def approve(decision_id: str) -> str:
        try:
            pg_service.approve(decision_id, who=who)
        except IllegalTransitionError:
            return "illegal"
        except Exception as exc:  # a conflict is the other legitimate refusal
            return type(exc).__name__
        return "approved"

    ids = [r.id for r in records] + [twice] * 4
    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(approve, ids))
    assert outcomes[:60].count("approved") + outcomes[60:].count("approved") == 60
    assert all(o in {"illegal", "DecisionConflictError"} for o in outcomes if o != "approved")
    assert {pg_service.get(r.id).status for r in records} == {Status.APPROVED}
    approvals = postgres_store.rows(
        "SELECT entity_id, count(*) AS n FROM audit_log WHERE action = 'decision.approved' "
        "GROUP BY entity_id"
    )
    assert len(approvals) == 60
    assert {row["n"] for row in approvals} == {1}
    assert AuditLog(store=postgres_store).verify().ok
