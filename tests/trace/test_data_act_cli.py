"""``andon export data-act``: grant, list, token, bundle and revoke on a store file, each in
the audit chain; a missing store, an unknown, revoked or expired grant is one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from andon.cli import app
from andon.decisions import AuditLog
from andon.model import load_model
from andon.records import RecordKind, samples
from andon.store import DuckDBStore
from andon.trace.data_act import grant

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "discrete"
MILL = "acme/lyon/machining/m1/milling/mill1"
H = 3_600_000_000
T0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "plant.duckdb"
    store = DuckDBStore(path)
    store.write(
        RecordKind.SAMPLE,
        samples(ts=[T0 + H, T0 + 2 * H], path=f"{MILL}/spindle_vibration", value=[1.0, 2.0]),
    )
    store.close()
    return str(path)


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["export", "data-act", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def _grant(db: str, *more: str) -> str:
    code, out = _run(
        "grant",
        "--store", db,
        "--model", str(EXAMPLES),
        "--recipient", "ana",
        "--path", MILL,
        "--kind", "sample",
        "--since", "2026-01-01T00:00:00Z",
        "--until", "2026-01-02T00:00:00Z",
        "--json",
        *more,
    )  # fmt: skip
    assert code == 0, out
    return str(json.loads(out)["grant_id"])


def test_grant_list_token_bundle_and_revoke_each_enter_the_audit_chain(
    db: str, tmp_path: Path
) -> None:
    grant_id = _grant(db)
    code, out = _run("list", "--store", db, "--json")
    assert code == 0
    assert [(g["grant_id"], g["status"]) for g in json.loads(out)] == [(grant_id, "active")]
    code, out = _run("token", grant_id, "--store", db)
    assert code == 0
    assert "andon_grant_" in out
    code, out = _run(
        "bundle", grant_id, "--store", db, "--model", str(EXAMPLES), "--out", str(tmp_path / "b")
    )
    assert code == 0, out
    assert (
        json.loads((tmp_path / "b" / "metadata.json").read_text())["kinds"]["sample"]["rows"] == 2
    )
    code, _ = _run("revoke", grant_id, "--store", db)
    assert code == 0
    code, out = _run("list", "--store", db, "--json")
    assert json.loads(out)[0]["status"] == "revoked"
    store = DuckDBStore(db)
    try:
        log = AuditLog(store=store)
        actions = [e.action for e in log.entries() if e.entity_id == grant_id]
        assert log.verify().ok
    finally:
        store.close()
    assert sorted(actions) == sorted(
        ["data_act.granted", "data_act.token_issued", "data_act.export", "data_act.revoked"]
    )


def test_user_mistakes_are_one_line_and_exit_2(db: str, tmp_path: Path) -> None:
    grant_id = _grant(db)
    _run("revoke", grant_id, "--store", db)
    out_dir = str(tmp_path / "x")
    cases = [
        (["list", "--store", str(tmp_path / "none.duckdb")], "no store at"),
        (["bundle", "G-nothing", "--store", db, "-m", str(EXAMPLES), "--out", out_dir], "no grant"),
        (["bundle", grant_id, "--store", db, "-m", str(EXAMPLES), "--out", out_dir], "revoked"),
        (["token", grant_id, "--store", db], "revoked"),
        (["revoke", grant_id, "--store", db], "revoked"),
    ]
    for args, words in cases:
        code, out = _run(*args)
        assert code == 2, (args, out)
        assert words in out
        assert len(out.strip().splitlines()) == 1, out
    code, out = _run(
        "grant", "--store", db, "-m", str(EXAMPLES), "--recipient", "x", "--path", MILL,
        "--kind", "sample", "--since", "2026-01-01", "--until", "2026-01-02T00:00:00Z",
    )  # fmt: skip
    assert code == 2
    assert "--since" in out
    assert len(out.strip().splitlines()) == 1


def test_an_expired_grant_is_refused(db: str, tmp_path: Path) -> None:
    store = DuckDBStore(db)
    try:
        old = grant(
            store,
            load_model(EXAMPLES),
            recipient="ana",
            paths=[MILL],
            kinds=["sample"],
            start_us=T0,
            end_us=T0 + 24 * H,
            expires_us=T0 + 25 * H,
            actor="t",
            now_us=T0,
        )
    finally:
        store.close()
    code, out = _run(
        "bundle", old.grant_id, "--store", db, "-m", str(EXAMPLES), "--out", str(tmp_path / "e")
    )
    assert code == 2
    assert "expired" in out
