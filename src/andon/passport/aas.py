"""A passport as an Asset Administration Shell (IEC 63278-1, metamodel V3.0) in JSON.

The shell of one unit holds two submodels built from IDTA templates: the Digital Nameplate
(IDTA 02006-3-0: the product's URI (its passport's URL), manufacturer, designation,
address, serial number, date of manufacture) and the Carbon Footprint (IDTA 02023-1-0:
one product carbon footprint per life-cycle phase, the raw materials and cells as the
supplier declared them (A1) and the unit's measured share of its site's manufacturing
energy (A3), per piece, after ISO 14067). Both hold only what Annex XIII makes public.

The JSON follows the AAS Part 1 V3.0 serialisation: it reads into basyx-python-sdk and
into aas-core3.0, whose verification finds no constraint violated (the tests check both).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Final

from andon.passport.battery_pass import iso
from andon.passport.types import Passport

__all__ = ["CARBON_FOOTPRINT", "NAMEPLATE", "to_aas"]

NAMEPLATE: Final = "https://admin-shell.io/idta/nameplate/3/0/Nameplate"
"""Semantic id of the Digital Nameplate submodel (IDTA 02006-3-0)."""
CARBON_FOOTPRINT: Final = "https://admin-shell.io/idta/CarbonFootprint/CarbonFootprint/1/0"
"""Semantic id of the Carbon Footprint submodel (IDTA 02023-1-0)."""

_ADDRESS: Final = "https://admin-shell.io/zvei/nameplate/1/0/ContactInformations/AddressInformation"
_PCF: Final = "https://admin-shell.io/idta/CarbonFootprint/ProductCarbonFootprint/1/0"
_PCFS: Final = "https://admin-shell.io/idta/CarbonFootprint/ProductCarbonFootprints/1/0"
_METHODS: Final = "https://admin-shell.io/idta/CarbonFootprint/PcfCalculationMethods/1/0"
_PHASES: Final = "https://admin-shell.io/idta/CarbonFootprint/LifeCyclePhases/1/0"
_PUBLISHED: Final = "https://admin-shell.io/idta/CarbonFootprint/PublicationDate/1/0"
_FACILITY: Final = "https://admin-shell.io/idta/nameplate/3/0/UniqueFacilityIdentifier"
_METHOD_IRDI: Final = "0173-1#02-ABG854#003"
_PHASE_IRDI: Final = "0173-1#02-ABG858#003"


def _ref(value: str) -> dict[str, Any]:
    return {"type": "ExternalReference", "keys": [{"type": "GlobalReference", "value": value}]}


def _prop(
    value: str, *, semantic: str, id_short: str | None = None, value_type: str = "xs:string"
) -> dict[str, Any]:
    out: dict[str, Any] = {"modelType": "Property"}
    if id_short is not None:
        out["idShort"] = id_short
    out.update({"semanticId": _ref(semantic), "valueType": value_type, "value": value})
    return out


def _mlp(id_short: str, text: str, *, semantic: str) -> dict[str, Any]:
    return {
        "modelType": "MultiLanguageProperty",
        "idShort": id_short,
        "semanticId": _ref(semantic),
        "value": [{"language": "en", "text": text}],
    }


def _string_list(id_short: str, values: list[str], *, semantic: str, item: str) -> dict[str, Any]:
    return {
        "modelType": "SubmodelElementList",
        "idShort": id_short,
        "semanticId": _ref(semantic),
        "orderRelevant": False,
        "semanticIdListElement": _ref(item),
        "typeValueListElement": "Property",
        "valueTypeListElement": "xs:string",
        "value": [_prop(v, semantic=item) for v in values],
    }


def _number(value: float) -> str:
    return repr(float(value))


def _id_short(serial: str) -> str:
    """An idShort for the serial: letters, digits and ``_`` (AAS Part 1, AASd-002)."""
    safe = re.sub(r"[^A-Za-z0-9_]", "_", serial)
    return f"Unit_{safe}".rstrip("_") or "Unit"


def _nameplate(p: Passport, submodel_id: str) -> dict[str, Any]:
    spec = p.spec
    maker = spec.manufacturer
    address = [
        _mlp("Street", maker.address.street, semantic="0173-1#02-AAO128#002"),
        _mlp("Zipcode", maker.address.postal_code, semantic="0173-1#02-AAO129#002"),
    ]
    if maker.address.city:
        address.append(_mlp("CityTown", maker.address.city, semantic="0173-1#02-AAO132#002"))
    address.append(_mlp("NationalCode", maker.address.country, semantic="0173-1#02-AAO134#002"))
    made = dt.datetime.fromtimestamp(p.manufactured_us / 1e6, tz=dt.UTC)
    elements = [
        _prop(
            p.url,
            id_short="URIOfTheProduct",
            semantic="0173-1#02-ABH173#003",
            value_type="xs:anyURI",
        ),
        _mlp("ManufacturerName", maker.name, semantic="0173-1#02-AAO677#004"),
        _mlp("ManufacturerProductDesignation", p.description, semantic="0173-1#02-AAW338#003"),
        {
            "modelType": "SubmodelElementCollection",
            "idShort": "AddressInformation",
            "semanticId": _ref(_ADDRESS),
            "value": address,
        },
        _mlp("ManufacturerProductFamily", "battery", semantic="0173-1#02-AAU731#003"),
        _mlp("ManufacturerProductType", p.product, semantic="0173-1#02-AAO057#004"),
        _prop(p.product, id_short="OrderCodeOfManufacturer", semantic="0173-1#02-AAO227#004"),
        _prop(p.serial, id_short="SerialNumber", semantic="0173-1#02-AAM556#004"),
        _prop(str(made.year), id_short="YearOfConstruction", semantic="0173-1#02-AAP906#003"),
        _prop(
            made.date().isoformat(),
            id_short="DateOfManufacture",
            semantic="0173-1#02-AAR972#004",
            value_type="xs:date",
        ),
        _prop(p.site, id_short="UniqueFacilityIdentifier", semantic=_FACILITY),
    ]
    return {
        "modelType": "Submodel",
        "id": submodel_id,
        "idShort": "Nameplate",
        "kind": "Instance",
        "semanticId": _ref(NAMEPLATE),
        "submodelElements": elements,
    }


def _footprint(kg_co2e: float, phases: list[str], published: str) -> dict[str, Any]:
    return {
        "modelType": "SubmodelElementCollection",
        "semanticId": _ref(_PCF),
        "value": [
            _string_list(
                "PcfCalculationMethods", ["ISO 14067"], semantic=_METHODS, item=_METHOD_IRDI
            ),
            _prop(
                _number(kg_co2e),
                id_short="PcfCO2eq",
                semantic="0173-1#02-ABG855#003",
                value_type="xs:double",
            ),
            _prop(
                "piece",
                id_short="ReferenceImpactUnitForCalculation",
                semantic="0173-1#02-ABG856#003",
            ),
            _prop(
                "1",
                id_short="QuantityOfMeasureForCalculation",
                semantic="0173-1#02-ABG857#003",
                value_type="xs:double",
            ),
            _string_list("LifeCyclePhases", phases, semantic=_PHASES, item=_PHASE_IRDI),
            _prop(
                published,
                id_short="PublicationDate",
                semantic=_PUBLISHED,
                value_type="xs:dateTime",
            ),
        ],
    }


def _carbon(p: Passport, submodel_id: str) -> dict[str, Any]:
    published = iso(p.manufactured_us)
    return {
        "modelType": "Submodel",
        "id": submodel_id,
        "idShort": "CarbonFootprint",
        "kind": "Instance",
        "semanticId": _ref(CARBON_FOOTPRINT),
        "submodelElements": [
            {
                "modelType": "SubmodelElementList",
                "idShort": "ProductCarbonFootprints",
                "semanticId": _ref(_PCFS),
                "orderRelevant": False,
                "semanticIdListElement": _ref(_PCF),
                "typeValueListElement": "SubmodelElementCollection",
                "value": [
                    _footprint(p.upstream_kg_co2e, ["A1"], published),
                    _footprint(p.carbon.kg_co2e, ["A3"], published),
                ],
            }
        ],
    }


def to_aas(passport: Passport) -> dict[str, Any]:
    """Return the unit's Asset Administration Shell environment as AAS V3.0 JSON.

    The shell's global asset id is the passport's URL (the QR code's target); the
    submodels' ids are that URL with ``/aas/nameplate`` and ``/aas/carbon-footprint``.
    """
    base = passport.url
    nameplate_id = f"{base}/aas/nameplate"
    carbon_id = f"{base}/aas/carbon-footprint"
    shell = {
        "modelType": "AssetAdministrationShell",
        "id": f"{base}/aas",
        "idShort": _id_short(passport.serial),
        "assetInformation": {
            "assetKind": "Instance",
            "globalAssetId": base,
            "specificAssetIds": [{"name": "serialNumber", "value": passport.serial}],
        },
        "submodels": [
            {"type": "ModelReference", "keys": [{"type": "Submodel", "value": nameplate_id}]},
            {"type": "ModelReference", "keys": [{"type": "Submodel", "value": carbon_id}]},
        ],
    }
    return {
        "assetAdministrationShells": [shell],
        "submodels": [_nameplate(passport, nameplate_id), _carbon(passport, carbon_id)],
    }
