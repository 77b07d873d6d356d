"""The plant simulator: a SimPy enterprise that produces, wears, fails, makes latent defects,
uses energy, and keeps the ground truth apart from the records it emits.

>>> from andon.model import load_model
>>> from andon.sim import FixedInterval, MemorySink, simulate
>>> model = load_model("examples/discrete")  # doctest: +SKIP
>>> result = simulate(model, days=2, seed=1, policy=FixedInterval())  # doctest: +SKIP
>>> result.maintenance.total >= 0  # doctest: +SKIP
True
"""

from andon.sim.baselines import (
    ConditionThreshold,
    FixedInterval,
    HoldTrueDefects,
    MixSchedule,
    Oracle,
    ReleaseAll,
    RunToFailure,
    TrueHealth,
    next_window_start,
)
from andon.sim.pacer import Pacer
from andon.sim.policy import (
    MaintenancePlan,
    MaintenancePolicy,
    PartOrder,
    PartStock,
    PlantView,
    PreventiveOrder,
    ProductionOrder,
    ProductionSchedule,
    ReleasePolicy,
    ScheduleView,
    TruthView,
    UnitView,
)
from andon.sim.result import EnergyOutcome, MaintenanceCosts, QualityOutcome, SimResult
from andon.sim.run import TRUTH_TABLES, simulate
from andon.sim.scenario import Scenario, SitePractice, find_scenario, load_scenario
from andon.sim.sinks import BusSink, InProcessBus, MemorySink, PipelineSink, Sink, StoreSink

__all__ = [
    "TRUTH_TABLES",
    "BusSink",
    "ConditionThreshold",
    "EnergyOutcome",
    "FixedInterval",
    "HoldTrueDefects",
    "InProcessBus",
    "MaintenanceCosts",
    "MaintenancePlan",
    "MaintenancePolicy",
    "MemorySink",
    "MixSchedule",
    "Oracle",
    "Pacer",
    "PartOrder",
    "PartStock",
    "PipelineSink",
    "PlantView",
    "PreventiveOrder",
    "ProductionOrder",
    "ProductionSchedule",
    "QualityOutcome",
    "ReleaseAll",
    "ReleasePolicy",
    "RunToFailure",
    "Scenario",
    "ScheduleView",
    "SimResult",
    "Sink",
    "SitePractice",
    "StoreSink",
    "TrueHealth",
    "TruthView",
    "UnitView",
    "find_scenario",
    "load_scenario",
    "next_window_start",
    "simulate",
]
