"""An API on a store with users of every role at two sites."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from _services import POSTGRES_URL, require_service
from andon.model import Model
from andon.store import DuckDBStore, PostgresStore
from andon.store.base import Store
from api.api_helpers import Env, build
from conftest import STORE_DIALECTS


@pytest.fixture
def env(store: Store, example_model: Model) -> Env:
    """A fresh app on each store (DuckDB, PostgreSQL) in turn."""
    return build(store, example_model)


@pytest.fixture(scope="module", params=STORE_DIALECTS)
def module_store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """Each store in turn, shared by the tests of one module."""
    if request.param == "duckdb":
        store: Store = DuckDBStore(None)
        yield store
        store.close()
        return
    require_service("PostgreSQL", POSTGRES_URL)
    postgres = PostgresStore(POSTGRES_URL, schema=f"t_{uuid.uuid4().hex}")
    yield postgres
    postgres.drop_schema()
