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
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from andon.decisions._json import canonical
from andon.decisions.audit import AuditLog
from andon.decisions.errors import IllegalTransitionError
from andon.decisions.record import DecisionRecord
from andon.proposals import Action
from andon.store.base import Store

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


_COLUMNS = (
    "decision_id", "executor", "app", "subject", "site", "action", "state", "detail",
    "reference", "attempts", "next_attempt_at", "created_at", "updated_at",
)  # fmt: skip
_SELECT = ", ".join(_COLUMNS)


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
            **{name: getattr(row, name) for name in _COLUMNS},
            "action": canonical(row.action.to_json()),
            "state": row.state.value,
        }
        with self._store.transaction():
            self._store.execute(
                f"INSERT INTO executions ({_SELECT}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                [values[c] for c in _COLUMNS],
            )
            self._log(row, "opened")
        return row

    def get(self, decision_id: str) -> ExecutionRow | None:
        """Return a decision's execution, or ``None`` if it was never given to an executor."""
        rows = self._store.rows(
            f"SELECT {_SELECT} FROM executions WHERE decision_id = ?", [decision_id]
        )
        return _row(rows[0]) if rows else None

    def of_decisions(self, decision_ids: Sequence[str]) -> dict[str, ExecutionRow]:
        """Return the executions of the given decisions, by decision id."""
        if not decision_ids:
            return {}
        found: dict[str, ExecutionRow] = {}
        for start in range(0, len(decision_ids), 500):
            chunk = list(decision_ids[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            for row in self._store.rows(
                f"SELECT {_SELECT} FROM executions WHERE decision_id IN ({marks})", chunk
            ):
                item = _row(row)
                found[item.decision_id] = item
        return found

    def in_state(self, state: ExecutionState, *, limit: int = 1_000) -> list[ExecutionRow]:
        """Return executions in one state, oldest change first."""
        rows = self._store.rows(
            f"SELECT {_SELECT} FROM executions WHERE state = ? "
            "ORDER BY updated_at, decision_id LIMIT ?",
            [state.value, limit],
        )
        return [_row(r) for r in rows]

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
                now + round(retry_delay_s(attempts) * 1_000_000)
                if state is ExecutionState.FAILED
                else None
            ),
            updated_at=now,
        )
        with self._store.transaction():
            self._store.execute(
                "UPDATE executions SET state = ?, detail = ?, reference = ?, attempts = ?, "
                "next_attempt_at = ?, updated_at = ? WHERE decision_id = ?",
                [
                    changed.state.value,
                    changed.detail,
                    changed.reference,
                    changed.attempts,
                    changed.next_attempt_at,
                    changed.updated_at,
                    changed.decision_id,
                ],
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
        with self._store.transaction():
            self._store.execute(
                "UPDATE executions SET state = ?, next_attempt_at = NULL, updated_at = ? "
                "WHERE decision_id = ?",
                [changed.state.value, now, decision_id],
            )
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
