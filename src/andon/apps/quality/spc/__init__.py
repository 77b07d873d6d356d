"""Statistical process control on columns: Shewhart, EWMA and CUSUM charts, run rules,
capability, Phase I limits and Phase II monitoring.

Every function takes numpy columns (one value per unit in time order, or one row per
subgroup) and returns a result or :class:`CannotJudge` with the reason.

>>> from andon.apps.quality.spc import ChartKind, phase_one
>>> phase_one([1.0, 2.0, 1.5], kind=ChartKind.INDIVIDUALS).code
'spc.too_few_subgroups'
"""

from andon.apps.quality.spc._factors import A2, A3, B3, B4, D3, D4, c4, d2, d3
from andon.apps.quality.spc._judgement import CannotJudge
from andon.apps.quality.spc.capability import (
    PERCENTILE_MIN_VALUES,
    Capability,
    Interval,
    Normality,
    PercentileCapability,
    anderson_darling,
    bissell_interval,
    capability,
    chi_square_interval,
)
from andon.apps.quality.spc.cusum import CusumChart, cusum_chart
from andon.apps.quality.spc.ewma import EwmaChart, ewma_chart
from andon.apps.quality.spc.phase import MIN_SUBGROUPS, Baseline, Monitoring, phase_one, phase_two
from andon.apps.quality.spc.rules import NELSON, WESTERN_ELECTRIC, Rule, RuleFlags, run_rules
from andon.apps.quality.spc.shewhart import (
    Chart,
    ChartKind,
    ChartPair,
    Estimate,
    chart_pair,
    estimate,
    subgroup_statistics,
)

__all__ = [
    "A2",
    "A3",
    "B3",
    "B4",
    "D3",
    "D4",
    "MIN_SUBGROUPS",
    "NELSON",
    "PERCENTILE_MIN_VALUES",
    "WESTERN_ELECTRIC",
    "Baseline",
    "CannotJudge",
    "Capability",
    "Chart",
    "ChartKind",
    "ChartPair",
    "CusumChart",
    "Estimate",
    "EwmaChart",
    "Interval",
    "Monitoring",
    "Normality",
    "PercentileCapability",
    "Rule",
    "RuleFlags",
    "anderson_darling",
    "bissell_interval",
    "c4",
    "capability",
    "chart_pair",
    "chi_square_interval",
    "cusum_chart",
    "d2",
    "d3",
    "estimate",
    "ewma_chart",
    "phase_one",
    "phase_two",
    "run_rules",
    "subgroup_statistics",
]
