"""A week of the conformance plant, simulated once for the energy tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from andon.model import Model, load_model
from andon.sim import SimResult, simulate
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore

PLANT = Path(__file__).parent.parent / "conformance" / "plant.yaml"


@pytest.fixture(scope="session")
def plant() -> Model:
    return load_model(PLANT)


@pytest.fixture(scope="session")
def week(plant: Model) -> tuple[DuckDBStore, SimResult]:
    store = DuckDBStore(None)
    result = simulate(plant, days=14, seed=3, sink=PipelineSink.into(store, model=plant))
    return store, result
