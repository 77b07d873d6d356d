"""Ages of lives that began before the records: calendar hours count at the running share.

A machine installed long before its records began ran on its shifts, not round the clock:
the hours between its installation and the first step count at the share of the recorded
steps it ran. Without state records every hour counts (the upper bound, as before).
"""

from __future__ import annotations

import polars as pl
import pytest

from andon.apps.maintenance.history import HOUR_US, life_rows

START = 1_000 * HOUR_US


def _grid(running: list[float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "equipment": ["m1"] * len(running),
            "t": [START + i * HOUR_US for i in range(len(running))],
            "__running": running,
        }
    )


NO_ORDERS = pl.DataFrame(
    schema={
        "path": pl.Utf8,
        "ts": pl.Int64,
        "work_order": pl.Utf8,
        "kind": pl.Utf8,
        "event": pl.Utf8,
        "failure_mode": pl.Utf8,
    }
)


@pytest.mark.parametrize(
    ("running", "share"),
    [([1.0, 0.0, 1.0, 0.0], 0.5), ([1.0, 1.0, 1.0, 1.0], 1.0), ([0.0, 1.0, 0.0, 0.0], 0.25)],
)
def test_hours_before_the_records_count_at_the_running_share(
    running: list[float], share: float
) -> None:
    installed = START - 400 * HOUR_US  # 400 calendar hours before the first step
    rows = life_rows(
        _grid(running),
        NO_ORDERS,
        "spindle_bearing",
        until=START + 10 * HOUR_US,
        origins={"m1": installed},
    )
    ages = rows.sort("t")["age_h"].to_list()
    carried = 400 * share
    assert ages == pytest.approx([carried + sum(running[: i + 1]) for i in range(len(running))])


def test_a_life_that_begins_on_record_carries_nothing() -> None:
    rows = life_rows(_grid([1.0, 0.0, 1.0]), NO_ORDERS, "spindle_bearing", until=START)
    assert rows.sort("t")["age_h"].to_list() == [1.0, 1.0, 2.0]
