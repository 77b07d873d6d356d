"""An API on a store with users of every role at two sites."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from andon.model import Model
from andon.store import open_store
from api.api_helpers import Env, build


@pytest.fixture
def env(example_model: Model) -> Iterator[Env]:
    """A fresh app on an in-memory store."""
    store = open_store("duckdb://:memory:")
    yield build(store, example_model)
    store.close()
