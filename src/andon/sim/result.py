"""What a simulation run returns: costs and outcomes computed from the ground truth."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pyarrow as pa

__all__ = ["EnergyOutcome", "MaintenanceCosts", "QualityOutcome", "SimResult"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintenanceCosts:
    """Maintenance money and downtime over the run, in the model's currency.

    ``unplanned_downtime_cost`` prices the hours from failure to end of repair that fell in
    planned production time at each equipment's ``downtime_cost_per_hour``;
    ``planned_downtime_cost`` does the same for preventive work done in production time.
    Work still open when the run ends is charged its downtime up to the end (and a failure
    counted), not its labour and parts.
    """

    failures: int = 0
    preventive_count: int = 0
    unplanned_downtime_h: float = 0.0
    unplanned_downtime_cost: float = 0.0
    planned_downtime_h: float = 0.0
    planned_downtime_cost: float = 0.0
    repair_cost: float = 0.0
    preventive_cost: float = 0.0
    parts_cost: float = 0.0
    expedite_cost: float = 0.0
    expedite_count: int = 0
    holding_cost: float = 0.0

    @property
    def total(self) -> float:
        """Every maintenance-related cost added up."""
        return (
            self.unplanned_downtime_cost
            + self.planned_downtime_cost
            + self.repair_cost
            + self.preventive_cost
            + self.parts_cost
            + self.expedite_cost
            + self.holding_cost
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class QualityOutcome:
    """Units made and what happened to their defects."""

    units: int = 0
    scrapped: int = 0
    defective: int = 0
    detected: int = 0
    latent_shipped: int = 0
    held: int = 0
    held_defective: int = 0
    hold_cost: float = 0.0
    field_failure_cost: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyOutcome:
    """Energy measured on the site meters, its cost and emissions."""

    kwh: float = 0.0
    cost: float = 0.0
    kg_co2e: float = 0.0
    air_leak_kwh: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SimResult:
    """The outcome of :func:`andon.sim.simulate`.

    ``failures`` is the ground-truth failure table (also written as ``truth_failures``);
    ``records`` counts the records emitted per kind.
    """

    seed: int
    days: float
    start_us: int
    end_us: int
    policy: str
    maintenance: MaintenanceCosts
    quality: QualityOutcome
    energy: EnergyOutcome
    records: Mapping[str, int]
    good_units: int
    orders_completed: int
    orders_late: int
    """Orders completed after their due time."""
    failures: pa.Table = field(repr=False)
    cost_by_kind: Mapping[str, float] = field(default_factory=dict)
    """Maintenance money by degradation kind (``wear``, ``pf``, ``random``) of the modes the
    work was on: downtime, labour, service and parts (expedite fees and holding left out)."""

    @property
    def total_records(self) -> int:
        """Records emitted, every kind together."""
        return sum(self.records.values())
