"""Energy and utilities tied to production states.

Accounting from meters and states (:func:`account`), ISO 50006 baselines checked against
ASHRAE Guideline 14, and waste decisions (switch idle machines off, fix a leak, stop a
utility that runs against no demand) with their value in money and CO2e a year.
"""

from andon.apps.energy.accounting import EnergyAccount, account
from andon.apps.energy.app import ARTIFACT_TABLE, EnergyApp, EnergySettings
from andon.apps.energy.baseline import Baseline, Performance, fit_baselines, performance
from andon.apps.energy.quality import DataQualityFlag

__all__ = [
    "ARTIFACT_TABLE",
    "Baseline",
    "DataQualityFlag",
    "EnergyAccount",
    "EnergyApp",
    "EnergySettings",
    "Performance",
    "account",
    "fit_baselines",
    "performance",
]
