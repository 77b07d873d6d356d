"""Fixtures of the connector tests: a fresh DuckDB store and helpers to publish to Mosquitto."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from andon.store import DuckDBStore, Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh DuckDB store in a file of its own."""
    store = DuckDBStore(tmp_path / "store.duckdb")
    yield store
    store.close()


@pytest.fixture
def run_id() -> str:
    """A short id that keeps this test's topics apart from every other test's."""
    return uuid.uuid4().hex[:10]
