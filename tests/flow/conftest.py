"""Fixtures of the flow tests: the small plant history of :mod:`flow_samples` in a store."""

from __future__ import annotations

import pytest

from andon.store import Store

from .flow_samples import fill


@pytest.fixture
def filled(store: Store) -> Store:
    """The ``store`` fixture (DuckDB and PostgreSQL) with the small plant history."""
    fill(store)
    return store
