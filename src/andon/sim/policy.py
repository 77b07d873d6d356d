"""The pluggable decisions the simulated plant follows: maintenance, unit release, schedule.

A decision app drives the plant through these protocols and the ground truth scores it.
Every protocol sees only what a real plant would show (sensor samples, maintenance and
inventory records, unit signatures); the true health is handed over only to a policy that
declares ``uses_truth = True`` (the perfect-foresight oracle, a bound for evaluations).

Times are UTC microseconds; element paths are model paths.

>>> plan = MaintenancePlan(
...     preventive=(PreventiveOrder(equipment="acme/lyon/machining/m1/milling/mill1"),),
...     part_orders=(PartOrder(part="BRG-7014", site="acme/lyon", quantity=2),),
... )
>>> plan.preventive[0].failure_modes
()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import pyarrow as pa

from andon.model import Model

__all__ = [
    "BottleneckProtection",
    "EnergyOrder",
    "FlowOrder",
    "HoldRelease",
    "JobShift",
    "LeakRepair",
    "MaintenancePlan",
    "MaintenancePolicy",
    "PartOrder",
    "PartStock",
    "PlantView",
    "PreventiveOrder",
    "ProductionOrder",
    "ProductionSchedule",
    "ReleasePolicy",
    "ScheduleView",
    "SwitchOffRule",
    "TruthView",
    "UnitView",
    "UtilityStaging",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PartStock:
    """Spare parts of one part number at one site."""

    on_hand: int
    on_order: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TruthView:
    """The hidden state, for the oracle only: health per equipment and failure mode.

    ``health[equipment_path][failure_mode]`` runs from 0 (as new) to 1 (fails).
    """

    health: Mapping[str, Mapping[str, float]]
    failure_at_wear: Mapping[str, Mapping[str, float]]
    """Remaining load-weighted operating hours before each mode fails (the true RUL)."""
    wear_rate: Mapping[str, float]
    """Load-weighted operating hours accrued per running hour now, per equipment."""
    wear_shape: float = 6.0
    """Shape of the gamma wear process (the law of the degradation, see :mod:`andon.sim.wear`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PlantView:
    """What the plant shows at a decision epoch: observable data only.

    ``samples`` and ``maintenance`` hold the records (Arrow, canonical schemas) emitted since
    the previous epoch; a policy that needs a longer history keeps it itself.
    ``operating_hours`` counts running hours since the equipment's last repair or
    preventive intervention, as a CMMS reading its state records would.
    """

    now_us: int
    epoch_h: float
    model: Model
    samples: pa.Table
    maintenance: pa.Table
    inventory: Mapping[tuple[str, str], PartStock]
    """``(site path, part id)`` -> stock."""
    operating_hours: Mapping[str, float]
    down: frozenset[str]
    """Equipment paths that are down now (failed, waiting or under repair)."""
    pending: frozenset[str]
    """Equipment paths with a preventive order not yet done."""
    windows: Mapping[str, tuple[tuple[int, int], ...]]
    """Site path -> upcoming maintenance windows ``(start_us, end_us)`` in the next 14 days."""
    truth: TruthView | None = None
    """The hidden state; set only for a policy with ``uses_truth = True``."""
    states: pa.Table | None = None
    """The state records emitted since the previous epoch (canonical ``state`` schema)."""
    held: frozenset[str] = frozenset()
    """Production orders under a quality hold now."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PreventiveOrder:
    """Service one equipment preventively, restoring the health of the named modes.

    ``failure_modes`` empty means every mode of the class. ``start_us`` ``None`` means as soon
    as a crew is free (stopping production if need be); a time (e.g. a window's start from
    :attr:`PlantView.windows`) defers the work until then. Parts of the modes are taken from
    stock; missing parts are ordered and awaited. A new order for an equipment replaces its
    pending one.
    """

    equipment: str
    failure_modes: tuple[str, ...] = ()
    start_us: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PartOrder:
    """Order spare parts for a site, at normal lead time or expedited at the part's cost."""

    part: str
    site: str
    quantity: int
    expedite: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SwitchOffRule:
    """From ``start_us``, switch the machine off once it has idled ``idle_minutes`` (starved
    or in a break); it warms up again before its next unit."""

    equipment: str
    idle_minutes: float
    start_us: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LeakRepair:
    """Repair the site's compressed-air leaks at ``start_us`` (now when ``None``)."""

    site: str
    start_us: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UtilityStaging:
    """From ``start_us``, switch the site's compressors off while no machine produces."""

    site: str
    start_us: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JobShift:
    """Hold a released production order, not yet started, until ``start_us``."""

    order_id: str
    start_us: int


EnergyOrder = SwitchOffRule | LeakRepair | UtilityStaging | JobShift
"""What an energy decision changes in the simulated plant."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldRelease:
    """End the quality hold of a production order now (the lab expedited, the release rule
    applied): its quarantined units move on."""

    order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BottleneckProtection:
    """From ``start_us`` (now when ``None``) to ``end_us``, keep a cell running: a failure
    of its machines calls a crew out at once (at the overtime rate off its shift) and its
    missing parts are expedited; a machine of the cell down now has its parts expedited."""

    cell: str
    end_us: int
    start_us: int | None = None


FlowOrder = HoldRelease | BottleneckProtection
"""What a flow decision changes in the simulated plant."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintenancePlan:
    """What a maintenance policy decides at one epoch (and the energy and flow orders
    beside it)."""

    preventive: tuple[PreventiveOrder, ...] = ()
    part_orders: tuple[PartOrder, ...] = ()
    energy: tuple[EnergyOrder, ...] = ()
    flow: tuple[FlowOrder, ...] = ()


@runtime_checkable
class MaintenancePolicy(Protocol):
    """Decides, every ``epoch_h`` simulated hours, which equipment to service and what to order.

    Implementations keep their own state between calls. A policy that sets
    ``uses_truth = True`` receives :attr:`PlantView.truth` and is an oracle, not a
    deployable policy.
    """

    name: str

    def decide(self, view: PlantView) -> MaintenancePlan:
        """Return the plan for this epoch (an empty plan does nothing)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitView:
    """Units finished since the previous epoch, with their records, for a release decision.

    ``units`` and ``inspections`` are canonical ``unit`` and ``inspection`` tables;
    ``serials`` lists the finished, not scrapped units awaiting release.
    """

    now_us: int
    model: Model
    serials: tuple[str, ...]
    units: pa.Table
    inspections: pa.Table
    truth_defective: frozenset[str] | None = None
    """The truly defective serials; set only for a policy with ``uses_truth = True``."""


@runtime_checkable
class ReleasePolicy(Protocol):
    """Decides which finished units to hold (extra test, quarantine) instead of shipping."""

    name: str

    def hold(self, view: UnitView) -> frozenset[str]:
        """Return the serials to hold; the rest ship."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductionOrder:
    """A production order for one line.

    Orders of a line run in the sequence released; ``start_us`` holds an order (and those
    after it) until then, so a schedule can move flexible work to cheap hours.
    """

    order_id: str
    product: str
    quantity: int
    due_us: int
    start_us: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleView:
    """What a schedule sees when it plans one line's day."""

    now_us: int
    day: int
    line: str
    products: tuple[str, ...]
    """Products with a routing on this line."""
    mix: Mapping[str, float]
    """Relative demand share of each of those products."""
    capacity_units: int
    """Units the line can make in today's planned production time at its bottleneck."""
    backlog_units: int
    """Units released earlier and not yet finished."""


@runtime_checkable
class ProductionSchedule(Protocol):
    """Plans the orders a line releases at the start of each day (local midnight, UTC here)."""

    name: str

    def orders(self, view: ScheduleView) -> Sequence[ProductionOrder]:
        """Return the orders to release now, in the sequence to run them."""
        ...
