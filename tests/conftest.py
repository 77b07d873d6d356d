"""Shared fixtures: the example model, stores, and the skip-or-fail rule for real servers.

Tests that talk to a server (PostgreSQL, Mosquitto, NATS) read its address from an
environment variable with this machine's default, skip with a visible reason when the
server does not answer, and fail instead when ``ANDON_REQUIRE_SERVICES=1``.

Stores: the ``store`` fixture runs one test body on every implementation of
:class:`andon.store.Store`: ``store[duckdb]`` (in memory) and ``store[postgres]`` (in a
schema of its own, ``t_<uuid>``, dropped after the test; skipped or failed like
``postgres_url``). Write a test once against the protocol::

    def test_counts_rows(store: Store) -> None:
        store.write(RecordKind.SAMPLE, table)
        assert store.count_rows(RecordKind.SAMPLE) == table.num_rows

``duckdb_store`` and ``postgres_store`` give one implementation when a test needs only it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from _services import (  # noqa: F401  (re-exported: older tests import them from here)
    MQTT_URL,
    NATS_URL,
    POSTGRES_URL,
    require_service,
    services_required,
)
from andon.model import Model, load_model
from andon.store import DuckDBStore, PostgresStore, Store

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def example_model() -> Model:
    """The bundled discrete-assembly enterprise."""
    return load_model(EXAMPLES / "discrete")


@pytest.fixture
def postgres_url() -> str:
    """The URL of the test PostgreSQL server, or skip/fail when it does not answer."""
    require_service("PostgreSQL", POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def mqtt_url() -> str:
    """The URL of the test MQTT broker, or skip/fail when it does not answer."""
    require_service("Mosquitto", MQTT_URL)
    return MQTT_URL


@pytest.fixture
def nats_url() -> str:
    """The URL of the test NATS server, or skip/fail when it does not answer."""
    require_service("NATS", NATS_URL)
    return NATS_URL


STORE_DIALECTS = ("duckdb", "postgres")
"""Every store implementation the ``store`` fixture runs a test on."""


@pytest.fixture
def duckdb_store() -> Iterator[DuckDBStore]:
    """A fresh in-memory DuckDB store."""
    store = DuckDBStore(None)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def postgres_store(postgres_url: str) -> Iterator[PostgresStore]:
    """A PostgreSQL store in a schema of its own, dropped after the test."""
    store = PostgresStore(postgres_url, schema=f"t_{uuid.uuid4().hex}")
    try:
        yield store
    finally:
        store.drop_schema()


@pytest.fixture(params=STORE_DIALECTS)
def store(request: pytest.FixtureRequest) -> Store:
    """Each store implementation in turn (``store[duckdb]``, ``store[postgres]``)."""
    chosen: Store = request.getfixturevalue(f"{request.param}_store")
    return chosen
