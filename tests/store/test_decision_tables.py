"""The decision layer's tables through the store's typed methods, on every store."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from andon import records
from andon.errors import StoreError
from andon.records import RecordKind
from andon.store import DuckDBStore, PostgresStore, Store
from andon.store._decision_sql import (
    AUDIT_HEAD,
    DECISION_COLUMNS,
    DecisionRowFilter,
    audit_next,
    decision_page,
)
from andon.store._sql import GENESIS
from andon.store.decisions import (
    AuditTable,
    DecisionTable,
    ExecutionTable,
    SettingTable,
    TokenTable,
    UserTable,
)
from andon.store.queries import latest_time, ping


def _decision(decision_id: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(DECISION_COLUMNS)
    row.update(
        id=decision_id, app="maintenance", kind="intervention", subject="acme/lyon/a/l1/press1",
        site="acme/lyon", action="{}", options="[]", expected_value=100.0, confidence=0.5,
        explanation="", factors="[]", evidence="{}", snapshot="", model_version="m@1",
        created_at=1_000, expires_at=2_000, status="proposed", shadow=False,
        required_role="operator", escalation="", outcome_detail="{}", updated_at=1_000,
        version=1,
    )  # fmt: skip
    row.update(values)
    return row


def test_a_decision_is_written_once_per_version(store: Store) -> None:
    table = DecisionTable(store=store)
    table.insert(_decision("d1"))
    approved = {**_decision("d1"), "status": "approved", "decided_by": "ana", "version": 2}

    assert table.update(approved, expected_version=1)
    assert not table.update({**approved, "decided_by": "bob", "version": 3}, expected_version=1)
    row = table.get("d1")
    assert row is not None
    assert (row["status"], row["decided_by"], row["version"]) == ("approved", "ana", 2)
    assert table.get("nope") is None


def test_pages_follow_the_cursor_through_ties_in_creation_time(store: Store) -> None:
    table = DecisionTable(store=store)
    for i in range(23):
        # Three decisions share each creation time: the cursor's tie-break is the id.
        table.insert(_decision(f"d{i:02d}", created_at=1_000 + i // 3, site=f"s{i % 2}"))
    filters = DecisionRowFilter(sites=("s0",), statuses=("proposed",))

    seen: list[str] = []
    after: tuple[int, str] | None = None
    while page := table.page(filters, limit=4, after=after):
        seen.extend(r["id"] for r in page)
        last = table.bodies([page[-1]["id"]])[0]  # the cursor's time is in the body
        after = (int(last["created_at"]), str(last["id"]))

    expected = sorted(
        (f"d{i:02d}" for i in range(23) if i % 2 == 0),
        key=lambda d: (1_000 + int(d[1:]) // 3, d),
        reverse=True,
    )
    assert seen == expected


def test_a_subject_prefix_is_a_path_not_a_pattern(store: Store) -> None:
    table = DecisionTable(store=store)
    table.insert(_decision("a", subject="acme/l_1/press"))
    table.insert(_decision("b", subject="acme/lx1/press"))
    table.insert(_decision("c", subject="acme/l_1"))
    table.insert(_decision("d", subject="acme/l_10/press"))

    page = table.page(DecisionRowFilter(subject_prefix="acme/l_1/"), limit=10)

    assert sorted(r["id"] for r in page) == ["a", "c"]
    assert table.page(DecisionRowFilter(sites=()), limit=10) == []


def test_bodies_and_executions_are_read_in_chunks_of_ids(store: Store) -> None:
    decisions = DecisionTable(store=store)
    executions = ExecutionTable(store=store)
    ids = [f"d{i:04d}" for i in range(1_203)]
    with store.transaction():
        for i in ids:
            decisions.insert(_decision(i))
            executions.insert(
                {
                    "decision_id": i,
                    "executor": "sim",
                    "app": "maintenance",
                    "subject": "acme/lyon/a/l1/press1",
                    "site": "acme/lyon",
                    "action": "{}",
                    "state": "pending",
                    "detail": "",
                    "reference": None,
                    "attempts": 0,
                    "next_attempt_at": None,
                    "created_at": 1,
                    "updated_at": 1,
                }
            )

    assert sorted(r["id"] for r in decisions.bodies([*ids, "missing"])) == ids
    assert sorted(r["decision_id"] for r in executions.of_decisions(ids)) == ids


def test_an_execution_moves_and_is_requeued(store: Store) -> None:
    table = ExecutionTable(store=store)
    table.insert(
        {
            "decision_id": "d1",
            "executor": "plant",
            "app": "maintenance",
            "subject": "x",
            "site": "acme/lyon",
            "action": "{}",
            "state": "pending",
            "detail": "",
            "reference": None,
            "attempts": 0,
            "next_attempt_at": None,
            "created_at": 1,
            "updated_at": 1,
        }
    )
    table.update(
        "d1",
        state="failed",
        detail="broker down",
        reference="wr-1",
        attempts=1,
        next_attempt_at=99,
        updated_at=2,
    )
    assert [r["decision_id"] for r in table.in_state("failed", limit=10)] == ["d1"]

    table.requeue("d1", state="pending", updated_at=3)

    row = table.get("d1")
    assert row is not None
    assert (row["state"], row["detail"], row["next_attempt_at"], row["updated_at"]) == (
        "pending",
        "broker down",
        None,
        3,
    )


def test_users_tokens_and_settings(store: Store) -> None:
    users, tokens, settings = (
        UserTable(store=store),
        TokenTable(store=store),
        SettingTable(store=store),
    )
    users.insert(
        {
            "username": "ana",
            "role": "admin",
            "sites": "[]",
            "password_hash": None,
            "active": True,
            "created_at": 1,
            "updated_at": 1,
        }
    )
    users.update({**(users.get("ana") or {}), "role": "viewer", "updated_at": 2})
    for token_id, kind, expires in (("t1", "api", None), ("s1", "session", 5)):
        tokens.insert(
            {
                "id": token_id,
                "username": "ana",
                "kind": kind,
                "name": token_id,
                "secret_hash": "h",
                "sites": None,
                "created_at": 1,
                "expires_at": expires,
                "revoked": False,
            }
        )
    settings.put("threshold", "1", now=1, actor="ana")
    settings.put("threshold", "2", now=2, actor="bob")

    assert users.count() == 1
    assert (users.get("ana") or {})["role"] == "viewer"
    assert [r["id"] for r in tokens.of_kind("api", username="ana")] == ["t1"]
    assert tokens.revoke("t1")
    assert not tokens.revoke("t1")
    assert tokens.revoke_user("ana") == 1
    assert tokens.delete_sessions(before=6) == 1
    assert tokens.get("s1") is None
    assert settings.all() == {"threshold": "2"}
    assert settings.get("other") is None


def test_the_audit_head_names_each_entry_appended(store: Store) -> None:
    table = AuditTable(store=store)
    for expected in (1, 2, 3):
        with store.transaction():
            seq, prev = table.next_link()
            assert seq == expected
            assert prev == (GENESIS if expected == 1 else f"{expected - 1:064d}")
            table.append(_entry(seq, prev))

    assert table.head() == (3, f"{3:064d}")
    assert [r["seq"] for r in table.entries(limit=2)] == [3, 2]
    assert table.seq_range(after=1, upto=3).column("seq").to_pylist() == [2, 3]
    assert table.following(after=0, limit=2).column("seq").to_pylist() == [1, 2]


def test_a_link_taken_in_a_transaction_rolled_back_is_not_kept(store: Store) -> None:
    table = AuditTable(store=store)

    def fail_after_taking_a_link() -> None:
        with store.transaction():
            table.next_link()
            msg = "the change the entry records failed"
            raise RuntimeError(msg)

    with pytest.raises(RuntimeError):
        fail_after_taking_a_link()

    assert table.head() == (0, GENESIS)
    assert table.next_link() == (1, GENESIS)


def _entry(seq: int, prev: str) -> dict[str, Any]:
    return {
        "seq": seq, "ts": seq, "actor": "ana", "action": "user.created", "entity": "user",
        "entity_id": f"u{seq}", "site": None, "data": "{}", "prev_hash": prev,
        "hash": f"{seq:064d}",
    }  # fmt: skip


def test_only_postgres_advances_the_head_in_the_statement_that_reads_it() -> None:
    locking, advances = audit_next("postgres")
    assert advances
    assert locking.startswith("UPDATE audit_head")
    assert "RETURNING" in locking
    assert audit_next("duckdb") == (AUDIT_HEAD, False)


def test_appenders_on_two_postgres_connections_never_take_the_same_link(
    postgres_url: str,
) -> None:
    schema = f"t_{uuid.uuid4().hex}"
    stores = [PostgresStore(postgres_url, schema=schema) for _ in range(2)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(stores))

    def append_many(store: PostgresStore) -> None:
        table = AuditTable(store=store)
        start.wait()
        try:
            for _ in range(40):
                with store.transaction():
                    seq, prev = table.next_link()
                    table.append(_entry(seq, prev))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=append_many, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not errors, errors
        rows = stores[0].rows("SELECT seq, prev_hash FROM audit_log ORDER BY seq")
        assert [r["seq"] for r in rows] == list(range(1, 81))
        # Each entry chains to the one before it, whichever connection wrote either.
        assert [r["prev_hash"] for r in rows[1:]] == [f"{s:064d}" for s in range(1, 80)]
    finally:
        stores[1].close()
        stores[0].drop_schema()


def test_ping_and_the_newest_time_of_a_kind(store: Store) -> None:
    ping(store)
    assert latest_time(store, RecordKind.STATE) is None
    store.write(
        RecordKind.STATE,
        records.states(
            ts=[1_700_000_000_123_456, 5],
            path=["acme/lyon/a/l1/press1"] * 2,
            state=["running", "idle"],
            source="test",
        ),
    )
    assert latest_time(store, RecordKind.STATE) == 1_700_000_000_123_456


def test_ping_raises_a_store_error_when_the_store_is_gone() -> None:
    store = DuckDBStore(None)
    store.close()
    with pytest.raises(StoreError):
        ping(store)


def test_the_page_query_starts_at_the_cursor() -> None:
    sql, params = decision_page(DecisionRowFilter(app="quality"), limit=5, after=(7, "x"))
    assert "created_at <= ? AND (created_at < ? OR id < ?)" in sql
    assert sql.endswith("ORDER BY created_at DESC, id DESC LIMIT 5")
    assert params == ["quality", 7, 7, "x"]
