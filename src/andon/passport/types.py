"""What a passport holds: the declared battery, the unit's lots, tests and carbon share.

A :class:`Passport` is a value: built once from the records and the model
(:mod:`andon.passport.build`), then rendered at an access level as Battery Pass JSON
(:mod:`andon.passport.battery_pass`) or as an Asset Administration Shell
(:mod:`andon.passport.aas`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from andon.model.schema import BatterySpec, PostalAddress

__all__ = ["AccessLevel", "CarbonShare", "Measurement", "Passport", "TestResult"]


class AccessLevel(StrEnum):
    """Who may read which part of a battery passport (Regulation (EU) 2023/1542, Annex XIII).

    Each level includes the levels before it.
    """

    PUBLIC = "public"
    """Annex XIII 1: open to the public (general information, chemistry, hazardous
    substances and critical raw materials, carbon footprint, due diligence)."""
    LEGITIMATE_INTEREST = "legitimate_interest"
    """Annex XIII 2 and 4: persons with a legitimate interest (repairers, remanufacturers,
    recyclers): detailed composition, cell sources, dismantling, safety, performance and
    condition."""
    AUTHORITIES = "authorities"
    """Annex XIII 3: notified bodies, market surveillance authorities and the Commission:
    test results proving compliance."""

    @property
    def rank(self) -> int:
        """Return the level's position: public 0, legitimate interest 1, authorities 2."""
        return list(AccessLevel).index(self)

    def allows(self, level: AccessLevel) -> bool:
        """Whether a reader at this level may read what ``level`` guards."""
        return self.rank >= level.rank


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """A process parameter measured on the unit at a station, with its specification."""

    parameter: str
    station: str
    ts_us: int
    value: float
    unit: str
    lsl: float | None
    usl: float | None

    @property
    def within_spec(self) -> bool:
        """Whether the value lies inside the specification limits (no limit: inside)."""
        return (self.lsl is None or self.value >= self.lsl) and (
            self.usl is None or self.value <= self.usl
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TestResult:
    """An inspection of the unit (its end-of-line test)."""

    test: str
    station: str
    ts_us: int
    passed: bool
    value: float | None
    defect_code: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CarbonShare:
    """The unit's share of its site's metered manufacturing energy and its carbon.

    ``direct``: the energy of the hours the unit was at a station, shared among the units
    there by station time; ``base``: the energy of the same day's hours when no unit was at
    a station (nights, breaks), shared by the direct energy. Carbon is each hour's energy
    at the hour's grid intensity; ``unpriced_kwh`` had no tariff record (no carbon known).
    """

    direct_kwh: float
    base_kwh: float
    kg_co2e: float
    unpriced_kwh: float

    @property
    def kwh(self) -> float:
        """Total manufacturing energy of the unit, kWh."""
        return self.direct_kwh + self.base_kwh


@dataclass(frozen=True, slots=True, kw_only=True)
class Passport:
    """The digital product passport of one battery unit (a serial)."""

    serial: str
    product: str
    description: str
    site: str
    """Path of the site that made it."""
    site_name: str
    site_address: PostalAddress | None
    identifier: str
    """The passport's identifier, ``urn:<enterprise>:<unit>``."""
    url: str
    """The stable URL of the passport: its QR code's target."""
    started_us: int
    """Time of the unit's first station record."""
    manufactured_us: int
    """Time of its last end-of-line test: when manufacturing ended."""
    lots: tuple[str, ...]
    """The cell lots it consumed (its genealogy)."""
    measurements: tuple[Measurement, ...]
    tests: tuple[TestResult, ...]
    carbon: CarbonShare
    spec: BatterySpec

    @property
    def passed(self) -> bool:
        """Whether the unit's last test of each kind passed."""
        last: dict[str, TestResult] = {}
        for result in sorted(self.tests, key=lambda t: t.ts_us):
            last[result.test] = result
        return bool(last) and all(t.passed for t in last.values())

    @property
    def status(self) -> str:
        """Battery status as the Battery Pass names it: ``Original`` or, failed, ``Waste``."""
        return "Original" if self.passed else "Waste"

    def measured(self, parameter: str) -> Measurement | None:
        """Return the last measurement of a parameter, if any."""
        found = [m for m in self.measurements if m.parameter == parameter]
        return max(found, key=lambda m: m.ts_us) if found else None

    @property
    def upstream_kg_co2e(self) -> float:
        """Declared raw-material and cell footprint of the unit, kg CO2e."""
        return self.spec.upstream_kg_co2e

    @property
    def total_kg_co2e(self) -> float:
        """Declared upstream plus measured manufacturing footprint, kg CO2e."""
        return self.spec.upstream_kg_co2e + self.carbon.kg_co2e
