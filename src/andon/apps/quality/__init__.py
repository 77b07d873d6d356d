"""Latent quality risk from process signatures.

The foundation of the quality app, in two packages of pure functions on columns:

- :mod:`andon.apps.quality.spc`: Shewhart charts (individuals and moving range, X̄-R,
  X̄-S), EWMA and tabular CUSUM, Western Electric and Nelson run rules, capability (Cp,
  Cpk, Pp, Ppk with confidence intervals, percentile-based with a normality flag), Phase I
  limits from a baseline and Phase II monitoring;
- :mod:`andon.apps.quality.multivariate`: Hotelling T², PCA T² and SPE with per-variable
  contributions, dynamic PCA and canonical variate analysis, with control limits calibrated
  on held-out normal data to a stated false-alarm rate.

- :mod:`andon.apps.quality.app`: the decision app :class:`QualityApp`: latent-defect risk
  per unit from its signature at every station, joined by genealogy with the condition of
  each machine and the context, calibrated; then hold, extra test or release under the test
  station's capacity.

Where the data cannot support a figure (too few subgroups, no specification limits, no
variation, missing values), these functions return :class:`~andon.apps.quality.spc.CannotJudge`
with a code and the reason, never a confident number from nothing.
"""

from andon.apps.quality.actions import EXTRA_TEST, HOLD, QUALITY_KINDS, REAL_TIME_RELEASE, RELEASE
from andon.apps.quality.app import QualityApp, QualitySettings

__all__ = [
    "EXTRA_TEST",
    "HOLD",
    "QUALITY_KINDS",
    "REAL_TIME_RELEASE",
    "RELEASE",
    "QualityApp",
    "QualitySettings",
]
