"""The audit chain covers every decision's row, and its head is checked against a head file.

Each tamper is what someone with write access to the database can do: change a decision
row, rewrite the chain's tail with valid hashes, append a forged entry, delete rows; each
moves ``audit_head`` along, so only the seals and the head file outside the database can
tell.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from andon.cli import app
from andon.decisions import AuditLog, DecisionService, ensure_schema
from andon.decisions._seal import SEAL_KEY, row_seal, row_seals
from andon.decisions.audit import entry_hash
from andon.decisions.errors import HeadFileError
from andon.decisions.head_file import HEAD_FILE_ENV, HeadFile
from andon.decisions.record import from_proposal
from andon.store import open_store
from andon.store._decision_sql import DECISION_COLUMNS
from andon.store.base import Store
from decisions.decision_helpers import Clock, make_proposal, person


@pytest.fixture
def head_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A head file every audit log of the test appends to (through the environment)."""
    path = tmp_path / "audit.head"
    monkeypatch.setenv(HEAD_FILE_ENV, str(path))
    return path


def _decide(store: Store) -> list[str]:
    """Propose three decisions on three subjects; approve one, reject one; return the ids."""
    clock = Clock()
    service = DecisionService(store=store, clock=clock)
    made = service.propose(
        [make_proposal(subject=f"acme/lyon/machining/m1/milling/mill{i}") for i in range(3)]
    )
    service.approve(made[0].id, who=person(), reason="window agreed")
    service.reject(made[1].id, who=person(), reason="no spare in stock")
    return [r.id for r in made]


def _entry(store: Store, seq: int) -> dict[str, Any]:
    return store.rows("SELECT * FROM audit_log WHERE seq = ?", [seq])[0]


def _rehash(row: dict[str, Any], prev_hash: str) -> str:
    return entry_hash(
        prev_hash,
        seq=int(row["seq"]),
        ts=int(row["ts"]),
        actor=row["actor"],
        action=row["action"],
        entity=row["entity"],
        entity_id=row["entity_id"],
        site=row["site"],
        data=row["data"],
    )


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("decided_by", "mallory"),
        ("status", "approved"),
        ("reason", "changed later"),
        ("expected_value", 9999.5),
        ("version", 7),
        ("expires_at", 1),
        ("evidence", '{"vibration_rms":[0.1]}'),
        ("shadow", True),
    ],
)
def test_a_decision_row_changed_in_the_database_is_named(
    dstore: Store, column: str, value: object
) -> None:
    ids = _decide(dstore)
    log = AuditLog(store=dstore)
    assert log.verify().ok
    dstore.execute(f"UPDATE decisions SET {column} = ? WHERE id = ?", [value, ids[1]])
    result = log.verify(batch_rows=2)
    assert not result.ok
    assert result.decision_id == ids[1]
    assert result.decisions_failed == 1
    assert ids[1] in (result.reason or "")
    assert "changed" in (result.reason or "")
    # and with the head published earlier: still found, the head is not what changed
    assert not log.verify(expect_head=log.head()[1]).ok


def test_a_deleted_decision_row_is_named(dstore: Store) -> None:
    ids = _decide(dstore)
    log = AuditLog(store=dstore)
    dstore.execute("DELETE FROM decisions WHERE id = ?", [ids[2]])
    result = log.verify()
    assert (result.ok, result.decision_id) == (False, ids[2])
    assert "gone" in (result.reason or "")
    assert result.broken_seq is not None
    assert _entry(dstore, result.broken_seq)["entity_id"] == ids[2]


def test_a_forged_row_without_entries_is_named(dstore: Store) -> None:
    _decide(dstore)
    forged = from_proposal(make_proposal(subject="acme/lyon/a/l/c/forged"), now=5)
    DecisionService(store=dstore).repository.insert_decision(forged)
    result = AuditLog(store=dstore).verify()
    assert (result.ok, result.decision_id, result.broken_seq) == (False, forged.id, None)
    assert "outside andon" in (result.reason or "")


def test_a_re_sealed_tail_passes_without_a_head_file_and_fails_with_one(
    dstore: Store, head_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _decide(dstore)
    log = AuditLog(store=dstore)
    assert log.verify().ok
    assert HeadFile(head_path).newest() == log.head()
    # change who decided, and rewrite the last entry (the rejection) to seal the new row
    dstore.execute("UPDATE decisions SET decided_by = 'mallory' WHERE id = ?", [ids[1]])
    [row] = [dict(r) for r in dstore.rows("SELECT * FROM decisions WHERE id = ?", [ids[1]])]
    head_seq, _ = log.head()
    last = _entry(dstore, head_seq)
    data = json.loads(last["data"])
    data[SEAL_KEY] = row_seal(row)
    last["data"] = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    last["actor"] = "mallory"
    forged = _rehash(last, last["prev_hash"])
    dstore.execute(
        "UPDATE audit_log SET data = ?, actor = ?, hash = ? WHERE seq = ?",
        [last["data"], "mallory", forged, head_seq],
    )
    dstore.execute("UPDATE audit_head SET hash = ? WHERE id = 1", [forged])
    monkeypatch.delenv(HEAD_FILE_ENV)
    assert AuditLog(store=dstore).verify().ok  # consistent: only an outside head can tell
    result = log.verify()
    assert not result.ok
    assert result.broken_seq == head_seq
    assert "rewritten" in (result.reason or "")
    assert result.head_file == str(head_path)


def test_a_forged_entry_appended_with_its_head_is_found(
    dstore: Store, head_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _decide(dstore)
    log = AuditLog(store=dstore)
    head_seq, head_hash = log.head()
    row = {
        "seq": head_seq + 1, "ts": 1, "actor": "mallory", "action": "user.created",
        "entity": "user", "entity_id": "mallory", "site": None, "data": '{"role":"admin"}',
        "prev_hash": head_hash,
    }  # fmt: skip
    row["hash"] = _rehash(row, head_hash)
    dstore.execute(
        "INSERT INTO audit_log (seq, ts, actor, action, entity, entity_id, site, data, "
        "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        list(row.values()),
    )
    dstore.execute(
        "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", [row["seq"], row["hash"]]
    )
    monkeypatch.delenv(HEAD_FILE_ENV)
    assert AuditLog(store=dstore).verify().ok  # consistent: only an outside head can tell
    result = log.verify()
    assert not result.ok
    assert "appended outside andon" in (result.reason or "")


def test_deleted_tail_entries_with_the_head_moved_back_are_found(
    dstore: Store, head_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _decide(dstore)
    log = AuditLog(store=dstore)
    head_seq, _ = log.head()
    before = _entry(dstore, head_seq - 1)
    dstore.execute("DELETE FROM audit_log WHERE seq = ?", [head_seq])
    dstore.execute(
        "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", [head_seq - 1, before["hash"]]
    )
    result = log.verify(decisions=False)
    assert not result.ok
    assert "removed" in (result.reason or "")
    assert result.head_file == str(head_path)
    # without the head file, the seals still name the decision the removed entry changed
    monkeypatch.delenv(HEAD_FILE_ENV)
    result = AuditLog(store=dstore).verify()
    assert (result.ok, result.decision_id) == (False, ids[1])


def test_the_head_file_names_committed_heads_only(dstore: Store, head_path: Path) -> None:
    _decide(dstore)
    log = AuditLog(store=dstore)
    committed = log.head()

    def append_then_fail() -> None:
        with log.transaction():
            log.append(actor="ana", action="test.step", entity="test", entity_id="1")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        append_then_fail()
    assert HeadFile(head_path).newest() == committed == log.head()
    with pytest.raises(HeadFileError, match="transaction"), dstore.transaction():
        log.append(actor="ana", action="test.step", entity="test", entity_id="2")
    assert log.verify().ok
    lines = head_path.read_text().splitlines()
    assert len(lines) == 3  # one per committed change: propose (one transaction), approve, reject
    assert [int(line.split()[0]) for line in lines] == sorted(int(x.split()[0]) for x in lines)


def test_a_missing_or_corrupt_head_file_fails_verify(dstore: Store, tmp_path: Path) -> None:
    _decide(dstore)
    assert not AuditLog(store=dstore, head_file=tmp_path / "missing").verify().ok
    corrupt = tmp_path / "corrupt"
    corrupt.write_text("not a head\n1 " + "a" * 64 + "\n")
    with pytest.raises(HeadFileError, match="not '<seq> <hash>'"):
        AuditLog(store=dstore, head_file=corrupt).verify()


def test_decisions_sealed_before_seals_existed_are_counted_not_failed(dstore: Store) -> None:
    record = from_proposal(make_proposal(), now=5)
    DecisionService(store=dstore).repository.insert_decision(record)
    log = AuditLog(store=dstore)
    with log.transaction():
        log.append(
            actor="system",
            action="decision.proposed",
            entity="decision",
            entity_id=record.id,
            data=record.summary(),
        )
    result = log.verify()
    assert (result.ok, result.decisions, result.unsealed) == (True, 1, 1)


def test_awkward_values_seal_the_same_written_and_read_back(dstore: Store) -> None:
    proposal = dataclasses.replace(
        make_proposal(value=-0.0),
        explanation='line\nbreak, "quote", back\\slash, \x01, é 漢 😀 \u2028',
        evidence={'key "q"': "new\nline", "n": 1e-300, "big": 2**60},
    )
    service = DecisionService(store=dstore, clock=Clock())
    [record] = service.propose([proposal])
    service.reject(record.id, who=person(), reason="tab\there\r\n")
    result = AuditLog(store=dstore).verify(batch_rows=1)
    assert (result.ok, result.decisions, result.unsealed) == (True, 1, 0), result.reason


def test_the_columnar_seal_is_the_written_seal() -> None:
    rows = [
        dict.fromkeys(DECISION_COLUMNS)
        | {"id": "a", "version": 2**31 - 1, "shadow": True, "expected_value": -0.0},
        dict.fromkeys(DECISION_COLUMNS, 'x"\\\n\x00é')
        | {"version": 1, "shadow": False, "outcome_success": False, "created_at": -5}
        | {"expected_value": 1e308, "confidence": 5e-324, "value_low": 3.0, "value_high": None}
        | {"realised_value": 0.1, "expires_at": 2**62, "decided_at": 0, "executed_at": None}
        | {"outcome_at": 1, "updated_at": 2},
    ]
    assert row_seals(pa.Table.from_pylist(rows)).to_pylist() == [row_seal(r) for r in rows]
    assert row_seal(rows[0]) != row_seal(rows[0] | {"expected_value": 0.0})


def test_the_command_line_names_the_decision_and_checks_the_head_file(tmp_path: Path) -> None:
    db = str(tmp_path / "andon.duckdb")
    head = tmp_path / "audit.head"
    runner = CliRunner()
    store = open_store(db)
    ensure_schema(store)
    ids = _decide_with(store, head)
    store.close()
    ok = runner.invoke(app, ["audit", "verify", "--store", db, "--head-file", str(head)])
    assert ok.exit_code == 0, ok.output
    assert "head file" in ok.output
    store = open_store(db)
    store.execute("UPDATE decisions SET decided_by = 'mallory' WHERE id = ?", [ids[0]])
    store.close()
    bad = runner.invoke(app, ["audit", "verify", "--store", db, "--json"])
    assert bad.exit_code == 1
    assert json.loads(bad.output)["decision_id"] == ids[0]
    missing = runner.invoke(
        app, ["audit", "verify", "--store", db, "--head-file", str(tmp_path / "none")]
    )
    assert missing.exit_code == 1
    assert "records no head" in missing.output


def _decide_with(store: Store, head: Path) -> list[str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(HEAD_FILE_ENV, str(head))
        return _decide(store)
