"""Change requests naming what the model does not have are refused, every problem at once,
each with a ``change.*`` code and the field it is about."""

from __future__ import annotations

from pathlib import Path

import pytest

from andon.change import load_request, parse_request
from andon.errors import InputError
from andon.model import Model, load_model

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def acme() -> Model:
    return load_model(EXAMPLES / "discrete")


def _codes(data: object, model: Model) -> list[tuple[str, str | None]]:
    with pytest.raises(InputError) as caught:
        parse_request(data, model)
    assert caught.value.code == "input"
    return [(p.code, p.path) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"kind": "part_substitution", "part": "NOPE-1", "replacement": "BRG-6308"},
            [("change.unknown_part", "part")],
        ),
        (
            {
                "kind": "firmware",
                "station": "acme/lyon/assembly/a1/pressfit/press9",
                "version": "1",
            },
            [("change.unknown_station", "station")],
        ),
        (
            {"kind": "parameter_limit", "product": "GB-999", "parameter": "press_force", "usl": 1},
            [("change.unknown_product", "product")],
        ),
        (
            {
                "kind": "parameter_limit",
                "product": "GB-200",
                "parameter": "bore_diameter",
                "usl": 1,
            },
            [("change.unknown_parameter", "parameter")],
        ),
        (
            {
                "kind": "routing",
                "product": "GB-200",
                "line": "lyon/assembly/a9",
                "steps": ["pressfit"],
            },
            [("change.unknown_line", "line")],
        ),
        (
            {
                "kind": "routing",
                "product": "GB-200",
                "line": "lyon/assembly/a2",
                "steps": ["milling"],
            },
            [("change.unknown_cell", "steps[0].cell")],
        ),
        ({"kind": "recipe"}, [("change.unknown_kind", "kind")]),
        (
            {"kind": "firmware", "station": "acme/lyon/assembly/a1/pressfit/press1"},
            [("change.missing_field", "version")],
        ),
        (
            {
                "kind": "parameter_limit",
                "product": "GB-200",
                "parameter": "press_force",
                "lsl": 30,
                "usl": 20,
            },
            [("change.bad_value", "lsl")],
        ),
        (
            {"kind": "parameter_limit", "product": "GB-200", "parameter": "press_force"},
            [("change.missing_field", "lsl")],
        ),
        (
            {"kind": "part_substitution", "part": "BRG-6308", "replacement": "NEW-1"},
            [("change.missing_field", "replacement_unit_cost")],
        ),
        (
            {
                "kind": "part_substitution",
                "part": "BRG-6308",
                "replacement": "BRG-7014",
                "effective": "soon",
            },
            [("change.bad_value", "effective")],
        ),
        (
            {
                "kind": "firmware",
                "station": "acme/lyon/assembly/a1/pressfit/press1",
                "version": "1",
                "colour": "red",
            },
            [("change.unknown_field", "colour")],
        ),
    ],
)
def test_each_bad_request_is_refused_with_its_reason(
    acme: Model, data: dict[str, object], expected: list[tuple[str, str]]
) -> None:
    assert _codes(data, acme) == expected


def test_every_problem_is_reported_at_once(acme: Model) -> None:
    codes = _codes(
        {"kind": "routing", "product": "GB-999", "line": "acme/lyon/assembly/a9", "steps": []},
        acme,
    )
    assert sorted(codes) == [
        ("change.bad_value", "steps"),
        ("change.unknown_line", "line"),
        ("change.unknown_product", "product"),
    ]


def test_unknown_station_message_names_it(acme: Model) -> None:
    with pytest.raises(InputError) as caught:
        parse_request({"kind": "firmware", "station": "acme/x", "version": "1"}, acme)
    assert "unknown station 'acme/x'" in str(caught.value)


def test_a_request_that_is_not_a_mapping_is_refused(acme: Model) -> None:
    assert _codes(["firmware"], acme) == [("change.not_a_mapping", None)]


def test_a_file_that_is_not_yaml_says_where(acme: Model, tmp_path: Path) -> None:
    path = tmp_path / "eco.yaml"
    path.write_text("kind: firmware\nstation: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_request(path, acme)
    (problem,) = caught.value.problems
    assert problem.code == "change.syntax"
    assert problem.file == str(path)
    assert problem.line is not None


def test_a_problem_in_a_file_names_the_file(acme: Model, tmp_path: Path) -> None:
    path = tmp_path / "eco.yaml"
    path.write_text("kind: firmware\nstation: acme/nope\nversion: '1'\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_request(path, acme)
    (problem,) = caught.value.problems
    assert (problem.code, problem.file) == ("change.unknown_station", str(path))
