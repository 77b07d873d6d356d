"""The execution ledger: what became of each approved decision's action, and the outbox.

One row per approved decision that an executor was asked to carry out (table
``executions``): which executor, the typed action it was given (the body of a work request,
so the row is the outbox a plant's system is served from), how far it got and why. A row
moves ``pending`` -> ``dispatched`` (handed to a plant system, awaiting its
acknowledgement) -> ``done``; or to ``failed`` (the executor could not do it: tried again
after a back-off), ``rejected`` (the plant's system refused it) or ``unacknowledged`` (no
answer in time). The last two wait for a person: :meth:`ExecutionLedger.retry` sends the
work again. Nothing is marked executed that was not: the decision itself becomes
``executed`` only when its row is ``done``. Every change is audited.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any

from andon.decisions._json import canonical
from andon.decisions.audit import AuditLog
from andon.decisions.errors import IllegalTransitionError
from andon.decisions.record import DecisionRecord
from andon.proposals import Action
from andon.store.base import Store
from andon.store.decisions import ExecutionTable
from andon.time import from_seconds

__all__ = ["ExecutionLedger", "ExecutionRow", "ExecutionState"]

_RETRY_FIRST_S = 60.0
_RETRY_MAX_S = 3_600.0


class ExecutionState(StrEnum):
    """Where the execution of an approved decision stands."""

    PENDING = "pending"
    DISPATCHED = "dispatched"
    DONE = "done"
    FAILED = "failed"
    REJECTED = "rejected"
    UNACKNOWLEDGED = "unacknowledged"

    @property
    def waits_for_person(self) -> bool:
        """Whether nothing more happens until a person retries (or rejects the decision)."""
        return self in {ExecutionState.REJECTED, ExecutionState.UNACKNOWLEDGED}


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionRow:
    """One decision's execution: the work given to an executor and how far it got."""

    decision_id: str
    executor: str
    app: str
    subject: str
    site: str
    action: Action
    state: ExecutionState
    detail: str
    reference: str | None
    attempts: int
    next_attempt_at: int | None
    created_at: int
    updated_at: int

    def due(self, now: int) -> bool:
        """Whether the executor should be asked (again) at ``now``."""
        if self.state is ExecutionState.PENDING:
            return True
        return self.state is ExecutionState.FAILED and (
            self.next_attempt_at is None or self.next_attempt_at <= now
        )


def _row(row: dict[str, Any]) -> ExecutionRow:
    return ExecutionRow(
        decision_id=row["decision_id"],
        executor=row["executor"],
        app=row["app"],
        subject=row["subject"],
        site=row["site"],
        action=Action.from_json(json.loads(row["action"])),
        state=ExecutionState(row["state"]),
        detail=row["detail"],
        reference=row["reference"],
        attempts=int(row["attempts"]),
        next_attempt_at=row["next_attempt_at"],
        created_at=int(row["created_at"]),
        updated_at=int(row["updated_at"]),
    )


def retry_delay_s(attempts: int) -> float:
    """Return the back-off before attempt ``attempts + 1``: 1 min, doubling, at most 1 h.

    >>> [retry_delay_s(n) for n in (1, 2, 3, 10)]
    [60.0, 120.0, 240.0, 3600.0]
    """
    return min(_RETRY_FIRST_S * 2.0 ** max(attempts - 1, 0), _RETRY_MAX_S)


class ExecutionLedger:
    """Typed reads and writes of the ``executions`` table, every change audited."""

    def __init__(self, *, store: Store, audit: AuditLog) -> None:
        self._store = store
        self._table = ExecutionTable(store=store)
        self._audit = audit

    def open(self, record: DecisionRecord, *, executor: str, now: int) -> ExecutionRow:
        """Record that an approved decision's action is to be carried out (``pending``)."""
        row = ExecutionRow(
            decision_id=record.id,
            executor=executor,
            app=record.app,
            subject=record.subject,
            site=record.site,
            action=record.action,
            state=ExecutionState.PENDING,
            detail="",
            reference=None,
            attempts=0,
            next_attempt_at=None,
            created_at=now,
            updated_at=now,
        )
        values = {
            **{f.name: getattr(row, f.name) for f in fields(row)},
            "action": canonical(row.action.to_json()),
            "state": row.state.value,
        }
        with self._audit.transaction():
            self._table.insert(values)
            self._log(row, "opened")
        return row

    def get(self, decision_id: str) -> ExecutionRow | None:
        """Return a decision's execution, or ``None`` if it was never given to an executor."""
        row = self._table.get(decision_id)
        return None if row is None else _row(row)

    def of_decisions(self, decision_ids: Sequence[str]) -> dict[str, ExecutionRow]:
        """Return the executions of the given decisions, by decision id."""
        items = (_row(r) for r in self._table.of_decisions(decision_ids))
        return {item.decision_id: item for item in items}

    def in_state(self, state: ExecutionState, *, limit: int = 1_000) -> list[ExecutionRow]:
        """Return executions in one state, oldest change first."""
        return [_row(r) for r in self._table.in_state(state.value, limit=limit)]

    def change(
        self,
        row: ExecutionRow,
        *,
        state: ExecutionState,
        now: int,
        detail: str = "",
        reference: str | None = None,
        attempted: bool = False,
    ) -> ExecutionRow:
        """Move an execution to ``state`` with its detail; a failed attempt is retried later."""
        attempts = row.attempts + (1 if attempted else 0)
        changed = replace(
            row,
            state=state,
            detail=detail,
            reference=reference if reference is not None else row.reference,
            attempts=attempts,
            next_attempt_at=(
                now + from_seconds(retry_delay_s(attempts))
                if state is ExecutionState.FAILED
                else None
            ),
            updated_at=now,
        )
        with self._audit.transaction():
            self._table.update(
                changed.decision_id,
                state=changed.state.value,
                detail=changed.detail,
                reference=changed.reference,
                attempts=changed.attempts,
                next_attempt_at=changed.next_attempt_at,
                updated_at=changed.updated_at,
            )
            self._log(changed, changed.state.value)
        return changed

    def retry(self, decision_id: str, *, actor: str, now: int) -> ExecutionRow:
        """Send a failed, refused or unanswered execution again at the next round."""
        row = self.get(decision_id)
        if row is None or row.state in {ExecutionState.DONE, ExecutionState.PENDING}:
            state = "never sent" if row is None else row.state.value
            msg = f"decision {decision_id}'s execution is {state}: nothing to retry"
            raise IllegalTransitionError(msg)
        changed = replace(row, state=ExecutionState.PENDING, next_attempt_at=None, updated_at=now)
        with self._audit.transaction():
            self._table.requeue(decision_id, state=changed.state.value, updated_at=now)
            self._log(changed, "retried", actor=actor)
        return changed

    def _log(self, row: ExecutionRow, what: str, *, actor: str = "runtime") -> None:
        self._audit.append(
            actor=actor,
            action=f"execution.{what}",
            entity="decision",
            entity_id=row.decision_id,
            site=row.site,
            data={
                "executor": row.executor,
                "state": row.state.value,
                "detail": row.detail,
                "reference": row.reference,
                "attempts": row.attempts,
            },
            ts=row.updated_at,
        )
