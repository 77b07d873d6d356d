"""Hold, extra test or release for each unit, under the test station's capacity.

For a unit with latent-defect risk ``p``, escape cost ``E`` (a defect that reaches the
customer), extra-test cost ``c_t`` and sensitivity ``s``, and holding cost ``c_h``:

* release costs ``p E``;
* an extra test this shift costs ``c_t + p E (1 - s)``: it saves ``p E s - c_t``;
* a hold (quarantine until a later shift's test) costs ``c_h`` more than a test.

Each test station tests at most its capacity this shift: the units with the largest saving
get the tests, the rest whose saving still pays the hold are held, the others released.
The rule is greedy by saving, which is optimal here: every test uses one slot, so the
capacity is best spent on the largest savings.

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
    """Return ``units`` with ``saving`` (of a test, against release), ``rank`` (by saving
    in its capacity group) and ``decision`` (``extra_test``, ``hold`` or ``release``).

    ``units`` has ``serial``, the column ``by`` (what shares a capacity: a test station, or
    the test stations of a site pooled), ``p``, ``escape_cost``, ``test_cost`` and
    ``hold_cost``; ``capacity`` gives each group's tests this shift (0 when absent).
    """
    cap = pl.DataFrame(
        {by: list(capacity), "capacity": [int(v) for v in capacity.values()]},
        schema={by: pl.Utf8, "capacity": pl.Int64},
    )
    scored = units.with_columns(
        (pl.col("p") * pl.col("escape_cost") * sensitivity - pl.col("test_cost")).alias("saving")
    ).sort([by, "saving", "serial"], descending=[False, True, False])
    ranked = scored.with_columns(
        pl.col("saving").cum_count().over(by).cast(pl.Int64).alias("rank")
    ).join(cap, on=by, how="left")
    return ranked.with_columns(
        pl.when((pl.col("saving") > 0) & (pl.col("rank") <= pl.col("capacity").fill_null(0)))
        .then(pl.lit(EXTRA_TEST))
        .when(pl.col("saving") - pl.col("hold_cost") > 0)
        .then(pl.lit(HOLD))
        .otherwise(pl.lit(RELEASE))
        .alias("decision")
    ).drop("capacity")
