"""An engineering change as a decision on both stores: one proposal per site it touches,
with the typed action ``release_engineering_change``, approved by a person and recorded in
the audit chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from andon.change import RELEASE_CHANGE, change_proposals, impact, parse_request
from andon.decisions import DecisionService, ensure_schema
from andon.decisions.access import Principal, Role
from andon.decisions.audit import AuditLog
from andon.model import load_model
from andon.proposals import Action, Execution, action_kind
from andon.store import Store

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = 1_772_323_200_000_000  # 2026-03-01 UTC


def test_the_kind_is_registered_and_not_executable() -> None:
    assert action_kind("release_engineering_change") == RELEASE_CHANGE
    assert RELEASE_CHANGE.executable is False


def test_a_change_over_two_sites_is_one_proposal_per_site() -> None:
    acme = load_model(EXAMPLES / "discrete")
    found = impact(
        parse_request(
            {
                "kind": "part_substitution",
                "part": "SEAL-KIT-P",
                "replacement": "BRG-6308",
                "title": "ECO-7",
            },
            acme,
        ),
        acme,
    )
    proposals = change_proposals(found, now=NOW)
    assert [p.subject for p in proposals] == ["acme/brno/assembly/a1", "acme/lyon/assembly"]
    assert [p.site for p in proposals] == ["acme/brno", "acme/lyon"]
    assert sum(p.expected_value for p in proposals) == pytest.approx(-found.cost)
    assert {p.action.label for p in proposals} == {"release part substitution: ECO-7"}
    assert proposals[0].evidence["lines"] == list(found.lines)


def test_the_change_is_approved_and_audited(store: Store) -> None:
    ensure_schema(store)
    voltec = load_model(EXAMPLES / "smt")
    found = impact(
        parse_request(
            {"kind": "firmware", "station": "voltec/dresden/smt/s1/reflow/oven1", "version": "4.2"},
            voltec,
        ),
        voltec,
    )
    service = DecisionService(store=store, clock=lambda: NOW)
    (record,) = service.propose(change_proposals(found, now=NOW))
    assert record.action.kind == "release_engineering_change"
    assert record.subject == "voltec/dresden/smt/s1"
    assert record.expected_value == pytest.approx(-900.0)
    engineer = Principal(username="eng", role=Role.ADMIN, sites=("voltec/dresden",))
    approved = service.approve(record.id, who=engineer, reason="change board 12", now=NOW + 1)
    assert approved.status.value == "approved"
    entries = AuditLog(store=store).entries(entity="decision", entity_id=record.id)
    assert [e.action for e in entries] == ["decision.approved", "decision.proposed"]
    assert AuditLog(store=store).verify().ok


class _Refusing:
    """An executor that must never be asked: a change is carried out by the change board."""

    name = "plant"

    def execute(self, *, decision_id: str, action: Action, now: int) -> Execution:
        raise AssertionError(f"{decision_id} handed to the plant")

    def acknowledgements(self, *, now: int) -> list[Execution]:
        return []


def test_an_approved_change_is_executed_by_a_runtime_that_runs_no_app(store: Store) -> None:
    from andon.decisions.executions import ExecutionState  # noqa: PLC0415
    from andon.runtime.loop import Runtime  # noqa: PLC0415

    voltec = load_model(EXAMPLES / "smt")
    found = impact(
        parse_request(
            {"kind": "firmware", "station": "voltec/dresden/smt/s1/reflow/oven1", "version": "4.2"},
            voltec,
        ),
        voltec,
    )
    runtime = Runtime(
        store=store, model=voltec, apps={}, executor=_Refusing(), clock=lambda: NOW + 2
    )
    (record,) = runtime.decisions.propose(change_proposals(found, now=NOW))
    engineer = Principal(username="eng", role=Role.ADMIN, sites=("voltec/dresden",))
    runtime.decisions.approve(record.id, who=engineer, reason="change board 12", now=NOW + 1)
    assert runtime.execute_approved(now=NOW + 2) == 1
    row = runtime.decisions.executions.of_decisions([record.id])[record.id]
    assert row.state is ExecutionState.DONE
    assert "nothing to carry out" in row.detail


def test_a_process_that_never_imported_the_change_module_still_knows_its_kind() -> None:
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = (
        "import sys\n"
        "from andon.apps import known_action_kind\n"
        "assert 'andon.change.decision' not in sys.modules\n"
        "print(known_action_kind('release_engineering_change').app)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == action_kind("release_engineering_change").app
