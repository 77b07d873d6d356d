"""Typed reads and writes of the decision layer's tables over any store.

The decision layer (:mod:`andon.decisions`) keeps its records, users, tokens, settings,
audit chain and execution ledger in tables that the store's migrations make; every
statement on them is here (:mod:`andon.store._decision_sql`), run through
:meth:`andon.store.Store.execute` and :meth:`~andon.store.Store.rows`, so that one text
serves DuckDB and PostgreSQL. Rows go in and come out as dicts keyed by column name, with
the table's values (status names, JSON text, UTC microseconds): what they mean is the
decision layer's business, and this module imports none of it.

>>> from andon.store import open_store
>>> store = open_store("duckdb://:memory:")
>>> settings = SettingTable(store=store)
>>> settings.put("threshold", "250.0", now=0, actor="ana")
>>> settings.get("threshold")
'250.0'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from andon.store import _decision_sql as sql
from andon.store._decision_sql import DecisionRowFilter
from andon.store.base import Store

__all__ = [
    "AuditTable",
    "DecisionRowFilter",
    "DecisionTable",
    "ExecutionTable",
    "SettingTable",
    "TokenTable",
    "UserTable",
]

_CHUNK = 500
"""Ids per ``IN`` list: well within both engines' parameter limits."""


def _count(result: pa.Table) -> int:
    """Return the rows a DML statement changed (the ``Count`` both stores report)."""
    return int(result.column("Count")[0].as_py()) if result.num_rows else 0


def _first(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    return rows[0] if rows else None


class DecisionTable:
    """The ``decisions`` table: one row per decision record, its body written once."""

    def __init__(self, *, store: Store) -> None:
        self._store = store

    def insert(self, row: Mapping[str, Any]) -> None:
        """Insert a decision (a value for every column of ``DECISION_COLUMNS``)."""
        self._store.execute(sql.INSERT_DECISION, [row[c] for c in sql.DECISION_COLUMNS])

    def update(self, row: Mapping[str, Any], *, expected_version: int) -> bool:
        """Write a decision's changing columns if its version is still ``expected_version``.

        Returns whether the row was written (no other writer changed it meanwhile).
        """
        result = self._store.execute(
            sql.UPDATE_DECISION,
            [*(row[c] for c in sql.DECISION_MUTABLE), row["id"], expected_version],
        )
        return _count(result) == 1

    def get(self, decision_id: str) -> dict[str, Any] | None:
        """Return a decision's row by id, or ``None``."""
        return _first(self._store.rows(sql.DECISION_BY_ID, [decision_id]))

    def open_for_subject(
        self, *, app: str, kind: str, subject: str, status: str
    ) -> list[dict[str, Any]]:
        """Return the rows of an app's decisions of a kind for a subject, in one status."""
        return self._store.rows(sql.OPEN_FOR_SUBJECT, [app, subject, kind, status])

    def due_to_expire(self, *, status: str, now: int, limit: int) -> list[dict[str, Any]]:
        """Return rows in ``status`` whose expiry is at or before ``now``, soonest first."""
        return self._store.rows(*sql.due_to_expire(status=status, now=now, limit=limit))

    def page(
        self, filters: DecisionRowFilter, *, limit: int, after: tuple[int, str] | None = None
    ) -> list[dict[str, Any]]:
        """Return the heads (id and changing columns) of a page, newest first.

        ``after`` is the ``(created_at, id)`` of the last row of the previous page; see
        :func:`andon.store._decision_sql.decision_page` for the indexes it walks.
        """
        return self._store.rows(*sql.decision_page(filters, limit=limit, after=after))

    def bodies(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Return the unchanging columns of the decisions with these ids (any order)."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            found.extend(self._store.rows(sql.decision_bodies(len(chunk)), chunk))
        return found

    def awaiting_outcome(
        self,
        *,
        apps: Sequence[str],
        executed: str,
        shadow_statuses: Sequence[str],
        limit: int,
    ) -> list[dict[str, Any]]:
        """Return rows of ``apps`` with no outcome yet, executed or shadow, oldest first."""
        if not apps:
            return []
        return self._store.rows(
            *sql.awaiting_outcome(
                apps=apps, executed=executed, shadow_statuses=shadow_statuses, limit=limit
            )
        )

    def model_first_use(self, *, apps: Sequence[str]) -> list[dict[str, Any]]:
        """Return ``app, model_version, site, first_at`` (first created_at) of each version used."""
        if not apps:
            return []
        return self._store.rows(*sql.model_first_use(apps))

    def outcome_columns(self, filters: DecisionRowFilter) -> pa.Table:
        """Return app, status, shadow, expected and realised value, success of each decision."""
        return self._store.execute(*sql.outcome_columns(filters))

    def figures(self, filters: DecisionRowFilter) -> pa.Table:
        """Return site, app, created_at, status, shadow, expected and realised value, outcome
        time and success of each decision (what the inbox's figures count)."""
        return self._store.execute(*sql.decision_figures(filters))

    def ids_with_prefix(self, prefix: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """Return ``id, subject`` of the decisions whose id starts with ``prefix``, by id."""
        return self._store.rows(*sql.ids_with_prefix(prefix, limit=limit))

    def states(self, *, after: str, limit: int) -> pa.Table:
        """Return every column of the next ``limit`` rows in id order after id ``after``."""
        return self._store.execute(sql.DECISION_STATES, [after, limit])

    def booked_actions(self, *, app: str, since: int) -> list[dict[str, Any]]:
        """Return ``subject, action`` (JSON text) of an app's decisions approved or carried
        out since ``since``: the work people already agreed to."""
        return self._store.rows(sql.BOOKED_ACTIONS, [app, since])

    def measured_outcomes(self, *, app: str, site: str, until: int) -> list[dict[str, Any]]:
        """Return ``outcome_at, outcome_success`` of an app's decisions at a site measured by
        ``until``."""
        return self._store.rows(sql.MEASURED_OUTCOMES, [app, site, until])


class UserTable:
    """The ``users`` table (``sites`` a JSON array, the password a hash or NULL)."""

    def __init__(self, *, store: Store) -> None:
        self._store = store

    def insert(self, row: Mapping[str, Any]) -> None:
        """Insert a user (a value for every column of ``USER_COLUMNS``)."""
        self._store.execute(sql.INSERT_USER, [row[c] for c in sql.USER_COLUMNS])

    def update(self, row: Mapping[str, Any]) -> None:
        """Write a user's role, sites, password hash, active flag and update time."""
        self._store.execute(
            sql.UPDATE_USER,
            [
                row["role"],
                row["sites"],
                row["password_hash"],
                row["active"],
                row["updated_at"],
                row["username"],
            ],
        )

    def get(self, username: str) -> dict[str, Any] | None:
        """Return a user's row, or ``None``."""
        return _first(self._store.rows(sql.USER_BY_NAME, [username]))

    def all(self) -> list[dict[str, Any]]:
        """Return every user's row, by name."""
        return self._store.rows(sql.USERS)

    def count(self) -> int:
        """Return how many users exist."""
        return int(self._store.rows(sql.COUNT_USERS)[0]["n"])


class TokenTable:
    """The ``api_tokens`` table: API tokens and browser sessions, their secrets as digests."""

    def __init__(self, *, store: Store) -> None:
        self._store = store

    def insert(self, row: Mapping[str, Any]) -> None:
        """Insert a token (a value for every column of ``TOKEN_COLUMNS``)."""
        self._store.execute(sql.INSERT_TOKEN, [row[c] for c in sql.TOKEN_COLUMNS])

    def get(self, token_id: str) -> dict[str, Any] | None:
        """Return a token's row by id, or ``None``."""
        return _first(self._store.rows(sql.TOKEN_BY_ID, [token_id]))

    def of_kind(self, kind: str, *, username: str | None = None) -> list[dict[str, Any]]:
        """Return the rows of a kind of token (of one user, or all), oldest first."""
        return self._store.rows(*sql.tokens(kind=kind, username=username))

    def revoke(self, token_id: str) -> bool:
        """Revoke a token; return whether it existed and was active."""
        return _count(self._store.execute(sql.REVOKE_TOKEN, [token_id])) == 1

    def revoke_user(self, username: str) -> int:
        """Revoke every active token and session of a user; return how many."""
        return _count(self._store.execute(sql.REVOKE_USER_TOKENS, [username]))

    def delete_sessions(self, *, before: int) -> int:
        """Delete browser sessions that expired before ``before``; return how many."""
        return _count(self._store.execute(sql.DELETE_SESSIONS, [before]))


class SettingTable:
    """The ``settings`` table: one JSON text value per key, with who set it and when."""

    def __init__(self, *, store: Store) -> None:
        self._store = store

    def get(self, key: str) -> str | None:
        """Return a setting's JSON text, or ``None`` when unset."""
        row = _first(self._store.rows(sql.SETTING, [key]))
        return None if row is None else str(row["value"])

    def put(self, key: str, value: str, *, now: int, actor: str) -> None:
        """Set a setting's JSON text (update, or insert when the key is new)."""
        if _count(self._store.execute(sql.UPDATE_SETTING, [value, now, actor, key])) == 0:
            self._store.execute(sql.INSERT_SETTING, [key, value, now, actor])

    def all(self) -> dict[str, str]:
        """Return every setting's JSON text by key."""
        return {r["key"]: str(r["value"]) for r in self._store.rows(sql.SETTINGS)}


class AuditTable:
    """The ``audit_log`` entries and the ``audit_head`` row that names the last one."""

    def __init__(self, *, store: Store) -> None:
        self._store = store
        self._next, self._advances = sql.audit_next(store.dialect)

    def next_link(self) -> tuple[int, str]:
        """Return the sequence number of the next entry and the hash it chains to.

        Call inside the transaction that appends: on PostgreSQL this takes the head's row
        lock, which holds every other appender until the transaction ends.
        """
        if self._advances:
            head = self._store.execute(self._next).to_pylist()[0]
            return int(head["seq"]), str(head["hash"])
        head = self._store.rows(self._next)[0]
        return int(head["seq"]) + 1, str(head["hash"])

    def append(self, row: Mapping[str, Any]) -> None:
        """Insert an entry (a value for every column of ``AUDIT_COLUMNS``) and make it the head."""
        self._store.execute(sql.INSERT_AUDIT, [row[c] for c in sql.AUDIT_COLUMNS])
        self._store.execute(sql.AUDIT_SET_HEAD, [row["seq"], row["hash"]])

    def head(self) -> tuple[int, str] | None:
        """Return the head's sequence number and hash, or ``None`` when there is no head row."""
        row = _first(self._store.rows(sql.AUDIT_HEAD))
        return None if row is None else (int(row["seq"]), str(row["hash"]))

    def entries(
        self,
        *,
        after_seq: int | None = None,
        before_seq: int | None = None,
        entity: str | None = None,
        entity_id: str | None = None,
        sites: tuple[str, ...] | None = None,
        include_global: bool = True,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Return entries' rows newest first; ``sites=None`` means every site."""
        return self._store.rows(
            *sql.audit_entries(
                after_seq=after_seq,
                before_seq=before_seq,
                entity=entity,
                entity_id=entity_id,
                sites=sites,
                include_global=include_global,
                limit=limit,
            )
        )

    def seq_range(self, *, after: int, upto: int) -> pa.Table:
        """Return the entries with ``after < seq <= upto`` in order (a zone-map range scan)."""
        return self._store.execute(sql.AUDIT_RANGE, [after, upto])

    def following(self, *, after: int, limit: int) -> pa.Table:
        """Return the next ``limit`` entries after ``after`` in order, whatever their numbers."""
        return self._store.execute(sql.audit_after(limit), [after])


class ExecutionTable:
    """The ``executions`` table: one row per approved decision given to an executor."""

    def __init__(self, *, store: Store) -> None:
        self._store = store

    def insert(self, row: Mapping[str, Any]) -> None:
        """Insert an execution (a value for every column of ``EXECUTION_COLUMNS``)."""
        self._store.execute(sql.INSERT_EXECUTION, [row[c] for c in sql.EXECUTION_COLUMNS])

    def get(self, decision_id: str) -> dict[str, Any] | None:
        """Return a decision's execution row, or ``None``."""
        return _first(self._store.rows(sql.EXECUTION_BY_ID, [decision_id]))

    def of_decisions(self, decision_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Return the execution rows of these decisions (those that have one)."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(decision_ids), _CHUNK):
            chunk = list(decision_ids[start : start + _CHUNK])
            found.extend(self._store.rows(sql.executions_of(len(chunk)), chunk))
        return found

    def in_state(self, state: str, *, limit: int) -> list[dict[str, Any]]:
        """Return rows in one state, oldest change first."""
        return self._store.rows(sql.EXECUTIONS_IN_STATE, [state, limit])

    def update(
        self,
        decision_id: str,
        *,
        state: str,
        detail: str,
        reference: str | None,
        attempts: int,
        next_attempt_at: int | None,
        updated_at: int,
    ) -> None:
        """Write an execution's state, detail, reference, attempts and next attempt."""
        self._store.execute(
            sql.UPDATE_EXECUTION,
            [state, detail, reference, attempts, next_attempt_at, updated_at, decision_id],
        )

    def requeue(self, decision_id: str, *, state: str, updated_at: int) -> None:
        """Put an execution back in ``state`` with no attempt scheduled (detail kept)."""
        self._store.execute(sql.REQUEUE_EXECUTION, [state, updated_at, decision_id])
