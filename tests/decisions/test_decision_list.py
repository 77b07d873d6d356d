"""Listing decisions: filters and cursor pages equal a plain sort of every record."""

from __future__ import annotations

import random

import pytest

from andon.decisions import DecisionFilter, DecisionRecord, DecisionService, Status
from andon.decisions.record import new_id
from decisions.decision_helpers import HOUR, make_proposal, person

BASE = 1_700_000_000_000_000


@pytest.fixture
def spread(service: DecisionService) -> list[DecisionRecord]:
    """80 decisions created at random times over two years, at two sites, by two apps."""
    rng = random.Random(7)
    proposals = []
    for i in range(80):
        created = BASE + rng.randrange(2 * 365 * 24) * HOUR
        site = rng.choice(["lyon", "brno"])
        proposal = make_proposal(
            subject=f"acme/{site}/a{i % 3}/l/c/e{i}",
            app=rng.choice(["maintenance", "energy"]),
            created_at=created,
            ttl=10 * 365 * 24 * HOUR,
        )
        proposals.append(proposal)
    return service.propose(proposals, now=BASE)


@pytest.mark.parametrize(
    "filters",
    [
        DecisionFilter(),
        DecisionFilter(sites=("acme/lyon",)),
        DecisionFilter(app="energy", subject_prefix="acme/brno/a1"),
        DecisionFilter(statuses=(Status.PROPOSED,), created_to=BASE + 300 * 24 * HOUR),
    ],
)
def test_pages_equal_a_full_sort(
    service: DecisionService, spread: list[DecisionRecord], filters: DecisionFilter
) -> None:
    def keep(r: DecisionRecord) -> bool:
        return (
            (filters.sites is None or r.site in filters.sites)
            and (filters.app is None or r.app == filters.app)
            and (
                filters.subject_prefix is None or r.subject.startswith(filters.subject_prefix + "/")
            )
            and (filters.created_to is None or r.created_at < filters.created_to)
        )

    expected = sorted(
        (r.id for r in spread if keep(r)),
        key=lambda i: next((r.created_at, r.id) for r in spread if r.id == i),
        reverse=True,
    )
    seen: list[str] = []
    after = None
    while True:
        page = service.list(filters, limit=4, after=after)
        seen.extend(r.id for r in page)
        if len(page) < 4:
            break
        after = (page[-1].created_at, page[-1].id)
    assert seen == expected


def test_ids_sort_by_creation_time() -> None:
    assert new_id(BASE) < new_id(BASE + 1) < new_id(BASE + 10**12)
    assert len(new_id(BASE)) == 32


def test_a_listed_decision_shows_its_latest_state(
    service: DecisionService, spread: list[DecisionRecord]
) -> None:
    first = service.list(DecisionFilter(), limit=5)  # the bodies are remembered from here on
    target = first[2]
    service.approve(target.id, who=person(sites=("*",)), reason="crew free", now=BASE + 1)
    again = service.list(DecisionFilter(), limit=5)
    assert [r.id for r in again] == [r.id for r in first]
    changed = again[2]
    assert (changed.status, changed.reason, changed.version) == (
        Status.APPROVED,
        "crew free",
        target.version + 1,
    )
    assert changed == service.get(target.id)  # memory and store give the same record
    assert [r for i, r in enumerate(again) if i != 2] == [r for i, r in enumerate(first) if i != 2]
