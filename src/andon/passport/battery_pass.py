"""A passport as JSON of the Battery Pass consortium's data model v1.2.0, at an access level.

Each aspect of the data model (``GeneralProductInformation``, ``CarbonFootprint``, ...) is
an object valid against that aspect's JSON Schema; an aspect is given whole or not at all,
to readers whose level (:class:`~andon.passport.types.AccessLevel`) may read it, since the
schemas require fields of several Annex XIII audiences together (``Performance`` requires
the battery's condition, for legitimate interest; ``Labels`` the test report, for
authorities). The envelope says which aspects were withheld.

Units (the data model names none): mass kg, capacity Ah, energy kWh, voltage V, power W,
resistance ohm, temperature degC, shares and efficiencies percent, carbon footprint
kg CO2e for the absolute value and kg CO2e per kWh of the energy the battery delivers over
its service life (Battery Regulation Art. 7, Annex II) for the per-stage values. Where the
data model requires a value that manufacturing cannot know yet (the date the battery is
put into service, its condition), the state at manufacture is given: put into service is
the date of manufacture, cycles and fades are zero.

The data model's e-mail pattern of ``GeneralProductInformation`` lost its backslashes
(``^[w.-]+@...``: only the letter ``w``); contacts there carry no e-mail address.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Final

from andon.model.schema import Organisation, PostalAddress
from andon.passport.errors import PassportError
from andon.passport.types import AccessLevel, Passport

__all__ = ["ASPECTS", "DATA_MODEL", "to_battery_pass"]

DATA_MODEL: Final = "Battery Pass 1.2.0"

ASPECTS: Final = {
    "GeneralProductInformation": AccessLevel.PUBLIC,
    "CarbonFootprint": AccessLevel.PUBLIC,
    "MaterialComposition": AccessLevel.PUBLIC,
    "SupplyChainDueDiligence": AccessLevel.PUBLIC,
    "Circularity": AccessLevel.LEGITIMATE_INTEREST,
    "Performance": AccessLevel.LEGITIMATE_INTEREST,
    "Labels": AccessLevel.AUTHORITIES,
}
"""Each aspect of the data model and the least level that reads it (Annex XIII)."""


def iso(ts_us: int) -> str:
    """Return a UTC time as ISO 8601 with milliseconds and ``Z``."""
    moment = dt.datetime.fromtimestamp(ts_us / 1e6, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _address(address: PostalAddress) -> dict[str, str]:
    street = address.street
    return {
        "addressCountry": address.country,
        "postalCode": address.postal_code,
        "streetAddress": f"{street}, {address.city}" if address.city else street,
    }


def _contact(who: Organisation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "contactName": who.name,
        "postalAddress": _address(who.address),
        "identifier": who.identifier,
    }
    if who.web:
        out["webAddress"] = who.web
    return out


def rated_energy_kwh(passport: Passport) -> float:
    """Return the rated energy of the unit: rated capacity at nominal voltage, kWh."""
    spec = passport.spec
    return spec.rated_capacity_ah * spec.nominal_voltage_v / 1000.0


def _general(p: Passport) -> dict[str, Any]:
    if p.site_address is None:
        raise PassportError(
            f"its site {p.site!r} declares no address (Site.address): the place of manufacture",
            serial=p.serial,
            code="passport.no_address",
        )
    made = iso(p.manufactured_us)
    spec = p.spec
    return {
        "productIdentifier": p.serial,
        "batteryPassportIdentifier": p.identifier,
        "batteryCategory": spec.category,
        "manufacturerInformation": _contact(spec.manufacturer),
        "manufacturingDate": made,
        "batteryStatus": p.status,
        "batteryMass": spec.mass_kg,
        "manufacturingPlace": _address(p.site_address),
        "operatorInformation": _contact(spec.operator or spec.manufacturer),
        "puttingIntoService": made,
        "warrentyPeriod": spec.warranty_period,
    }


def _carbon(p: Passport) -> dict[str, Any]:
    lifetime_kwh = rated_energy_kwh(p) * p.spec.expected_cycles
    upstream = p.upstream_kg_co2e / lifetime_kwh
    production = p.carbon.kg_co2e / lifetime_kwh
    return {
        "batteryCarbonFootprint": upstream + production,
        "carbonFootprintPerLifecycleStage": [
            {"lifecycleStage": "RawMaterialExtraction", "carbonFootprint": upstream},
            {"lifecycleStage": "MainProduction", "carbonFootprint": production},
        ],
        "carbonFootprintPerformanceClass": p.spec.carbon_footprint_class,
        "carbonFootprintStudy": p.spec.documents.carbon_footprint_study,
        "absoluteCarbonFootprint": p.total_kg_co2e,
    }


def _composition(p: Passport, level: AccessLevel) -> dict[str, Any]:
    detailed = level.allows(AccessLevel.LEGITIMATE_INTEREST)
    spec = p.spec
    return {
        "batteryChemistry": {"shortName": spec.chemistry, "clearName": spec.chemistry_name},
        # Annex XIII 1(b): the critical raw materials are public; 2(a), the detailed
        # composition, is for legitimate interest.
        "batteryMaterials": [
            {
                "batteryMaterialLocation": {"componentName": m.component},
                "batteryMaterialIdentifier": m.cas,
                "batteryMaterialName": m.name,
                "batteryMaterialMass": m.mass_kg,
                "isCriticalRawMaterial": m.critical_raw_material,
            }
            for m in spec.materials
            if detailed or m.critical_raw_material
        ],
        "hazardousSubstances": [
            {
                "hazardousSubstanceClass": h.hazard_class,
                "hazardousSubstanceName": h.name,
                "hazardousSubstanceConcentration": h.concentration_pct,
                "hazardousSubstanceImpact": list(h.impacts),
                "hazardousSubstanceLocation": {"componentName": h.component},
                "hazardousSubstanceIdentifier": h.cas,
            }
            for h in spec.hazardous_substances
        ],
    }


def _circularity(p: Passport) -> dict[str, Any]:
    spec = p.spec
    supplier = spec.cell_supplier
    sources = []
    if supplier.email and supplier.web:
        sources.append(
            {
                "nameOfSupplier": supplier.name,
                "addressOfSupplier": _address(supplier.address),
                "emailAddressOfSupplier": supplier.email,
                "supplierWebAddress": supplier.web,
                "components": [{"partName": "cell", "partNumber": lot} for lot in p.lots],
            }
        )
    docs = spec.documents
    return {
        "dismantlingAndRemovalInformation": [
            {
                "documentType": "DismantlingManual",
                "mimeType": "application/pdf",
                "documentURL": docs.dismantling_manual,
            }
        ],
        "sparePartSources": sources,
        "recycledContent": [
            {
                "preConsumerShare": r.pre_consumer_pct,
                "recycledMaterial": r.material,
                "postConsumerShare": r.post_consumer_pct,
            }
            for r in spec.recycled_content
        ],
        "safetyMeasures": {
            "safetyInstructions": docs.safety_instructions,
            "extinguishingAgent": list(spec.extinguishing_agents),
        },
        "endOfLifeInformation": {
            "wastePrevention": docs.end_of_life,
            "separateCollection": docs.end_of_life,
            "informationOnCollection": docs.end_of_life,
        },
        "renewableContent": spec.renewable_content_pct,
    }


def _measured(p: Passport, parameter: str, default: float, scale: float = 1.0) -> float:
    found = p.measured(parameter)
    return found.value * scale if found is not None else default


def _performance(p: Passport) -> dict[str, Any]:
    spec = p.spec
    at = iso(p.manufactured_us)
    energy = rated_energy_kwh(p)
    capacity = _measured(p, "cell_capacity", spec.rated_capacity_ah)
    resistance_ohm = _measured(p, "internal_resistance", 0.0, scale=1e-3)
    ocv_drop = _measured(p, "ocv_drop", 0.0)
    power = [{"atSoC": soc, "powerCapabilityAt": w} for soc, w in spec.power_at_soc]
    technical = {
        "originalPowerCapability": power,
        "ratedMaximumPower": spec.rated_max_power_w,
        "powerCapabilityRatio": spec.rated_max_power_w / (energy * 1000.0),
        "ratedEnergy": energy,
        "expectedNumberOfCycles": spec.expected_cycles,
        "initialSelfDischarge": ocv_drop,
        "roundtripEfficiency": spec.roundtrip_efficiency_pct,
        "ratedCapacity": spec.rated_capacity_ah,
        "initialInternalResistance": [
            {"ohmicResistance": resistance_ohm, "batteryComponent": "cell"}
        ],
        "expectedLifetime": spec.expected_lifetime_years,
        "nominalVoltage": spec.nominal_voltage_v,
        "minimumVoltage": spec.min_voltage_v,
        "maximumVoltage": spec.max_voltage_v,
        "capacityThresholdForExhaustion": spec.capacity_threshold_pct,
        "lifetimeReferenceTest": spec.documents.test_report,
        "cRateLifeCycleTest": spec.c_rate_life_cycle_test,
        "temperatureRangeIdleState": spec.idle_temperature_max_c,
    }
    failed = [t for t in p.tests if not t.passed]
    condition = {
        "energyThroughput": 0.0,
        "capacityThroughput": {"capacityThroughputValue": 0.0, "lastUpdate": at},
        "numberOfFullCycles": {"numberOfFullCyclesValue": 0, "lastUpdate": at},
        "stateOfCertifiedEnergy": {"stateOfCertifiedEnergyValue": 100.0, "lastUpdate": at},
        "capacityFade": {"capacityFadeValue": 0.0, "lastUpdate": at},
        "remainingEnergy": {
            "remainingEnergyalue": energy * capacity / spec.rated_capacity_ah,
            "lastUpdate": at,
        },
        "remainingCapacity": {"remainingCapacityValue": capacity, "lastUpdate": at},
        "negativeEvents": [
            {
                "negativeEvent": f"{t.test} failed"
                + (f" ({t.defect_code})" if t.defect_code else ""),
                "lastUpdate": iso(t.ts_us),
            }
            for t in failed
        ],
        "temperatureInformation": {
            "timeExtremeHighTemp": 0.0,
            "timeExtremeLowTemp": 0.0,
            "timeExtremeHighTempCharging": 0.0,
            "timeExtremeLowTempCharging": 0.0,
            "lastUpdate": at,
        },
        "remainingPowerCapability": [
            {
                "remainingPowerCapabilityValue": {**entry, "rPCLastUpdated": at},
                "lastUpdate": at,
            }
            for entry in power
        ],
        "powerFade": 0.0,
        "roundTripEfficiencyFade": 0.0,
        "evolutionOfSelfDischarge": {"evolutionOfSelfDischargeEntityValue": 0.0},
        "currentSelfDischargingRate": {
            "currentSelfDischargingRateEntity": ocv_drop,
            "lastUpdate": at,
        },
        "internalResistanceIncrease": [
            {"internalResistanceIncreaseValue": 0.0, "lastUpdate": at, "batteryComponent": "cell"}
        ],
        "roundTripEfficiencyat50PerCentCycleLife": spec.roundtrip_efficiency_pct,
        "remainingRoundTripEnergyEfficiency": {
            "remainingRoundTripEnergyEfficiencyValue": spec.roundtrip_efficiency_pct,
            "lastUpdate": at,
        },
        "stateOfCharge": {
            "stateOfChargeValue": spec.shipping_state_of_charge_pct,
            "lastUpdate": at,
        },
    }
    return {"batteryTechicalProperties": technical, "batteryCondition": condition}


def _labels(p: Passport) -> dict[str, Any]:
    docs = p.spec.documents
    return {
        "declarationOfConformity": docs.declaration_of_conformity,
        "resultOfTestReport": docs.test_report,
        "labels": [
            {
                "labelingSubject": "SeparateCollection",
                "labelingSymbol": docs.label_symbol,
                "labelingMeaning": {"en": "Separate collection (Battery Regulation Art. 13)"},
            }
        ],
    }


def manufacturing_records(p: Passport) -> dict[str, Any]:
    """Return what andon measured on the unit: lots, measurements, tests, energy."""
    return {
        "started": iso(p.started_us),
        "manufactured": iso(p.manufactured_us),
        "site": p.site,
        "cellSupplier": p.spec.cell_supplier.name,
        "cellsPerUnit": p.spec.cells_per_unit,
        "lots": list(p.lots),
        "measurements": [
            {
                "parameter": m.parameter,
                "station": m.station,
                "time": iso(m.ts_us),
                "value": m.value,
                "unit": m.unit,
                "lsl": m.lsl,
                "usl": m.usl,
                "withinSpec": m.within_spec,
            }
            for m in p.measurements
        ],
        "tests": [
            {
                "test": t.test,
                "station": t.station,
                "time": iso(t.ts_us),
                "passed": t.passed,
                "value": t.value,
                "defectCode": t.defect_code,
            }
            for t in p.tests
        ],
        "energy": {
            "directKwh": p.carbon.direct_kwh,
            "baseKwh": p.carbon.base_kwh,
            "kwh": p.carbon.kwh,
            "kgCo2e": p.carbon.kg_co2e,
            "unpricedKwh": p.carbon.unpriced_kwh,
        },
    }


def aspect(p: Passport, name: str, level: AccessLevel) -> dict[str, Any]:
    """Return one aspect of the data model for a reader at ``level``."""
    builders: dict[str, Callable[[], dict[str, Any]]] = {
        "GeneralProductInformation": lambda: _general(p),
        "CarbonFootprint": lambda: _carbon(p),
        "MaterialComposition": lambda: _composition(p, level),
        "SupplyChainDueDiligence": lambda: {
            "supplyChainDueDiligenceReport": p.spec.documents.due_diligence_report
        },
        "Circularity": lambda: _circularity(p),
        "Performance": lambda: _performance(p),
        "Labels": lambda: _labels(p),
    }
    return builders[name]()


def to_battery_pass(passport: Passport, level: AccessLevel = AccessLevel.PUBLIC) -> dict[str, Any]:
    """Return the passport as Battery Pass v1.2.0 JSON for a reader at ``level``.

    ``aspects`` holds each aspect the level may read, keyed by the data model's aspect
    name; ``withheld`` names the others. At the authorities' level, ``manufacturing``
    adds what andon measured on the unit (its lots, measurements, tests and energy).
    """
    shown = [name for name, least in ASPECTS.items() if level.allows(least)]
    out: dict[str, Any] = {
        "dataModel": DATA_MODEL,
        "batteryPassportIdentifier": passport.identifier,
        "serial": passport.serial,
        "product": passport.product,
        "url": passport.url,
        "accessLevel": level.value,
        "aspects": {name: aspect(passport, name, level) for name in shown},
        "withheld": [name for name in ASPECTS if name not in shown],
    }
    if level.allows(AccessLevel.AUTHORITIES):
        out["manufacturing"] = manufacturing_records(passport)
    return out
