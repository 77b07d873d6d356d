"""Multivariate monitoring of process signatures: Hotelling T², PCA T² and SPE with
per-variable contributions, dynamic PCA, canonical variate analysis, and control limits
calibrated on held-out normal data to a stated false-alarm rate.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> normal = rng.normal(size=(600, 5))
>>> monitor = PcaMonitor(variance=0.8)
>>> monitor.fit(normal[:300])
>>> limits = calibrate(monitor.score(normal[300:]), false_alarm_rate=0.01)
>>> shifted = normal[300:] + np.array([0.0, 0.0, 6.0, 0.0, 0.0])
>>> bool(limits.alarms(monitor.score(shifted))["combined"].mean() > 0.5)
True
"""

from andon.apps.quality.multivariate._base import Monitor, Scaler, lagged
from andon.apps.quality.multivariate.cva import CvaMonitor
from andon.apps.quality.multivariate.limits import (
    COMBINED,
    ControlLimits,
    calibrate,
    combined_ratio,
)
from andon.apps.quality.multivariate.pca import DynamicPcaMonitor, HotellingMonitor, PcaMonitor

__all__ = [
    "COMBINED",
    "ControlLimits",
    "CvaMonitor",
    "DynamicPcaMonitor",
    "HotellingMonitor",
    "Monitor",
    "PcaMonitor",
    "Scaler",
    "calibrate",
    "combined_ratio",
    "lagged",
]
