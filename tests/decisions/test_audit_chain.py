"""The audit chain: every change is logged, and any edit of the stored log is found."""

from __future__ import annotations

import hashlib

import pytest

from andon.decisions import AuditLog, DecisionService, SettingsService, UserService
from andon.decisions._chain import _by_row, bodies
from andon.decisions._json import now_us
from andon.decisions.access import PasswordPolicy
from andon.decisions.audit import entry_hash
from andon.store.base import Store
from decisions.decision_helpers import make_proposal, person


def _fill(store: Store, n: int) -> AuditLog:
    log = AuditLog(store=store)
    with store.transaction():
        for i in range(n):
            log.append(
                actor="tester",
                action="test.step",
                entity="test",
                entity_id=str(i),
                site="acme/lyon" if i % 2 else None,
                data={"i": i, "text": "é ü 漢"},
            )
    return log


def test_an_intact_chain_verifies(dstore: Store) -> None:
    log = _fill(dstore, 50)
    result = log.verify(batch_rows=7)
    assert result.ok
    assert result.entries == 50
    assert result.head_seq == 50
    assert result.broken_seq is None
    assert log.verify(expect_head=result.head_hash).ok


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("data", '{"i":999}'),
        ("actor", "mallory"),
        ("ts", 1),
        ("site", "acme/brno"),
        ("hash", "f" * 64),
    ],
)
def test_editing_a_row_breaks_the_chain_at_that_row(
    dstore: Store, column: str, value: object
) -> None:
    log = _fill(dstore, 30)
    dstore.execute(f"UPDATE audit_log SET {column} = ? WHERE seq = 17", [value])
    result = log.verify(batch_rows=8)
    assert not result.ok
    assert result.broken_seq == 17
    assert result.reason


def test_a_rewritten_entry_with_a_new_hash_breaks_the_next_link(dstore: Store) -> None:
    log = _fill(dstore, 10)
    row = dstore.execute("SELECT prev_hash FROM audit_log WHERE seq = 4").to_pylist()[0]
    forged = entry_hash(
        row["prev_hash"], seq=4, ts=0, actor="mallory", action="test.step", entity="test",
        entity_id="3", site=None, data="{}",
    )  # fmt: skip
    dstore.execute(
        "UPDATE audit_log SET ts = 0, actor = 'mallory', site = NULL, data = '{}', hash = ? "
        "WHERE seq = 4",
        [forged],
    )
    result = log.verify()
    assert (result.ok, result.broken_seq) == (False, 5)


def test_a_removed_entry_or_tail_is_found(dstore: Store) -> None:
    log = _fill(dstore, 10)
    dstore.execute("DELETE FROM audit_log WHERE seq = 6")
    assert log.verify().broken_seq == 6
    dstore.execute("DELETE FROM audit_log WHERE seq >= 6")
    result = log.verify()
    assert not result.ok
    assert result.broken_seq == 6
    assert "head" in (result.reason or "")


def test_a_head_published_earlier_catches_a_full_rewrite(dstore: Store) -> None:
    log = _fill(dstore, 5)
    published = log.verify().head_hash
    dstore.execute("DELETE FROM audit_log")
    dstore.execute("UPDATE audit_head SET seq = 0, hash = ?", ["0" * 64])
    _fill(dstore, 5)
    assert log.verify().ok
    assert not log.verify(expect_head=published).ok


def test_every_change_is_audited(dstore: Store) -> None:
    users = UserService(
        store=dstore, passwords=PasswordPolicy(memory_kib=1024, time_cost=1, parallelism=1)
    )
    users.add("ana", role="operator", sites=["acme/lyon"], password="a long password", actor="root")
    users.change("ana", role="engineer", actor="root")
    token = users.issue_token("ana", name="ci", actor="root")
    users.revoke(token.row.id, actor="root")
    SettingsService(store=dstore).set("ui.theme", "dark", actor="root")
    service = DecisionService(store=dstore)
    [record] = service.propose([make_proposal(created_at=now_us())])
    service.approve(record.id, who=person())
    service.execute(record.id, who=person())
    log = AuditLog(store=dstore)
    actions = [e.action for e in reversed(log.entries(limit=100))]
    assert actions == [
        "user.created",
        "user.changed",
        "token.created",
        "token.revoked",
        "setting.changed",
        "decision.proposed",
        "decision.approved",
        "decision.executed",
    ]
    assert log.verify().ok
    # secrets never reach the log
    text = dstore.execute("SELECT string_agg(data, ' ') AS t FROM audit_log").to_pylist()[0]["t"]
    assert token.secret not in text
    assert "a long password" not in text


def test_a_failed_change_leaves_neither_record_nor_entry(dstore: Store) -> None:
    service = DecisionService(store=dstore)
    [record] = service.propose([make_proposal()])
    head = AuditLog(store=dstore).head()
    with pytest.raises(Exception, match="reason"):
        service.reject(record.id, who=person(), reason="")
    assert AuditLog(store=dstore).head() == head
    assert service.get(record.id).version == 1


def test_awkward_text_hashes_the_same_way_it_was_written(dstore: Store) -> None:
    log = AuditLog(store=dstore)
    texts = ['quote " and back\\slash', "new\nline\ttab\x01", "é ü 漢 \u2028 😀", ""]
    with dstore.transaction():
        for i, text in enumerate(texts):
            log.append(
                actor=text or "x",
                action="test.text",
                entity="test",
                entity_id=text,
                site=None if i % 2 else text,
                data={"text": text, "n": i},
            )
    result = log.verify(batch_rows=3)
    assert result.ok, result
    dstore.execute("UPDATE audit_log SET entity_id = 'changed' WHERE seq = 2")
    assert log.verify(batch_rows=3).broken_seq == 2


def test_bodies_built_by_arrow_are_the_bytes_the_writer_hashed(dstore: Store) -> None:
    log = AuditLog(store=dstore)
    texts = ['"', "\\", '\\"', 'a "b" \\c\\', "é ü 漢 \u2028 😀 \x7f", "", "plain"]
    with dstore.transaction():
        for i, text in enumerate(texts):
            log.append(
                actor=text or "x",
                action=f"a{text}",
                entity="test",
                entity_id=text,
                site=None if i % 3 == 0 else text,
                data={"text": text, "n": i, "nested": {"q": text}},
            )
    table = dstore.execute(
        "SELECT seq, ts, actor, action, entity, entity_id, site, data, prev_hash, hash "
        "FROM audit_log ORDER BY seq"
    )
    fast = bodies(table)
    assert fast == _by_row(table)  # no control characters: the Arrow path was taken
    assert [hashlib.sha256(b).hexdigest() for b in fast] == table.column("hash").to_pylist()
    assert log.verify(batch_rows=4).ok
    dstore.execute("UPDATE audit_log SET action = 'a\\\\' WHERE seq = 6")
    assert log.verify(batch_rows=4).broken_seq == 6


def test_an_entry_stored_past_the_head_or_after_a_wide_gap_is_found(dstore: Store) -> None:
    log = _fill(dstore, 10)
    row = dstore.execute("SELECT * FROM audit_log WHERE seq = 10").to_pylist()[0]
    dstore.execute(
        "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [1000, row["ts"], "mallory", "x", "x", "x", None, "{}", row["hash"], "0" * 64],
    )
    result = log.verify(batch_rows=4)
    assert (result.ok, result.broken_seq) == (False, 11)  # 11 is missing before 1000
