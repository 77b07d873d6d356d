"""Digital product passports of battery units (Regulation (EU) 2023/1542, Annex XIII).

A passport is built from the records (genealogy: the cell lots and their supplier;
quality: formation and end-of-line test results; energy: the unit's share of its site's
metered manufacturing energy at each hour's grid carbon) and the model (the product's
declared :class:`~andon.model.schema.BatterySpec`). It renders, at an access level, as
JSON of the Battery Pass consortium's data model v1.2.0 (:func:`to_battery_pass`) or as
an Asset Administration Shell with the Digital Nameplate (IDTA 02006-3-0) and Carbon
Footprint (IDTA 02023-1-0) submodels (:func:`to_aas`).

>>> AccessLevel.AUTHORITIES.allows(AccessLevel.PUBLIC)
True
"""

from __future__ import annotations

from andon.passport.aas import to_aas
from andon.passport.access import level_for
from andon.passport.battery_pass import ASPECTS, to_battery_pass
from andon.passport.build import passport, passport_id, passport_url, passports
from andon.passport.errors import PassportError, UnknownPassportError
from andon.passport.types import AccessLevel, CarbonShare, Measurement, Passport, TestResult

__all__ = [
    "ASPECTS",
    "AccessLevel",
    "CarbonShare",
    "Measurement",
    "Passport",
    "PassportError",
    "TestResult",
    "UnknownPassportError",
    "level_for",
    "passport",
    "passport_id",
    "passport_url",
    "passports",
    "to_aas",
    "to_battery_pass",
]
