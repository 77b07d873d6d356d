"""Passports as Asset Administration Shells: read by basyx-python-sdk, verified by aas-core3.0."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import aas_core3.jsonization as aas_json
import aas_core3.verification as aas_verification
import pytest
from basyx.aas import model as basyx_model
from basyx.aas.adapter.json import read_aas_json_file

from andon.model import Model
from andon.passport import Passport, passports, to_aas
from andon.passport.aas import CARBON_FOOTPRINT, NAMEPLATE
from andon.store import Store
from conftest import END


@pytest.fixture(scope="module")
def shells(battery_store: Store, battery_model: Model) -> list[tuple[Passport, dict[str, Any]]]:
    return [(p, to_aas(p)) for p in passports(battery_store, battery_model, start=0, end=END)]


def _violations(environment: dict[str, Any]) -> list[str]:
    parsed = aas_json.environment_from_jsonable(environment)
    return [f"{e.path}: {e.cause}" for e in aas_verification.verify(parsed)]


def test_every_shell_has_no_aas_core_violation(
    shells: list[tuple[Passport, dict[str, Any]]],
) -> None:
    assert len(shells) > 300
    found = {p.serial: _violations(env) for p, env in shells}
    assert {s: v for s, v in found.items() if v} == {}


def test_the_verifier_reports_a_broken_shell(shells: list[tuple[Passport, dict[str, Any]]]) -> None:
    broken = copy.deepcopy(shells[0][1])
    broken["submodels"][0]["idShort"] = "1 not an id"
    # an element of a list must not carry an idShort (AASd-120)
    footprints = broken["submodels"][1]["submodelElements"][0]["value"]
    footprints[0]["idShort"] = "Named"
    assert len(_violations(broken)) >= 2


def test_basyx_reads_the_nameplate_and_the_carbon_footprint(
    shells: list[tuple[Passport, dict[str, Any]]],
) -> None:
    passport, environment = shells[3]
    objects = read_aas_json_file(io.StringIO(json.dumps(environment)), failsafe=False)
    submodels = {o.id_short: o for o in objects if isinstance(o, basyx_model.Submodel)}
    assert set(submodels) == {"Nameplate", "CarbonFootprint"}
    nameplate = submodels["Nameplate"]
    assert nameplate.semantic_id is not None
    assert nameplate.semantic_id.key[0].value == NAMEPLATE
    serial = nameplate.get_referable("SerialNumber")
    assert isinstance(serial, basyx_model.Property)
    assert serial.value == passport.serial
    uri = nameplate.get_referable("URIOfTheProduct")
    assert isinstance(uri, basyx_model.Property)
    assert uri.value == passport.url
    carbon = submodels["CarbonFootprint"]
    assert carbon.semantic_id is not None
    assert carbon.semantic_id.key[0].value == CARBON_FOOTPRINT
    footprints = carbon.get_referable("ProductCarbonFootprints")
    assert isinstance(footprints, basyx_model.SubmodelElementList)
    values = []
    for entry in footprints.value:
        assert isinstance(entry, basyx_model.SubmodelElementCollection)
        co2 = entry.get_referable("PcfCO2eq")
        assert isinstance(co2, basyx_model.Property)
        values.append(float(co2.value))  # type: ignore[arg-type]
    assert values == pytest.approx([passport.spec.upstream_kg_co2e, passport.carbon.kg_co2e])
    shell = next(o for o in objects if isinstance(o, basyx_model.AssetAdministrationShell))
    assert shell.asset_information.global_asset_id == passport.url
