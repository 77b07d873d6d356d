"""Hold, extra test or release for each unit, under the test station's capacity.

For a unit with latent-defect risk ``p``, escape cost ``E`` (a defect that reaches the
customer), sensitivity ``s`` of the extra test, and holding cost ``c_h``:

* release costs ``p E``;
* an extra test this shift, in the capacity set aside for extra tests, costs
  ``c_slot + p E (1 - s)``: it saves ``p E s - c_slot``. The set-aside capacity (the
  budget, a share of the shift's units) is staffed and paid for whether it is used or not,
  so a slot costs only what one more test consumes (``slot_cost``, the handling and the
  consumables), not the full cost of a test;
* a hold (quarantine until a later shift's test, beyond this shift's capacity) costs the
  full test ``c_t`` and ``c_h``: it saves ``p E s - c_t - c_h``.

Each test station (or pool of stations) tests at most its capacity this shift: the units
with the largest expected escape cost found (``p E s``) get the tests while a test pays for
its slot, the rest whose saving still pays a full test and the hold are held, the others
released. The rule is greedy, which is optimal here: every test uses one slot, so the
capacity is best spent on the largest savings. Without a ``slot_cost`` column a slot costs
the full test (the capacity is then a bound, not a budget already paid for).

Why the slot cost and not a recalibrated risk: the level of ``P(latent defect)`` of a
unit that passed its test rests on the test's sensitivity, which the values of passed and
failed units identify poorly when defects are rare (see
:class:`andon.apps.quality.risk.InspectionMixture`); the ranking is far surer than the
level. Spending the paid-for capacity on the ranking does not lean on the level.

>>> import polars as pl
>>> units = pl.DataFrame({"serial": ["a", "b", "c"], "station": ["t", "t", "t"],
...     "p": [0.5, 0.2, 0.001], "escape_cost": 100.0, "test_cost": 2.0, "hold_cost": 1.0})
>>> choose(units, capacity={"t": 1}, sensitivity=0.9).get_column("decision").to_list()
['extra_test', 'hold', 'release']
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from andon.apps.quality.actions import EXTRA_TEST, HOLD, RELEASE

__all__ = ["choose"]


def choose(
    units: pl.DataFrame,
    *,
    capacity: Mapping[str, int],
    sensitivity: float,
    by: str = "station",
) -> pl.DataFrame:
    """Return ``units`` with ``saving`` (of its decision's test, against release),
    ``rank`` (by expected escape cost found, in its capacity group) and ``decision``
    (``extra_test``, ``hold`` or ``release``).

    ``units`` has ``serial``, the column ``by`` (what shares a capacity: a test station, or
    the test stations of a site pooled), ``p``, ``escape_cost``, ``test_cost`` and
    ``hold_cost``, and optionally ``slot_cost`` (a test in the set-aside capacity; the full
    ``test_cost`` when absent); ``capacity`` gives each group's tests this shift (0 when
    absent).
    """
    cap = pl.DataFrame(
        {by: list(capacity), "capacity": [int(v) for v in capacity.values()]},
        schema={by: pl.Utf8, "capacity": pl.Int64},
    )
    slot = pl.col("slot_cost") if "slot_cost" in units.columns else pl.col("test_cost")
    found = pl.col("p") * pl.col("escape_cost") * sensitivity
    scored = (
        units.with_columns(found.alias("__found"), (found - slot).alias("__in_slot"))
        .sort([by, "__found", "serial"], descending=[False, True, False])
        .with_columns(pl.col("__found").cum_count().over(by).cast(pl.Int64).alias("rank"))
        .join(cap, on=by, how="left")
    )
    tested = (pl.col("__in_slot") > 0) & (pl.col("rank") <= pl.col("capacity").fill_null(0))
    return (
        scored.with_columns(
            pl.when(tested)
            .then(pl.lit(EXTRA_TEST))
            .when(pl.col("__found") - pl.col("test_cost") - pl.col("hold_cost") > 0)
            .then(pl.lit(HOLD))
            .otherwise(pl.lit(RELEASE))
            .alias("decision")
        )
        .with_columns(
            pl.when(pl.col("decision") == EXTRA_TEST)
            .then(pl.col("__in_slot"))
            .otherwise(pl.col("__found") - pl.col("test_cost"))
            .alias("saving")
        )
        .drop("capacity", "__found", "__in_slot")
    )
