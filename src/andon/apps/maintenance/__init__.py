"""Maintenance-aware production and spare-parts decisions.

Condition data -> probability of failure within the horizon and remaining useful life
(:class:`RiskModel`, calibrated, versioned) -> criticality from the routing, the shift plan
and the cost of downtime -> parts on hand, lead times, crews and windows -> the intervention
plan and parts orders with the least expected cost (OR-Tools CP-SAT), as proposals.

>>> from andon.apps import get_app  # doctest: +SKIP
>>> app = get_app("maintenance")  # doctest: +SKIP
"""

from andon.apps.maintenance.app import (
    ARTIFACT_TABLE,
    MaintenanceApp,
    MaintenanceSettings,
    proposal_kind,
)
from andon.apps.maintenance.features import FeatureSpec, build_features
from andon.apps.maintenance.risk import RiskModel, RiskPrediction, reliability_curve

__all__ = [
    "ARTIFACT_TABLE",
    "FeatureSpec",
    "MaintenanceApp",
    "MaintenanceSettings",
    "RiskModel",
    "RiskPrediction",
    "build_features",
    "proposal_kind",
    "reliability_curve",
]
