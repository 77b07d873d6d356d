"""A scenario is checked against the model it drives, every problem at once, as a model is.

Each mistake of the scenario below is marked ``# mistake: <code>``; the test finds the file
and line it expects from the markers. Before, every name the model lacks was silently
ignored and a bad ``start`` ended in a raw ``ValueError`` (exit 1).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from andon.cli import main
from andon.errors import AndonError, SimulationError
from andon.model import load_model
from andon.model.codes import SCENARIO_CODES
from andon.sim import Scenario, SitePractice, load_scenario, simulate
from andon.sim.scenario import check_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

BAD = """\
scenario:
  start: next monday  # mistake: scenario.bad_start
  practices:
    lyon:
      wear_factor: 0.9
      expedite_criticality: [A, Z]  # mistake: scenario.unknown_criticality
    paris:  # mistake: scenario.unknown_site
      wear_factor: 1.1
  defects:
    GB-NOPE: {upstream_cell: a, upstream_parameter: x, downstream_cell: b}  # mistake: scenario.unknown_product
    GB-200:
      upstream_cell: moon  # mistake: scenario.unknown_cell
      upstream_parameter: press_force  # mistake: scenario.unknown_parameter
      downstream_cell: curing
  profiles:
    no_such_class:  # mistake: scenario.unknown_class
      - {tag: t, points: [[0, 1]]}
    hydraulic_press:
      - {tag: no_such_tag, points: [[0, 1], [1, 2]]}  # mistake: scenario.unknown_tag
  utilities:
    hydraulic_press:
      - {medium: plasma, running: 3}  # mistake: scenario.unknown_medium
"""

# ruff: noqa: E501 (the scenario is written as a plant engineer writes it, one mechanism a line)

MARK = re.compile(r"#\s*mistake:\s*(\S+)")


def _expected(file: Path, text: str) -> set[tuple[str, int]]:
    return {
        (code, number)
        for number, line in enumerate(text.splitlines(), start=1)
        for code in MARK.findall(line)
    }


@pytest.fixture
def discrete(tmp_path: Path) -> Path:
    folder = tmp_path / "discrete"
    shutil.copytree(EXAMPLES / "discrete", folder)
    return folder


def test_bad_start_comes_with_the_schema_problems(tmp_path: Path, discrete: Path) -> None:
    file = tmp_path / "bad.scenario"
    file.write_text(BAD, encoding="utf-8")
    with pytest.raises(SimulationError) as caught:
        load_scenario(file, model=load_model(discrete))
    (problem,) = caught.value.problems  # the schema refuses start; nothing else is checked yet
    assert (problem.code, problem.line, problem.file) == ("scenario.bad_start", 2, str(file))
    assert "'next monday'" in problem.message


def test_every_name_the_model_lacks_is_reported_at_once(tmp_path: Path, discrete: Path) -> None:
    text = BAD.replace("next monday", '"2026-01-05T06:00:00+01:00"')
    file = tmp_path / "bad.scenario"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(SimulationError) as caught:
        load_scenario(file, model=load_model(discrete))
    found = {(p.code, p.line) for p in caught.value.problems}
    assert found == _expected(file, text) - {("scenario.bad_start", 2)}
    for problem in caught.value.problems:
        assert problem.file == str(file)
        assert problem.expected
        assert problem.code in SCENARIO_CODES
    assert isinstance(caught.value, AndonError)


def test_check_scenario_gives_the_same_problems_for_a_scenario_in_code(discrete: Path) -> None:
    model = load_model(discrete)
    scenario = Scenario(practices={"mars": SitePractice()})
    (problem,) = check_scenario(scenario, model)
    assert problem.code == "scenario.unknown_site"
    assert problem.expected is not None
    assert "lyon" in problem.expected


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("next monday", "not an ISO 8601 time"),
        ("2026-01-05T00:00:00", "has no time zone"),
        ("2026-01-05 00:00:00", "has no time zone"),
        ("'2026-13-05T00:00:00Z'", "not an ISO 8601 time"),
    ],
)
def test_a_bad_start_is_a_problem(tmp_path: Path, start: str, message: str) -> None:
    file = tmp_path / "s.scenario"
    file.write_text(f"start: {start}\n", encoding="utf-8")
    with pytest.raises(SimulationError) as caught:
        load_scenario(file)
    (problem,) = caught.value.problems
    assert problem.code == "scenario.bad_start"
    assert message in problem.message
    assert problem.line == 1


def test_an_impossible_date_is_a_yaml_problem_not_a_value_error(tmp_path: Path) -> None:
    file = tmp_path / "s.scenario"
    file.write_text("start: 2026-13-05T00:00:00Z\n", encoding="utf-8")
    with pytest.raises(SimulationError) as caught:
        load_scenario(file)
    (problem,) = caught.value.problems
    assert (problem.code, problem.line) == ("yaml.syntax", 1)
    assert "invalid date" in problem.message


def test_a_start_with_an_offset_is_fine(tmp_path: Path) -> None:
    file = tmp_path / "s.scenario"
    file.write_text("start: 2026-01-05T06:00:00+05:30\n", encoding="utf-8")
    assert load_scenario(file).start.startswith("2026-01-05")


def test_hostile_yaml_in_a_scenario_is_a_simulation_error(tmp_path: Path) -> None:
    file = tmp_path / "s.scenario"
    file.write_text("? [1]\n: 2\n", encoding="utf-8")
    with pytest.raises(SimulationError) as caught:
        load_scenario(file)
    assert [p.code for p in caught.value.problems] == ["yaml.syntax"]
    file.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(SimulationError) as caught:
        load_scenario(file)
    assert [p.code for p in caught.value.problems] == ["scenario.not_a_mapping"]


def test_the_simulator_checks_the_scenario_beside_the_model(discrete: Path) -> None:
    scenario = next(discrete.glob("*.scenario"))
    scenario.write_text(
        scenario.read_text(encoding="utf-8").replace("  practices:\n", "  practices:\n    x: {}\n"),
        encoding="utf-8",
    )
    with pytest.raises(SimulationError) as caught:
        simulate(load_model(discrete), days=0.01)
    assert [p.code for p in caught.value.problems] == ["scenario.unknown_site"]


def test_andon_sim_run_exits_2_with_the_problems(
    tmp_path: Path, discrete: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "bad.scenario"
    file.write_text("start: next monday\nlot_size: 0\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "sim",
                "run",
                str(discrete),
                "--days",
                "0.01",
                "--scenario",
                str(file),
                "--store",
                f"duckdb://{tmp_path / 'sim.duckdb'}",
            ]
        )
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"{file}:1" in err
    assert "scenario.bad_start" in err
    assert f"{file}:2" in err
    assert "Traceback" not in err
