"""Fixtures of the decision layer: a store with its tables, services with a fixed clock."""

from __future__ import annotations

import pytest

from andon.decisions import DecisionService, ensure_schema
from andon.store.base import Store
from decisions.decision_helpers import Clock


@pytest.fixture
def dstore(store: Store) -> Store:
    """Each store (DuckDB, PostgreSQL) in turn, with the decision tables."""
    ensure_schema(store)
    return store


@pytest.fixture
def clock() -> Clock:
    """A clock the test moves by hand."""
    return Clock()


@pytest.fixture
def service(dstore: Store, clock: Clock) -> DecisionService:
    """A decision service on the store with the test's clock."""
    return DecisionService(store=dstore, clock=clock)
