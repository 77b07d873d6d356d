"""``andon users``, ``andon decisions`` and ``andon audit`` on a DuckDB file."""

from __future__ import annotations

from pathlib import Path

import duckdb
from typer.testing import CliRunner

from andon.cli import app
from andon.decisions import DecisionService, Status, ensure_schema
from andon.decisions._json import now_us
from andon.store import open_store
from decisions.decision_helpers import make_proposal

runner = CliRunner()


def _run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.output


def test_users_decisions_and_audit_from_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "andon.duckdb")
    code, _ = _run("users", "add", "ana", "--role", "operator", "--site", "acme/lyon",
                   "--password-stdin", "--store", db, stdin="a long password\n")  # fmt: skip
    assert code == 0
    code, out = _run("users", "token", "ana", "--name", "ci", "--store", db)
    assert code == 0
    assert out.strip().splitlines()[-1].startswith("andon_")
    code, out = _run("users", "add", "Bad Name", "--role", "viewer", "--site", "*",
                     "--no-password", "--store", db)  # fmt: skip
    assert code == 2
    assert "username" in out
    store = open_store(db)
    ensure_schema(store)
    [record] = DecisionService(store=store).propose([make_proposal(created_at=now_us())])
    store.close()
    code, out = _run("decisions", "approve", record.id, "--as", "ana", "--store", db)
    assert code == 0, out
    assert "approved" in out
    code, out = _run("decisions", "approve", record.id, "--as", "ana", "--store", db)
    assert code == 2
    assert "cannot approve" in out
    code, out = _run("decisions", "approve", record.id, "--as", "nobody", "--store", db)
    assert code == 2
    code, out = _run("decisions", "list", "--status", "approved", "--store", db)
    assert code == 0
    code, out = _run("audit", "verify", "--store", db)
    assert code == 0
    assert "intact" in out
    store = open_store(db)
    assert DecisionService(store=store).get(record.id).status is Status.APPROVED
    store.close()
    con = duckdb.connect(db)
    con.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    con.close()
    code, out = _run("audit", "verify", "--store", db)
    assert code == 1
    assert "broken at entry 2" in out
