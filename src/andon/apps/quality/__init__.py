"""Latent quality risk from process signatures.

The foundation of the quality app, in two packages of pure functions on columns:

- :mod:`andon.apps.quality.spc`: Shewhart charts (individuals and moving range, X̄-R,
  X̄-S), EWMA and tabular CUSUM, Western Electric and Nelson run rules, capability (Cp,
  Cpk, Pp, Ppk with confidence intervals, percentile-based with a normality flag), Phase I
  limits from a baseline and Phase II monitoring;
- :mod:`andon.apps.quality.multivariate`: Hotelling T², PCA T² and SPE with per-variable
  contributions, dynamic PCA and canonical variate analysis, with control limits calibrated
  on held-out normal data to a stated false-alarm rate.

Where the data cannot support a figure (too few subgroups, no specification limits, no
variation, missing values), these functions return :class:`~andon.apps.quality.spc.CannotJudge`
with a code and the reason, never a confident number from nothing.
"""

__all__: list[str] = []
