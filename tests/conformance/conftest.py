"""Fixtures of the conformance suite: the conformance plant's model and simulated history."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from andon.model import Model
from conformance.conformance_plant import History, load_plant, simulate_history


@pytest.fixture(scope="session")
def plant_model() -> Model:
    """The conformance plant (``tests/conformance/plant.yaml``)."""
    return load_plant()


@pytest.fixture(scope="session")
def history(plant_model: Model) -> Iterator[History]:
    """Five simulated weeks of the conformance plant in a DuckDB store, through the contracts."""
    made = simulate_history(plant_model)
    try:
        yield made
    finally:
        made.store.close()
