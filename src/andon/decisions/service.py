"""The decision service: proposals in, governed decision records out, every change audited.

Each change commits in one store transaction: the record change and its audit entry commit
together or not at all. On PostgreSQL, changes that arrive together share a transaction,
each in its own savepoint (:mod:`andon.decisions._group_commit`): one write to disk for
all of them instead of a queue of them. A decision is read and its next state judged before that
transaction (so that other changes need not wait for it); the update names the version it
read, and a change made by someone else in between is refused with
:class:`~andon.decisions.errors.DecisionConflictError` rather than overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from andon.decisions import workflow
from andon.decisions._group_commit import GroupCommit
from andon.decisions._json import now_us
from andon.decisions._seal import SEAL_KEY
from andon.decisions.access import Principal, Role
from andon.decisions.audit import AuditLog
from andon.decisions.errors import DecisionConflictError, DecisionNotFoundError
from andon.decisions.executions import ExecutionLedger
from andon.decisions.policy import Policy
from andon.decisions.record import DecisionRecord, from_proposal
from andon.decisions.repository import DecisionFilter, Repository
from andon.decisions.settings import SettingsService
from andon.proposals import Outcome, Proposal
from andon.store.base import Store

__all__ = ["DecisionService"]

SYSTEM = "system"


class DecisionService:
    """Turn proposals into decision records and move them through the workflow.

    >>> from andon.store import open_store
    >>> from andon.decisions import ensure_schema
    >>> from andon.proposals import Action, ActionKind, Proposal, register_action_kinds
    >>> register_action_kinds(ActionKind(name="example_shift_job", app="example",
    ...     description="move a job to other hours", requires=frozenset({"slot_start"})))
    >>> store = open_store("duckdb://:memory:"); ensure_schema(store)
    >>> service = DecisionService(store=store)
    >>> action = Action(kind="example_shift_job", subject="acme/lyon/a/l1", slot_start=5,
    ...     label="shift oven warm-up to 05:00")
    >>> [record] = service.propose([Proposal(app="example", subject="acme/lyon/a/l1",
    ...     action=action, expected_value=120.0, confidence=0.7,
    ...     explanation="cheaper hours", created_at=0, expires_at=10**15)], now=1)
    >>> record.status.value, record.title
    ('proposed', 'shift oven warm-up to 05:00')
    """

    def __init__(self, *, store: Store, clock: Callable[[], int] = now_us) -> None:
        self._store = store
        self._repo = Repository(store=store)
        self._audit = AuditLog(store=store)
        self._settings = SettingsService(store=store, clock=clock)
        self._clock = clock
        # Changes that arrive together commit together where the store has savepoints.
        self._commits = (
            GroupCommit(transaction=self._audit.transaction, savepoint=store.transaction)
            if store.dialect == "postgres"
            else None
        )
        self.executions = ExecutionLedger(store=store, audit=self._audit)
        """What became of each approved decision's action (the outbox of work requests)."""

    @property
    def repository(self) -> Repository:
        """The repository the service writes through."""
        return self._repo

    def policy(self) -> Policy:
        """Return the escalation rules and shadow scopes in force."""
        return self._settings.policy()

    def _log(
        self, record: DecisionRecord, seal: str, action: str, actor: str, **extra: Any
    ) -> None:
        self._audit.append(
            actor=actor,
            action=f"decision.{action}",
            entity="decision",
            entity_id=record.id,
            site=record.site,
            data={**record.summary(), **extra, SEAL_KEY: seal},
            ts=record.updated_at,
        )

    def propose(
        self,
        proposals: Iterable[Proposal],
        *,
        now: int | None = None,
        actor: str = SYSTEM,
        escalate_to: tuple[Role, str] | None = None,
    ) -> list[DecisionRecord]:
        """Record proposals; an undecided decision of the same app, kind and subject is
        superseded by the new one when it changed materially
        (:func:`~andon.decisions.workflow.materially_changed`), else renewed (same id, later
        expiry) and returned in its place. Escalation and shadow mode come from the policy;
        a proposal that does not ask a person (``asks`` false) is recorded in shadow: scored,
        never executed, kept out of the inbox. ``escalate_to`` (a role and a reason) raises
        the approver for these proposals."""
        when = self._clock() if now is None else now
        policy = self.policy()
        made: list[DecisionRecord] = []
        with self._audit.transaction():
            for proposal in proposals:
                role, rules = policy.required_role(
                    app=proposal.app,
                    expected_value=proposal.expected_value,
                    confidence=proposal.confidence,
                )
                if escalate_to is not None and escalate_to[0].rank > role.rank:
                    role = escalate_to[0]
                    rules = ", ".join(r for r in (rules, escalate_to[1]) if r)
                record = from_proposal(
                    proposal,
                    now=when,
                    shadow=policy.is_shadow(app=proposal.app, site=proposal.site)
                    or not proposal.asks,
                    required_role=role,
                    escalation=rules,
                )
                open_ = self._repo.open_for_subject(
                    app=proposal.app,
                    supersede_key=proposal.supersede_key,
                    subject=proposal.subject,
                )
                kept = next(
                    (
                        old
                        for old in open_
                        if not old.expired_at(when) and not workflow.materially_changed(old, record)
                    ),
                    None,
                )
                if kept is not None:
                    renewed = workflow.renew(kept, expires_at=record.expires_at, now=when)
                    seal = self._write(renewed, kept.version)
                    self._log(renewed, seal, "renewed", actor, expected_value=record.expected_value)
                    made.append(renewed)
                    continue
                for old in open_:
                    replaced = workflow.supersede(old, by=record.id, now=when)
                    seal = self._write(replaced, old.version)
                    self._log(replaced, seal, "superseded", actor, by=record.id)
                seal = self._repo.insert_decision(record)
                self._log(record, seal, "proposed", actor, escalation=rules)
                made.append(record)
        return made

    def _write(self, record: DecisionRecord, expected_version: int) -> str:
        """Write a changed record; return its row's seal (see :meth:`Repository.update_decision
        <andon.decisions.repository.Repository.update_decision>`)."""
        seal = self._repo.update_decision(record, expected_version=expected_version)
        if seal is None:
            msg = f"decision {record.id} was changed by someone else; reload it"
            raise DecisionConflictError(msg)
        return seal

    def get(self, decision_id: str, *, who: Principal | None = None) -> DecisionRecord:
        """Return a decision; one outside the user's sites is reported as not found."""
        record = self._repo.get_decision(decision_id)
        if record is None or (who is not None and not who.can_see(record.subject)):
            msg = f"no decision {decision_id!r}"
            raise DecisionNotFoundError(msg)
        return record

    def list(
        self,
        filters: DecisionFilter,
        *,
        who: Principal | None = None,
        limit: int = 50,
        after: tuple[int, str] | None = None,
    ) -> list[DecisionRecord]:
        """Return a page of decisions newest first, narrowed to the user's sites."""
        if who is not None and not who.all_sites:
            allowed = set(who.sites)
            asked = filters.sites
            sites = tuple(s for s in (asked or who.sites) if s in allowed)
            filters = DecisionFilter(**{**_fields(filters), "sites": sites})
        return self._repo.list_decisions(filters, limit=limit, after=after)

    def _change(
        self,
        decision_id: str,
        who: Principal | None,
        action: str,
        step: Callable[[DecisionRecord], DecisionRecord],
        **extra: Any,
    ) -> DecisionRecord:
        # Read and judge outside the writer's transaction: the update below is refused if the
        # record changed meanwhile, so the transaction holds only the writes and the audit.
        record = self.get(decision_id, who=who)
        changed = step(record)

        def write() -> None:
            seal = self._write(changed, record.version)
            self._log(changed, seal, action, who.username if who else SYSTEM, **extra)

        if self._commits is None:
            with self._audit.transaction():
                write()
        else:
            self._commits.run(write)
        return changed

    def approve(
        self, decision_id: str, *, who: Principal, reason: str | None = None, now: int | None = None
    ) -> DecisionRecord:
        """Approve a proposed decision (the role must meet its escalation)."""
        when = self._clock() if now is None else now
        return self._change(
            decision_id,
            who,
            "approved",
            lambda r: workflow.approve(r, who=who, now=when, reason=reason),
            reason=reason,
        )

    def reject(
        self, decision_id: str, *, who: Principal, reason: str, now: int | None = None
    ) -> DecisionRecord:
        """Reject a proposed decision with a reason."""
        when = self._clock() if now is None else now
        return self._change(
            decision_id,
            who,
            "rejected",
            lambda r: workflow.reject(r, who=who, now=when, reason=reason),
            reason=reason,
        )

    def execute(
        self, decision_id: str, *, who: Principal, now: int | None = None
    ) -> DecisionRecord:
        """Mark an approved decision as carried out."""
        when = self._clock() if now is None else now
        return self._change(
            decision_id, who, "executed", lambda r: workflow.execute(r, who=who, now=when)
        )

    def record_outcome(
        self,
        decision_id: str,
        *,
        outcome: Outcome,
        who: Principal | None = None,
        now: int | None = None,
    ) -> DecisionRecord:
        """Attach a measured outcome (by a person through the API, or by an app's measure)."""
        when = self._clock() if now is None else now
        return self._change(
            decision_id,
            who,
            "outcome_recorded",
            lambda r: workflow.record_outcome(r, outcome=outcome, now=when),
            realised_value=outcome.realised_value,
            success=outcome.success,
        )

    def expire_due(self, *, now: int | None = None) -> int:
        """Mark every undecided decision past its expiry as expired; return how many."""
        when = self._clock() if now is None else now
        count = 0
        with self._audit.transaction():
            for record in self._repo.due_to_expire(now=when):
                expired = workflow.expire(record, now=when)
                seal = self._write(expired, record.version)
                self._log(expired, seal, "expired", SYSTEM)
                count += 1
        return count


def _fields(filters: DecisionFilter) -> dict[str, Any]:
    return {name: getattr(filters, name) for name in DecisionFilter.__slots__}
