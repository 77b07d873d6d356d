"""The error tree: every class has its own stable code and an HTTP status, and docs/errors.md
lists them all; misuse and bad data are two families; a problem reads the same everywhere."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import pytest

import andon
from andon import errors as errors_module
from andon.api.problems import STATUS_BY_FAMILY, andon_status
from andon.errors import (
    ActionError,
    AndonError,
    AppError,
    ExecutionError,
    InputError,
    InsufficientHistoryError,
    ModelError,
    Problem,
    StoreError,
    UnknownAppError,
    UsageError,
)

ROOT = Path(__file__).resolve().parent.parent
SRC = Path(andon.__file__).resolve().parent
CODE = re.compile(r"[a-z]+(\.[a-z_]+)*")


def _every_error_class() -> list[type[AndonError]]:
    for info in pkgutil.walk_packages([str(SRC)], prefix="andon."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found: list[type[AndonError]] = []
    pending: list[type[AndonError]] = [AndonError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(c for c in cls.__subclasses__() if c.__module__.startswith("andon."))
    return found


ERRORS = _every_error_class()


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_error_docs", ROOT / "scripts" / "gen_error_docs.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_tree_is_found_whole() -> None:
    names = {cls.__name__ for cls in ERRORS}
    assert {"UsageError", "InputError", "ModelError", "AppError", "ExecutionError"} <= names
    assert {"DecisionNotFoundError", "ForbiddenError"} <= names  # defined outside errors.py
    assert len(ERRORS) >= 23


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__name__)
def test_every_error_class_has_its_own_well_formed_code(cls: type[AndonError]) -> None:
    assert "code" in vars(cls), f"{cls.__name__} inherits its code instead of having one"
    assert CODE.fullmatch(cls.code), cls.code


def test_no_two_error_classes_share_a_code() -> None:
    by_code: dict[str, list[str]] = {}
    for cls in ERRORS:
        by_code.setdefault(cls.code, []).append(cls.__name__)
    shared = {code: names for code, names in by_code.items() if len(names) > 1}
    assert shared == {}


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__name__)
def test_every_error_class_has_a_status_of_its_family(cls: type[AndonError]) -> None:
    status = andon_status(cls)
    assert 400 <= status < 600
    assert any(issubclass(cls, family) for family in STATUS_BY_FAMILY)
    if issubclass(cls, InputError):
        assert status == 422
    if issubclass(cls, UsageError):
        assert status == 500


def test_an_instance_refines_its_class_code_and_only_refines_it() -> None:
    assert StoreError("locked", code="store.locked").code == "store.locked"
    assert StoreError("locked").code == "store"
    assert ModelError("bad", [], code="model.invalid.encoding").code == "model.invalid.encoding"
    with pytest.raises(UsageError, match=r"store\.<detail>"):
        StoreError("locked", code="model.locked")
    with pytest.raises(UsageError):
        StoreError("locked", code="storehouse")


def test_usage_errors_are_type_errors_and_not_input_errors() -> None:
    assert issubclass(UsageError, TypeError)
    assert not issubclass(UsageError, InputError)
    assert not issubclass(InputError, UsageError)
    assert not issubclass(InputError, ValueError)


def test_app_errors_carry_their_data() -> None:
    short = InsufficientHistoryError("tag temp silent for 21 days", app="maintenance")
    assert (short.app, short.reason, short.code) == (
        "maintenance",
        "tag temp silent for 21 days",
        "app.insufficient_history",
    )
    assert str(short) == "maintenance: tag temp silent for 21 days"
    failed = ExecutionError("the CMMS refused the work order", decision_id="d-42", executor="cmms")
    assert (failed.decision_id, failed.executor) == ("d-42", "cmms")
    assert "d-42" in str(failed)
    assert isinstance(failed, AppError)
    unknown = UnknownAppError(app="quality", known=["maintenance"])
    assert isinstance(unknown, LookupError)
    assert unknown.known == ("maintenance",)
    assert "'quality'" in str(unknown)
    assert "maintenance" in str(unknown)
    problem = Problem(code="action.missing_parameter", message="no slot", path="parameters.slot")
    action = ActionError("the action is invalid", kind="schedule_pm", problems=[problem])
    assert action.problems == (problem,)
    assert action.kind == "schedule_pm"


def test_only_data_errors_carry_problems_by_default() -> None:
    assert StoreError("x").problems == ()
    assert UsageError("x").problems == ()
    problem = Problem(code="c.d", message="m")
    assert InputError("s", [problem]).problems == (problem,)


def test_a_problem_reads_the_same_as_json_and_as_a_line() -> None:
    problem = Problem(
        code="model.unknown_class",
        message="equipment 'p1' has unknown class 'presss'",
        file="plant.yaml",
        line=17,
        path="acme/plant/p1",
        expected="one of press",
    )
    item = problem.to_json()
    assert set(item) == {"code", "loc", "message", "expected", "file", "line", "path"}
    assert item["loc"] == "plant.yaml:17 acme/plant/p1"
    assert str(problem) == (
        f"{item['loc']}: {item['message']} (expected {item['expected']}) [{item['code']}]"
    )
    assert Problem(code="a.b", message="m").to_json()["loc"] == ""


def test_problems_are_ordered_by_file_then_line() -> None:
    late = Problem(code="a.b", message="m", file="a.yaml", line=9)
    early = Problem(code="a.c", message="m", file="a.yaml", line=2)
    other = Problem(code="a.a", message="m", file="b.yaml", line=1)
    assert Problem.ordered([other, late, early]) == [early, late, other]


def test_the_module_docstring_draws_the_tree_of_errors_py() -> None:
    tree = errors_module.__doc__ or ""
    for cls in ERRORS:
        if cls.__module__ == "andon.errors":
            assert re.search(rf"\b{cls.__name__}\s+{re.escape(cls.code)}\s", tree), cls.__name__


def test_docs_errors_md_is_up_to_date(generator: ModuleType) -> None:
    committed = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert committed == generator.render(), (
        "docs/errors.md is stale: run python scripts/gen_error_docs.py"
    )


def test_the_page_lists_every_class_with_its_code(generator: ModuleType) -> None:
    page = generator.render()
    for cls in ERRORS:
        row = next((line for line in page.splitlines() if f".{cls.__name__}`" in line), None)
        assert row is not None, cls.__name__
        assert f"| `{cls.code}` | {andon_status(cls)} |" in row


def test_check_mode_reports_a_stale_page(
    generator: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "errors.md"
    stale.write_text("# old\n")
    monkeypatch.setattr(generator, "TARGET", stale)
    monkeypatch.setattr(generator, "ROOT", tmp_path)
    assert generator.main(["--check"]) == 1
    assert generator.main([]) == 0
    assert generator.main(["--check"]) == 0
