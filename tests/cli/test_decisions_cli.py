"""``andon decisions`` and ``andon users`` as a planner uses them in an 80-column terminal.

Ids printed by ``decisions list`` must be typed back (many decisions of one round share
their first sixteen characters, the creation time), every listing has ``--json``, tables
keep their headers whole and their numbers readable, and log lines name their level once.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import time
from pathlib import Path

import polars as pl
import pytest
from rich.console import Console
from typer.testing import CliRunner

from andon.apps.maintenance.actions import INTERVENE
from andon.cli import app
from andon.cli._output import setup_logging
from andon.cli.decide import render_plan
from andon.cli.kpi import Format, View, _print
from andon.decisions import DecisionService, PasswordPolicy, Role, UserService, ensure_schema
from andon.proposals import Action, Option, Proposal
from andon.store import open_store

runner = CliRunner()
NOW = int(time.time() * 1_000_000)
HOUR = 3_600_000_000
NARROW = {"COLUMNS": "80", "TERM": "dumb"}
LYON = "acme/lyon/machining/m1/milling/mill1"
BRNO = "acme/brno/machining/m1/milling/mill1"


def _proposal(subject: str, value: float, n: int) -> Proposal:
    return Proposal(
        app="maintenance",
        supersede_key=f"k{n}",
        subject=subject,
        action=Action(
            kind=INTERVENE.name,
            subject=subject,
            failure_modes=("spindle_bearing",),
            slot_start=NOW + 3 * HOUR,
            label=f"replace the spindle bearing of mill {n} in the Saturday window",
        ),
        options=(Option(action="defer", expected_cost=value * 2),),
        expected_value=value,
        value_low=value / 2,
        value_high=value * 2,
        confidence=0.43,
        explanation="vibration rising",
        created_at=NOW,
        expires_at=NOW + 24 * HOUR,
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "andon.duckdb")
    store = open_store(path)
    ensure_schema(store)
    users = UserService(
        store=store, passwords=PasswordPolicy(memory_kib=1024, time_cost=1, parallelism=1)
    )
    users.add("ana", role=Role.OPERATOR, sites=("acme/lyon",), password=None, actor="test")
    users.add("boss", role=Role.ADMIN, sites=("*",), password=None, actor="test")
    service = DecisionService(store=store, clock=lambda: NOW)
    service.propose(
        [_proposal(LYON if n % 2 else BRNO, 374_400.0 + n, n) for n in range(6)], now=NOW
    )
    store.close()
    return path


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=NARROW)
    return result.exit_code, result.output


def _ids(db: str) -> list[str]:
    code, out = _run("decisions", "list", "--store", db, "--json")
    assert code == 0, out
    return [row["id"] for row in json.loads(out)]


def test_listed_ids_are_distinct_and_approve_takes_them(db: str) -> None:
    full = _ids(db)
    assert len(full) == 6
    assert len({i[:12] for i in full}) == 1  # one round: the old 12-character ids were equal
    code, out = _run("decisions", "list", "--store", db)
    assert code == 0, out
    shown = re.findall(r"^\s*([0-9a-f]{8,32})\s", out, flags=re.M)
    assert len(shown) == 6
    assert len(set(shown)) == 6
    assert all(any(f.startswith(s) for f in full) for s in shown)
    lyon_full = next(f for f in full if _run("decisions", "show", f, "--store", db)[1].count(LYON))
    lyon_short = next(s for s in shown if lyon_full.startswith(s))
    code, out = _run("decisions", "approve", lyon_short, "--as", "ana", "--store", db)
    assert code == 0, out
    assert lyon_full in out
    assert "approved" in out


def test_an_ambiguous_or_unknown_prefix_is_one_line_and_exit_2(db: str) -> None:
    full = _ids(db)
    code, out = _run("decisions", "approve", full[0][:10], "--as", "boss", "--store", db)
    assert code == 2
    assert "give more characters" in out
    assert "Traceback" not in out
    code, out = _run("decisions", "approve", "ffff", "--as", "boss", "--store", db)
    assert code == 2
    assert "no decision" in out
    code, out = _run("decisions", "approve", "not-hex!", "--as", "boss", "--store", db)
    assert code == 2
    assert "not a decision id" in out


def test_a_prefix_counts_only_the_users_sites(db: str) -> None:
    full = _ids(db)
    lyon = [f for f in full if LYON in _run("decisions", "show", f, "--store", db)[1]]
    brno = [f for f in full if f not in lyon]
    # A prefix shared by all six names one Lyon decision for... none: three are Lyon's.
    code, out = _run("decisions", "show", full[0][:16], "--as", "ana", "--store", db)
    assert code == 2
    assert "3 decisions" in out  # Brno's three are not counted for a Lyon user
    code, out = _run("decisions", "show", brno[0], "--as", "ana", "--store", db)
    assert code == 2
    assert "brno" not in out


def test_every_listing_has_json(db: str) -> None:
    code, out = _run("decisions", "list", "--store", db, "--json")
    rows = json.loads(out)
    assert {r["subject"] for r in rows} == {LYON, BRNO}
    assert rows[0]["expires_at"].endswith("+00:00")
    code, out = _run("decisions", "summary", "--store", db, "--json")
    assert code == 0, out
    assert json.loads(out)[0]["proposals"] == 6
    code, out = _run("users", "list", "--store", db, "--json")
    assert code == 0, out
    assert {u["username"]: u["sites"] for u in json.loads(out)} == {
        "ana": ["acme/lyon"],
        "boss": ["*"],
    }
    code, out = _run("users", "tokens", "--store", db, "--json")
    assert code == 0, out
    assert json.loads(out) == []


def test_tables_stay_readable_at_80_columns(db: str) -> None:
    code, out = _run("decisions", "list", "--store", db)
    assert code == 0, out
    assert max(len(line) for line in out.splitlines()) <= 80
    header = next(line for line in out.splitlines() if line.strip())
    for word in ("id", "value", "conf", "status", "decision"):
        assert re.search(rf"(^|\s){word}(\s|$)", header), (word, header)
    assert "maintenance" in out  # words wrap whole, never "mainte/nance"
    assert "proposed" in out
    assert out.count("replace the spindle bearing") == 6
    assert "374,405" in out
    assert "e+0" not in out
    code, out = _run("decisions", "summary", "--store", db)
    assert code == 0, out
    assert "e+0" not in out
    for word in ("proposals", "approved", "rejected", "expected value", "realised value"):
        assert word in out, (word, out)


def test_log_lines_name_their_level_once(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(verbose=False)
    setup_logging(verbose=False)  # a second command in the same process adds no handler
    logging.getLogger("andon.connect.mqtt").warning("broker went away")
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["WARNING andon.connect.mqtt: broker went away"]


def _header(text: str) -> str:
    """Return the header lines of a table (those above its rule), joined."""
    lines = text.splitlines()
    rule = next(n for n, line in enumerate(lines) if line.strip().startswith("─"))
    return " ".join(lines[:rule])


def test_the_decide_table_tells_two_plants_apart_at_80_columns() -> None:
    tail = "metal/m1/sawing/saw1"
    plan = [
        _proposal(f"acme/{site}/{tail}", 374_400.0, n) for n, site in enumerate(("lyon", "brno"))
    ]
    screen = Console(width=80, record=True, file=io.StringIO())
    screen.print(render_plan(plan, currency="EUR", limit=10))
    text = screen.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "lyon" in text
    assert "brno" in text
    assert "374,400" in text
    assert "e+0" not in text
    header = _header(text)
    for word in ("site", "asset", "action", "P(fail)", "saving", "conf.", "cannot", "judge"):
        assert word in header, (word, header)


def test_the_kpi_table_keeps_headers_and_numbers_at_80_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    frame = pl.DataFrame(
        {
            "path": ["acme/lyon/machining/m1"],
            "period": [dt.datetime(2026, 3, 2, tzinfo=dt.UTC)],
            "availability": [0.8734],
            "effectiveness": [0.91],
            "quality_ratio": [0.99],
            "oee": [0.79],
            "pbt_s": [374_400.0],
            "pq": [8123],
            "no_state_s": [0.0],
        }
    )
    _print(frame, View.KPIS, Format.TABLE)
    text = capsys.readouterr().out
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "374,400" in text
    assert "e+0" not in text
    assert "2026-03-02" in text
    assert "acme/" in text  # the path column is not squeezed away
    for word in ("path", "period", "avail.", "effect.", "quality", "OEE"):
        assert word in _header(text), (word, text)
