"""ISO 22400-2 KPIs on an explicit time model, the OEE loss tree, and comparison across sites.

The time elements of ISO 22400-2 (planned busy time, actual production time, setup, delay
and down times, planned run time per item, ...) are computed per equipment and period from
state, count, order, maintenance and energy records and the site's shift calendar; they are
additive, so any grain (equipment, line, area, site, enterprise) and any period (shift,
day, week, month, custom) sums them before applying a KPI's formula. docs/kpi.md defines
each element and KPI.

>>> from andon.kpi import KPI_DEFINITIONS
>>> next(k.formula for k in KPI_DEFINITIONS if k.name == "availability")
'APT / PBT'
"""

from andon.kpi._calendar import Period
from andon.kpi._elements import COUNT_ELEMENTS, ELEMENT_COLUMNS, TIME_ELEMENTS, KpiSettings
from andon.kpi._formulas import (
    KPI_DEFINITIONS,
    PRODUCTION_ONLY,
    UTILITY_ELEMENTS,
    Direction,
    Grain,
    KpiDefinition,
    aggregate,
    kpis,
    with_roles,
)
from andon.kpi._losses import LOSSES, compare_sites, loss_tree
from andon.kpi._report import (
    IN_STORE_BY_DEFAULT,
    KpiRun,
    compute,
    data_quality,
    elements_from_records,
    kpi_table,
    parse_period,
    state_record_issues,
)
from andon.kpi._schedule import StateRefresher
from andon.kpi._state import STATE_TABLE, late_range, refresh, rollup, stored_elements

__all__ = [
    "COUNT_ELEMENTS",
    "ELEMENT_COLUMNS",
    "IN_STORE_BY_DEFAULT",
    "KPI_DEFINITIONS",
    "LOSSES",
    "PRODUCTION_ONLY",
    "STATE_TABLE",
    "TIME_ELEMENTS",
    "UTILITY_ELEMENTS",
    "Direction",
    "Grain",
    "KpiDefinition",
    "KpiRun",
    "KpiSettings",
    "Period",
    "StateRefresher",
    "aggregate",
    "compare_sites",
    "compute",
    "data_quality",
    "elements_from_records",
    "kpi_table",
    "kpis",
    "late_range",
    "loss_tree",
    "parse_period",
    "refresh",
    "rollup",
    "state_record_issues",
    "stored_elements",
    "with_roles",
]
