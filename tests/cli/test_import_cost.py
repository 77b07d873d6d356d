"""The command line imports only what the command it runs needs.

``andon --help`` and ``andon model validate`` must start in a fraction of a second, so they
must not import the stacks of other commands: the learners and solvers of ``andon decide``,
the web server of ``andon serve``, the simulator, the protocol clients, the columnar engines.
Each check runs in a fresh interpreter, since this test process has imported them already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from andon.cli import _COMMANDS, app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "discrete"

HEAVY = (
    "aiomqtt",
    "asyncua",
    "duckdb",
    "fastapi",
    "highspy",
    "lightgbm",
    "matplotlib",
    "nats",
    "ortools",
    "paho",
    "polars",
    "pyarrow",
    "simpy",
    "sklearn",
    "starlette",
    "uvicorn",
)
"""Top-level packages that neither command may import."""

_PROBE = """
import json, sys
from andon.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def _heavy_imported(modules: list[str]) -> list[str]:
    """Return the heavy modules among ``modules``.

    pint imports the bare ``scipy`` package to learn whether it is installed; that costs little.
    Any public part of SciPy (``scipy.stats``, ``scipy.optimize``, ...) is heavy.
    """
    found = []
    for name in modules:
        top, _, rest = name.partition(".")
        public_scipy = top == "scipy" and rest and not rest.startswith("_") and rest != "version"
        if top in HEAVY or public_scipy:
            found.append(name)
    return found


def _modules_after(*argv: str) -> list[str]:
    """Run the command line in a fresh interpreter; return the modules it imported."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    modules: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return modules


def test_importing_the_cli_imports_no_heavy_stack() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import json, sys, andon.cli; print(json.dumps(list(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    modules = json.loads(done.stdout)
    assert "andon.cli" in modules
    assert _heavy_imported(modules) == []
    assert not [m for m in modules if m.startswith("andon.cli.") and m != "andon.cli._output"]
    assert "andon.model" not in modules  # andon.load_model is imported on first use


@pytest.mark.parametrize(
    "argv",
    [("--help",), (), ("model", "--help"), ("model", "validate", str(EXAMPLE))],
    ids=["help", "no-arguments", "model-help", "model-validate"],
)
def test_a_light_command_imports_no_heavy_stack(argv: tuple[str, ...]) -> None:
    modules = _modules_after(*argv)
    assert "andon.cli" in modules
    assert _heavy_imported(modules) == []


def test_model_validate_imports_only_its_own_command_module() -> None:
    modules = _modules_after("model", "validate", str(EXAMPLE))
    assert "andon.model" in modules
    assert {m for m in modules if m.startswith("andon.cli.")} == {
        "andon.cli._output",
        "andon.cli.model",
    }


def test_model_validate_needs_no_unit_registry_for_common_units() -> None:
    # The example names only units of andon.model._unit_table, and loading a model builds no
    # site calendar: neither pint nor NumPy (which both would import) is needed.
    modules = _modules_after("model", "validate", str(EXAMPLE))
    assert "andon.model.loader" in modules
    assert [m for m in modules if m.partition(".")[0] in {"pint", "numpy"}] == []
    assert "andon.model.calendar" not in modules


@pytest.mark.parametrize("command", ["users", "decisions"])
def test_decision_commands_help_imports_no_drift_monitor(command: str) -> None:
    # andon.decisions imports each name on first use: the help needs Role and Status, not the
    # drift monitor and its SciPy statistics.
    modules = _modules_after(command, "--help")
    assert "andon.decisions.access" in modules
    assert "andon.decisions.drift" not in modules
    assert [m for m in modules if m.startswith("scipy.") and not m.startswith("scipy._")] == []


def test_the_probe_sees_a_heavy_import() -> None:
    # The checks above would pass on a broken probe that reports nothing.
    modules = _modules_after("ingest", "--help")
    assert "andon.cli.ingest" in modules
    assert _heavy_imported(["scipy.stats", "scipy._lib", "polars.dataframe", "scipy"]) == [
        "scipy.stats",
        "polars.dataframe",
    ]


def test_the_listed_help_is_each_commands_own() -> None:
    root = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert root.exit_code == 0
    for name, entry in _COMMANDS.items():
        command = entry.load(name)
        assert command.name == name
        own = (command.help or "").split("\n\n", 1)[0].strip()
        assert " ".join(own.split()) == entry.help, name
        assert name in root.output


@pytest.mark.parametrize("name", list(_COMMANDS))
def test_each_command_shows_its_own_help(name: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert f"andon {name}" in result.output
    assert _COMMANDS[name].help.split()[0] in result.output


def test_an_unknown_command_is_a_usage_mistake() -> None:
    result = CliRunner().invoke(app, ["modle"])
    assert result.exit_code == 2
    assert "No such command 'modle'" in result.output
