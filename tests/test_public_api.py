"""The public surface: ``andon.__all__`` is exact, the error tree is one tree, layers hold.

A change to the public API must change this file too: that makes it a visible decision.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import andon
from andon import errors
from andon.errors import AndonError, ContractError, ModelError, Problem

SRC = Path(andon.__file__).resolve().parent

PUBLIC = ["AndonError", "Model", "ModelError", "Problem", "__version__", "load_model"]

ERRORS = {
    "AndonError": None,
    "UsageError": AndonError,
    "InputError": AndonError,
    "ModelError": errors.InputError,
    "ContractError": errors.InputError,
    "SimulationError": errors.InputError,
    "KpiError": errors.InputError,
    "OcelError": errors.InputError,
    "StoreError": AndonError,
    "ConnectError": AndonError,
    "DecisionError": AndonError,
    "AuthError": AndonError,
    "AppError": AndonError,
    "InsufficientHistoryError": errors.AppError,
    "UnknownAppError": errors.AppError,
    "ActionError": errors.AppError,
    "ExecutionError": errors.AppError,
}


def test_andon_all_is_exact() -> None:
    assert andon.__all__ == PUBLIC
    for name in PUBLIC:
        assert hasattr(andon, name), name
    assert andon.__version__.count(".") == 2


def test_the_error_tree_is_exactly_one_tree() -> None:
    exceptions = {
        name: obj
        for name, obj in vars(errors).items()
        if inspect.isclass(obj) and issubclass(obj, BaseException) and not name.startswith("_")
    }
    assert set(exceptions) == set(ERRORS)
    assert set(errors.__all__) == {*ERRORS, "Problem"}
    for name, parent in ERRORS.items():
        error = exceptions[name]
        if parent is None:
            assert error.__bases__ == (Exception,)
        else:
            assert issubclass(error, parent)
            assert error is not parent


@pytest.mark.parametrize("error", [ModelError, ContractError])
def test_problem_errors_carry_every_problem(error: type[ModelError]) -> None:
    problems = [
        Problem(code="model.unknown_class", message="unknown class 'x'", file="a.yaml", line=3),
        Problem(code="model.duplicate_id", message="duplicate id 'p1'", path="acme/lyon/p1"),
    ]
    raised = error("the plant model is invalid", problems)
    assert raised.problems == tuple(problems)
    assert raised.summary == "the plant model is invalid"
    text = str(raised)
    assert "2 problem(s)" in text
    assert "a.yaml:3: unknown class 'x' [model.unknown_class]" in text
    assert "acme/lyon/p1: duplicate id 'p1' [model.duplicate_id]" in text


def test_problems_are_frozen_keyword_only_values() -> None:
    problem = Problem(code="c", message="m", expected="x > 0")
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.code = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Problem("c", "m")  # type: ignore[misc]
    assert str(problem) == "m (expected x > 0) [c]"


def _modules() -> list[str]:
    names = ["andon"]
    for info in pkgutil.walk_packages([str(SRC)], prefix="andon."):
        if info.name.endswith("__main__"):
            continue  # running it would start the command line
        names.append(info.name)
    return names


@pytest.mark.parametrize("module_name", _modules())
def test_every_name_in_a_modules_all_exists(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name in getattr(module, "__all__", ()):
        assert hasattr(module, name), f"{module_name}.__all__ names missing {name!r}"


def _imports(file: Path) -> set[str]:
    tree = ast.parse(file.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _package_of(file: Path) -> str:
    return ".".join(("andon", *file.relative_to(SRC).with_suffix("").parts))


def test_layers_import_only_to_their_left() -> None:
    surfaces = ("andon.cli", "andon.api", "andon.web")
    for file in SRC.rglob("*.py"):
        module = _package_of(file)
        imports = _imports(file)
        if module == "andon.__main__" or module.startswith(surfaces):
            continue  # the surfaces may use each other (the CLI starts the API, which serves web)
        for surface in surfaces:
            offending = {
                name for name in imports if name == surface or name.startswith(surface + ".")
            }
            assert not offending, f"{module} imports {offending}: nothing imports a surface"
        if module.startswith("andon.apps"):
            assert not any(n.startswith("andon.decisions") for n in imports), module
        if module.startswith("andon.decisions"):
            assert not any(n.startswith("andon.apps.") for n in imports), module
