"""The simulator finds each example's scenario beside its model, whatever the file is named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from andon.errors import SimulationError
from andon.model import load_model
from andon.sim import find_scenario, load_scenario, simulate

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"
TEMPLATES = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_example_scenario_is_found(template: str) -> None:
    folder = EXAMPLES / template
    (expected,) = sorted(folder.glob("*.scenario"))  # e.g. smt ships boards.scenario
    assert find_scenario(load_model(folder)) == expected
    (model_file,) = sorted(folder.glob("*.yaml"))
    assert find_scenario(load_model(model_file)) == expected


def test_simulate_uses_the_scenario_found() -> None:
    model = load_model(EXAMPLES / "smt")
    found = find_scenario(model)
    assert found is not None
    scenario = load_scenario(found)
    assert scenario.lot_size == 500  # boards.scenario, not the default of 200
    by_default = simulate(model, days=0.25, seed=3)
    explicit = simulate(model, days=0.25, seed=3, scenario=scenario)
    assert by_default.records == explicit.records
    assert by_default.maintenance == explicit.maintenance


def test_two_scenarios_beside_a_model_are_refused(tmp_path: Path) -> None:
    for file in (EXAMPLES / "smt").iterdir():
        shutil.copy(file, tmp_path / file.name)
    shutil.copy(tmp_path / "boards.scenario", tmp_path / "other.scenario")
    with pytest.raises(SimulationError, match="several scenario files"):
        find_scenario(load_model(tmp_path))


def test_a_model_without_scenario_has_none(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "smt" / "boards.yaml", tmp_path / "boards.yaml")
    assert find_scenario(load_model(tmp_path)) is None
