"""The unit table holds pint's own answers, and units outside it still go to pint.

``andon.model.units`` answers common units from ``andon.model._unit_table`` without importing
pint. These tests regenerate the table from the installed pint, check that units of two
different groups never convert in pint, and check that a unit outside the table, or a pint
release other than the table's, is answered by pint itself.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from andon.model import _unit_table, units

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_unit_table", ROOT / "scripts" / "gen_unit_table.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    units.conversion.cache_clear()
    units._table_holds.cache_clear()
    yield
    units.conversion.cache_clear()
    units._table_holds.cache_clear()


def test_the_committed_table_is_pints_answers(generator: ModuleType) -> None:
    committed = (ROOT / "src" / "andon" / "model" / "_unit_table.py").read_text(encoding="utf-8")
    assert committed == generator.render(), (
        "src/andon/model/_unit_table.py is stale: run python scripts/gen_unit_table.py"
    )


def test_the_table_covers_the_example_models() -> None:
    assert {"degC", "degF", "mm/s", "bar", "kN", "A", "N*m", "percent", "dB"} <= set(
        _unit_table.GROUPS
    )
    assert _unit_table.CONVERSIONS["degF", "degC"] == units._pint_conversion("degF", "degC")


def test_units_of_different_groups_never_convert_in_pint() -> None:
    groups = {u: g for u, g in _unit_table.GROUPS.items() if g is not None}
    outcomes: dict[tuple[str, str], str] = {}
    for source, source_group in groups.items():
        for target, target_group in groups.items():
            if source_group == target_group:
                continue
            try:
                outcomes[source, target] = f"converts: {units._pint_conversion(source, target)}"
            except units.UnitError as exc:
                outcomes[source, target] = str(exc)
    wrong = {
        pair: outcome
        for pair, outcome in outcomes.items()
        if outcome != f"{pair[0]!r} does not convert to {pair[1]!r}"
    }
    assert wrong == {}
    assert len(groups) > 100


def test_the_table_answers_as_pint_does(fresh_caches: None) -> None:
    for unit in _unit_table.GROUPS:
        assert units.is_unit(unit) is units._pint_is_unit(unit) is True
    for source, target in [("degF", "degC"), ("psi", "bar"), ("in/s", "mm/s"), ("kW", "W")]:
        assert units.conversion(source, target) == units._pint_conversion(source, target)
    for source, target in [("degC", "bar"), ("mm/s", "mm"), ("percent", "A")]:
        with pytest.raises(units.UnitError, match="does not convert") as raised:
            units.conversion(source, target)
        assert str(raised.value) == f"{source!r} does not convert to {target!r}"


def test_a_unit_outside_the_table_goes_to_pint(fresh_caches: None) -> None:
    assert "furlong/fortnight" not in _unit_table.GROUPS
    assert units.is_unit("furlong/fortnight")
    assert not units.is_unit("bars_of_gold")
    scale, offset = units.conversion("furlong/fortnight", "mm/s")
    assert scale == pytest.approx(201168 / 1209600, rel=1e-5)  # pint: a survey furlong
    assert offset == 0.0
    with pytest.raises(units.UnitError, match="does not convert"):
        units.conversion("furlong/fortnight", "degC")
    with pytest.raises(units.UnitError, match="unknown unit"):
        units.conversion("bars_of_gold", "degC")
    # a logarithmic unit is known from the table, its conversions are pint's
    assert _unit_table.GROUPS["dB"] is None
    with pytest.raises(units.UnitError, match="does not convert"):
        units.conversion("dB", "degC")


def test_another_pint_release_ignores_the_table(
    fresh_caches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def pint_is_unit(text: str) -> bool:
        asked.append(text)
        return False

    monkeypatch.setattr(_unit_table, "PINT_VERSION", "0.0.0")
    monkeypatch.setattr(units, "_pint_is_unit", pint_is_unit)
    monkeypatch.setattr(units, "_pint_conversion", lambda s, t: (2.0, 3.0))
    assert not units.is_unit("degC")
    assert asked == ["degC"]
    assert units.conversion("degF", "degC") == (2.0, 3.0)
    assert units.conversion("degC", "bar") == (2.0, 3.0)  # not the table's mismatch


_PROBE = """
import json, sys
from andon.model import units
answers = [
    units.is_unit("degC"),
    units.is_unit("mm/s"),
    units.conversion("degF", "degC"),
    units.conversion("mm/s", "mm/s"),
]
try:
    units.conversion("degC", "bar")
except units.UnitError as exc:
    answers.append(str(exc))
print(json.dumps({"answers": answers, "pint": "pint" in sys.modules}))
"""


def test_common_units_need_no_pint() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, cwd=ROOT
    )
    seen = json.loads(done.stdout)
    assert seen["pint"] is False
    assert seen["answers"] == [
        True,
        True,
        list(units._pint_conversion("degF", "degC")),
        [1.0, 0.0],
        "'degC' does not convert to 'bar'",
    ]
