"""Work people already agreed to is not proposed again until its slot has passed.

The work order of agreed work opens when the work starts; until then the risk reads as
before, and without this the app asked the same question every round.
"""

from __future__ import annotations

import pytest

from andon.apps.maintenance.app import booked_work
from andon.decisions import DecisionService, ensure_schema
from andon.decisions.access import Role
from andon.store.base import Store
from decisions.decision_helpers import HOUR, Clock, make_proposal, person

MILL = "acme/lyon/machining/m1/milling/mill1"
T0 = 1_700_000_000_000_000


@pytest.fixture
def service(store: Store) -> DecisionService:
    ensure_schema(store)
    return DecisionService(store=store, clock=Clock(T0))


def test_an_approved_intervention_books_its_modes_until_its_slot(
    service: DecisionService, store: Store
) -> None:
    [record] = service.propose([make_proposal(subject=MILL, created_at=T0)], now=T0)
    assert booked_work(store, "maintenance", now=T0, horizon_h=168) == set()  # only proposed
    service.approve(record.id, who=person(Role.ENGINEER), now=T0 + 1)
    slot = T0 + 3 * HOUR  # make_proposal's slot
    assert booked_work(store, "maintenance", now=T0 + HOUR, horizon_h=168) == {
        (MILL, "spindle_bearing")
    }
    assert booked_work(store, "maintenance", now=slot + 1, horizon_h=168) == set()
    assert booked_work(store, "quality", now=T0 + HOUR, horizon_h=168) == set()


def test_a_rejected_proposal_books_nothing(service: DecisionService, store: Store) -> None:
    [record] = service.propose([make_proposal(subject=MILL, created_at=T0)], now=T0)
    service.reject(record.id, who=person(Role.ENGINEER), reason="not now", now=T0 + 1)
    assert booked_work(store, "maintenance", now=T0 + HOUR, horizon_h=168) == set()
