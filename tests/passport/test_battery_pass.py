"""Passports of a simulated day, checked against the Battery Pass v1.2.0 JSON Schemas."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest

from andon.model import Model
from andon.passport import ASPECTS, AccessLevel, Passport, passports, to_battery_pass
from andon.store import Store
from conftest import END

DAY = 86_400_000_000


@pytest.fixture(scope="module")
def day_passports(battery_store: Store, battery_model: Model) -> list[Passport]:
    found = passports(battery_store, battery_model, start=0, end=END)
    assert len(found) > 300  # a working day of the line
    return found


def _validators(schemas: dict[str, Any]) -> dict[str, jsonschema.Draft4Validator]:
    assert set(schemas) == set(ASPECTS)
    return {
        name: jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
        for name, schema in schemas.items()
    }


# Every passport of a simulated month at every level is checked by benchmarks/passport.py;
# here a share of a day's, to keep the test fast (the Performance schema is the slow one).
@pytest.mark.parametrize(
    ("level", "every"),
    [(AccessLevel.PUBLIC, 10), (AccessLevel.LEGITIMATE_INTEREST, 10), (AccessLevel.AUTHORITIES, 3)],
)
def test_passports_are_valid_at_every_level(
    day_passports: list[Passport],
    battery_pass_schemas: dict[str, Any],
    level: AccessLevel,
    every: int,
) -> None:
    validators = _validators(battery_pass_schemas)
    invalid = []
    for found in day_passports[::every]:
        document = to_battery_pass(found, level)
        assert document["accessLevel"] == level.value
        for name, aspect in document["aspects"].items():
            errors = [e.message for e in validators[name].iter_errors(aspect)]
            if errors:
                invalid.append((found.serial, name, errors[:2]))
    assert invalid == []


def test_the_validator_refuses_a_broken_aspect(
    day_passports: list[Passport], battery_pass_schemas: dict[str, Any]
) -> None:
    validators = _validators(battery_pass_schemas)
    document = to_battery_pass(day_passports[0], AccessLevel.AUTHORITIES)
    general = copy.deepcopy(document["aspects"]["GeneralProductInformation"])
    del general["manufacturingPlace"]
    general["batteryCategory"] = "toy"
    assert len(list(validators["GeneralProductInformation"].iter_errors(general))) == 2
    carbon = copy.deepcopy(document["aspects"]["CarbonFootprint"])
    carbon["carbonFootprintPerLifecycleStage"][0]["lifecycleStage"] = "Use"
    assert list(validators["CarbonFootprint"].iter_errors(carbon))


def test_each_level_reads_its_annex_xiii_aspects(day_passports: list[Passport]) -> None:
    found = day_passports[0]
    public = to_battery_pass(found, AccessLevel.PUBLIC)
    assert set(public["aspects"]) == {
        "GeneralProductInformation",
        "CarbonFootprint",
        "MaterialComposition",
        "SupplyChainDueDiligence",
    }
    assert public["withheld"] == ["Circularity", "Performance", "Labels"]
    assert "manufacturing" not in public
    # Annex XIII 1(b): critical raw materials are public, the full composition is not
    public_materials = public["aspects"]["MaterialComposition"]["batteryMaterials"]
    assert {m["batteryMaterialName"] for m in public_materials} == {
        m.name for m in found.spec.materials if m.critical_raw_material
    }
    interest = to_battery_pass(found, AccessLevel.LEGITIMATE_INTEREST)
    assert "Circularity" in interest["aspects"]
    assert "Performance" in interest["aspects"]
    assert interest["withheld"] == ["Labels"]
    assert len(interest["aspects"]["MaterialComposition"]["batteryMaterials"]) == len(
        found.spec.materials
    )
    authorities = to_battery_pass(found, AccessLevel.AUTHORITIES)
    assert authorities["withheld"] == []
    assert authorities["manufacturing"]["lots"] == list(found.lots)


def test_a_passport_carries_the_units_own_records(day_passports: list[Passport]) -> None:
    found = day_passports[len(day_passports) // 2]
    document = to_battery_pass(found, AccessLevel.AUTHORITIES)
    sources = document["aspects"]["Circularity"]["sparePartSources"]
    assert [c["partNumber"] for c in sources[0]["components"]] == list(found.lots)
    assert sources[0]["nameOfSupplier"] == found.spec.cell_supplier.name
    capacity = found.measured("cell_capacity")
    assert capacity is not None
    condition = document["aspects"]["Performance"]["batteryCondition"]
    assert condition["remainingCapacity"]["remainingCapacityValue"] == capacity.value
    stages = document["aspects"]["CarbonFootprint"]["carbonFootprintPerLifecycleStage"]
    lifetime_kwh = 50 * 43.8 / 1000 * found.spec.expected_cycles
    assert stages[1] == {
        "lifecycleStage": "MainProduction",
        "carbonFootprint": pytest.approx(found.carbon.kg_co2e / lifetime_kwh),
    }
    assert document["aspects"]["CarbonFootprint"]["absoluteCarbonFootprint"] == pytest.approx(
        found.spec.upstream_kg_co2e + found.carbon.kg_co2e
    )
    assert found.carbon.kg_co2e > 0
    assert document["url"].endswith("/" + found.serial)


def test_a_unit_that_failed_its_test_is_waste_with_a_negative_event(
    day_passports: list[Passport],
) -> None:
    failed = [p for p in day_passports if not p.passed]
    passed = [p for p in day_passports if p.passed]
    assert passed
    assert all(p.status == "Original" for p in passed)
    if not failed:
        pytest.skip("no unit failed its end-of-line test on this simulated day")
    document = to_battery_pass(failed[0], AccessLevel.LEGITIMATE_INTEREST)
    assert document["aspects"]["GeneralProductInformation"]["batteryStatus"] == "Waste"
    events = document["aspects"]["Performance"]["batteryCondition"]["negativeEvents"]
    assert events
    assert events[0]["negativeEvent"].startswith("final_test failed")
