"""Hostile YAML is refused as a ModelError with a code and a location, never a traceback.

Each case is a defect found by fuzzing the loader: a list or mapping as a key (a TypeError),
an integer of more digits than Python converts (a ValueError), deep nesting (a
RecursionError), duplicate equipment ids beside malformed tag overrides (an IndexError of
the loader's pruning) and a seven-level alias bomb (seconds to reject).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from andon.errors import AndonError, ModelError
from andon.model import load_model
from andon.model._yaml import MAX_DEPTH

ENTERPRISE = "enterprise: {id: acme}\n"


def _load(tmp_path: Path, text: str) -> ModelError:
    file = tmp_path / "plant.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        load_model(file)
    assert isinstance(caught.value, AndonError)
    for problem in caught.value.problems:
        assert problem.file == str(file)
    return caught.value


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (ENTERPRISE + "? [1, 2]\n: x\n", "list"),
        (ENTERPRISE + "? {a: 1}\n: x\n", "mapping"),
        (ENTERPRISE + "sites:\n  - {id: s, ? [a]: 1}\n", "list"),
    ],
)
def test_a_list_or_mapping_as_a_key_is_a_yaml_problem(tmp_path: Path, text: str, kind: str) -> None:
    error = _load(tmp_path, text)
    (problem,) = error.problems
    assert problem.code == "yaml.syntax"
    assert f"found a {kind} as a key" in problem.message
    assert problem.line is not None


def test_an_integer_of_5000_digits_is_a_yaml_problem(tmp_path: Path) -> None:
    error = _load(tmp_path, ENTERPRISE + "sites:\n  - id: s\n    inbox_min_value: " + "9" * 5000)
    (problem,) = error.problems
    assert problem.code == "yaml.syntax"
    assert "4300 digits" in problem.message
    assert problem.line == 4


def test_an_integer_of_4000_digits_is_read_and_checked(tmp_path: Path) -> None:
    error = _load(tmp_path, ENTERPRISE + "sites:\n  - id: s\n    timezone: " + "9" * 4000)
    assert [p.code for p in error.problems] == ["schema.string_type"]


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5000])
def test_deep_nesting_is_refused(tmp_path: Path, depth: int) -> None:
    error = _load(tmp_path, ENTERPRISE + "sites: " + "[" * depth + "]" * depth + "\n")
    (problem,) = error.problems
    assert problem.code == "yaml.too_large"
    assert "nesting deeper" in problem.message


def test_block_nesting_is_refused_with_its_line(tmp_path: Path) -> None:
    depth = MAX_DEPTH + 5
    nested = "".join("  " * level + "- \n" for level in range(depth)) + "  " * depth + "- x\n"
    error = _load(tmp_path, ENTERPRISE + "sites:\n" + nested)
    (problem,) = error.problems
    assert problem.code == "yaml.too_large"
    assert problem.line is not None


def test_a_seven_level_alias_bomb_is_refused(tmp_path: Path) -> None:
    levels = ["a: &l0 [" + ", ".join(["x"] * 9) + "]"]
    levels.extend(
        f"b{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]" for level in range(1, 7)
    )
    error = _load(tmp_path, "\n".join(levels) + "\nsites: *l6\n" + ENTERPRISE)
    (problem,) = error.problems
    assert problem.code == "yaml.too_large"
    assert "aliases" in problem.message
    assert problem.line == 7


def test_small_aliases_still_load(tmp_path: Path) -> None:
    file = tmp_path / "plant.yaml"
    file.write_text(
        ENTERPRISE
        + "equipment_classes:\n"
        + "  - {id: a, tags: &tags [{name: t, unit: degC, min: 0, max: 90}]}\n"
        + "  - {id: b, tags: *tags}\n",
        encoding="utf-8",
    )
    model = load_model(file)
    assert [t.name for t in model.plant.equipment_classes[1].tags] == ["t"]


def test_duplicate_equipment_with_malformed_tag_overrides(tmp_path: Path) -> None:
    error = _load(
        tmp_path,
        ENTERPRISE
        + """\
equipment_classes: [{id: c, tags: [{name: t}]}]
sites:
  - id: s
    areas:
      - id: ar
        lines:
          - id: l
            cells:
              - id: ce
                equipment:
                  - {id: e, class: c, bogus: 1, tags: [{name: t, unit: 5}]}
                  - {id: e, class: c, tags: [{name: t, unit: 5}, {name: t, unit: 6}]}
""",
    )
    lines = sorted((p.line, p.code) for p in error.problems)
    assert (12, "schema.extra_forbidden") in lines
    assert (13, "schema.string_type") in lines
    assert all(p.path == "acme/s/ar/l/ce/e" for p in error.problems)


def test_an_integer_key_of_a_mapping_is_not_a_list_index(tmp_path: Path) -> None:
    error = _load(
        tmp_path,
        ENTERPRISE
        + """\
equipment_classes:
  - id: c
    tags: [{name: t}]
    failure_modes: [{id: m, mtbf_h: 100, repair_h: 1, parts: {1: 2, 0: x}}]
  - {id: d, bogus: 1}
""",
    )
    assert {p.code for p in error.problems} >= {"schema.extra_forbidden"}


def test_an_impossible_holiday_is_a_yaml_problem(tmp_path: Path) -> None:
    error = _load(tmp_path, ENTERPRISE + "sites:\n  - id: s\n    holidays: [2026-02-30]\n")
    (problem,) = error.problems
    assert (problem.code, problem.line) == ("yaml.syntax", 4)
    assert "2026-02-30" in problem.message
