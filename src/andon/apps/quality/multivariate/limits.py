# ruff: noqa: RUF002 - the false-alarm rate's own symbol (alpha)
"""Control limits calibrated on held-out normal data to a stated false-alarm rate.

The limit of each statistic is its empirical (1 - α) quantile on normal data the monitor
was not fitted on, not an F or χ² quantile: those assume independent Gaussian samples and a
process that does not drift, and plant data are neither. A combined alarm takes, per sample,
the largest ratio of a statistic to its limit, and is calibrated the same way, so that the
union of the statistics keeps the stated rate too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from andon.errors import UsageError

__all__ = ["COMBINED", "ControlLimits", "calibrate", "combined_ratio"]

COMBINED = "combined"
"""The name of the combined statistic."""


def _quantile(values: NDArray[np.float64], level: float) -> float:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        msg = "no finite statistic in the calibration data"
        raise UsageError(msg)
    return float(np.quantile(finite, level, method="higher"))


def combined_ratio(
    scores: Mapping[str, NDArray[np.float64]], limits: Mapping[str, float]
) -> NDArray[np.float64]:
    """Per sample, the largest ratio of a statistic to its limit."""
    ratios = np.stack([scores[name] / limits[name] for name in limits])
    with np.errstate(invalid="ignore"):
        result: NDArray[np.float64] = np.where(
            np.isnan(ratios).all(axis=0),
            np.nan,
            np.nanmax(np.nan_to_num(ratios, nan=-np.inf), axis=0),
        )
    return result


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlLimits:
    """A limit per statistic and one for the combined ratio, at one false-alarm rate."""

    false_alarm_rate: float
    limits: Mapping[str, float] = field(default_factory=dict)
    combined: float = 1.0
    calibration_samples: int = 0

    def alarms(self, scores: Mapping[str, NDArray[np.float64]]) -> dict[str, NDArray[np.bool_]]:
        """Which samples each statistic, and the combined ratio, flags (never a NaN one)."""
        out: dict[str, NDArray[np.bool_]] = {}
        with np.errstate(invalid="ignore"):
            for name, limit in self.limits.items():
                out[name] = np.asarray(scores[name] > limit, dtype=bool)
            out[COMBINED] = np.asarray(
                combined_ratio(scores, self.limits) > self.combined, dtype=bool
            )
        return out


def calibrate(
    scores: Mapping[str, NDArray[np.float64]], *, false_alarm_rate: float
) -> ControlLimits:
    """Limits that ``false_alarm_rate`` of these normal samples' statistics exceed."""
    if not 0.0 < false_alarm_rate < 1.0:
        msg = f"a false-alarm rate is in (0, 1), not {false_alarm_rate}"
        raise UsageError(msg)
    level = 1.0 - false_alarm_rate
    limits = {name: _quantile(values, level) for name, values in scores.items()}
    if any(limit <= 0 for limit in limits.values()):
        msg = f"a limit at or below zero from the calibration data: {limits}"
        raise UsageError(msg)
    combined = _quantile(combined_ratio(scores, limits), level)
    count = int(min(np.isfinite(values).sum() for values in scores.values()))
    return ControlLimits(
        false_alarm_rate=false_alarm_rate,
        limits=limits,
        combined=combined,
        calibration_samples=count,
    )
