"""docs/model.md is generated from the schema and must not go stale; every field has a meaning."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import BaseModel

from andon.model import codes
from andon.model.schema import FailureMode, PowerByState, TagDefinition

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_model_docs", ROOT / "scripts" / "gen_model_docs.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_model_md_is_up_to_date(generator: ModuleType) -> None:
    committed = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert committed == generator.render(), (
        "docs/model.md is stale: run python scripts/gen_model_docs.py"
    )


def test_every_element_and_field_is_documented(generator: ModuleType) -> None:
    models: list[type[BaseModel]] = generator.elements()
    assert len(models) >= 20
    page = generator.render()
    for model in models:
        assert model.__doc__, model
        assert f"## {model.__name__}\n" in page
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no docstring"
            assert f"| `{field.alias or name}` |" in page


def test_units_come_from_names_or_the_list(generator: ModuleType) -> None:
    assert generator.unit_text(FailureMode, "mtbf_h") == "h"
    assert generator.unit_text(TagDefinition, "rate_s") == "s"
    assert generator.unit_text(PowerByState, "idle") == "kW"
    assert generator.unit_text(PowerByState, "warmup_min") == "min"


def test_check_mode_reports_a_stale_page(
    generator: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "model.md"
    stale.write_text("# old\n")
    monkeypatch.setattr(generator, "TARGET", stale)
    monkeypatch.setattr(generator, "ROOT", tmp_path)
    assert generator.main(["--check"]) == 1
    assert generator.main([]) == 0
    assert generator.main(["--check"]) == 0


def test_every_problem_code_in_the_code_is_listed() -> None:
    sources = (ROOT / "src" / "andon" / "model").glob("*.py")
    used = {
        match
        for source in sources
        for match in re.findall(r'"((?:model|file|yaml)\.[a-z_]+)"', source.read_text())
    }
    assert used == set(codes.PROBLEM_CODES)
