"""A small hand-built plant unlike examples/discrete, for the KPI tests.

Two sites: ``chi`` (America/Chicago, two shifts Monday to Friday, so no shift at the
weekend) with a serial packaging line (filler 30 s, capper 60 s: the constraint, and an
inspection station) and a compressor (a utility without cycle time); ``blr``
(Asia/Kolkata, a half-hour zone, one shift every day) with a one-machine line.
"""

from __future__ import annotations

import datetime as dt

from andon import records
from andon.model import Model
from andon.model.schema import PlantModel
from andon.records import RecordKind
from andon.store import Store

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
EVERY_DAY = [*WEEKDAYS, "sat", "sun"]

FILLER = "bev/chi/pack/l1/fill/f1"
CAPPER = "bev/chi/pack/l1/cap/c1"
INSPECTOR = "bev/chi/pack/l1/insp/i1"
COMPRESSOR = "bev/chi/util/air/comp/k1"
PRESS = "bev/blr/pack/l2/press/p1"

CHI_LINE = "bev/chi/pack/l1"
CHI = "bev/chi"
BLR = "bev/blr"

# Monday 2026-03-02: Chicago is UTC-6 (daylight saving starts on 8 March), so the
# 06:00-14:00 shift is 12:00-20:00 UTC; Kolkata is UTC+5:30, its 06:30-14:30 shift is
# 01:00-09:00 UTC.
MONDAY = dt.date(2026, 3, 2)


def utc(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """An aware UTC datetime on ``day``."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def second_plant() -> Model:
    """The plant described in the module docstring."""
    return Model(
        PlantModel.model_validate(
            {
                "enterprise": {"id": "bev"},
                "equipment_classes": [
                    {"id": "filler", "ideal_cycle_time_s": 30.0},
                    {"id": "capper", "ideal_cycle_time_s": 60.0},
                    {"id": "checker", "role": "inspection"},
                    {"id": "compressor"},
                    {"id": "press", "ideal_cycle_time_s": 20.0},
                ],
                "products": [{"id": "bottle", "scrap_cost": 2.0}],
                "sites": [
                    {
                        "id": "chi",
                        "timezone": "America/Chicago",
                        "shifts": [
                            {"id": "a", "start": "06:00", "end": "14:00", "days": WEEKDAYS},
                            {"id": "b", "start": "14:00", "end": "22:00", "days": WEEKDAYS},
                        ],
                        "areas": [
                            {
                                "id": "pack",
                                "lines": [
                                    {
                                        "id": "l1",
                                        "cells": [
                                            _cell("fill", "f1", "filler", 600.0),
                                            _cell("cap", "c1", "capper", 600.0),
                                            _cell("insp", "i1", "checker", 600.0),
                                        ],
                                    }
                                ],
                            },
                            {
                                "id": "util",
                                "lines": [
                                    {
                                        "id": "air",
                                        "cells": [_cell("comp", "k1", "compressor", 50.0)],
                                    }
                                ],
                            },
                        ],
                    },
                    {
                        "id": "blr",
                        "timezone": "Asia/Kolkata",
                        "shifts": [
                            {"id": "day", "start": "06:30", "end": "14:30", "days": EVERY_DAY}
                        ],
                        "areas": [
                            {
                                "id": "pack",
                                "lines": [
                                    {"id": "l2", "cells": [_cell("press", "p1", "press", 200.0)]}
                                ],
                            }
                        ],
                    },
                ],
            }
        )
    )


def _cell(cell: str, equipment: str, class_id: str, cost: float) -> dict[str, object]:
    return {
        "id": cell,
        "equipment": [{"id": equipment, "class": class_id, "downtime_cost_per_hour": cost}],
    }


def write_week(store: Store, *, stop_press_at: dt.datetime | None = None) -> None:
    """Write a week of records from Monday: states every two hours, counts and samples.

    Every production machine alternates two hours running and a stop (unplanned down for
    20 minutes, then idle); the compressor runs; counts every 10 minutes. When
    ``stop_press_at`` is given, the press's feed stops there (no record of any kind after).
    """
    ts: list[dt.datetime] = []
    paths: list[str] = []
    values: list[str] = []
    count_rows: list[tuple[dt.datetime, str, int, int]] = []
    sample_rows: list[tuple[dt.datetime, str]] = []
    start = utc(MONDAY, 0)
    for hour in range(0, 7 * 24, 2):
        at = start + dt.timedelta(hours=hour)
        for path in (FILLER, CAPPER, INSPECTOR, PRESS):
            if path == PRESS and stop_press_at is not None and at >= stop_press_at:
                continue
            ts += [at, at + dt.timedelta(minutes=90), at + dt.timedelta(minutes=110)]
            paths += [path] * 3
            values += ["running", "unplanned_down", "idle"]
        ts.append(at)
        paths.append(COMPRESSOR)
        values.append("running")
        for minute in range(10, 120, 10):
            when = at + dt.timedelta(minutes=minute)
            for path, good in ((FILLER, 19), (CAPPER, 9), (INSPECTOR, 8), (PRESS, 28)):
                if path == PRESS and stop_press_at is not None and when >= stop_press_at:
                    continue
                count_rows.append((when, path, good, 1))
            sample_rows.append((when, COMPRESSOR + "/pressure"))
    store.write(
        RecordKind.STATE,
        records.states(ts=ts, path=paths, state=values, seq=list(range(len(ts))), source="t"),
    )
    store.write(
        RecordKind.COUNT,
        records.counts(
            ts=[r[0] for r in count_rows],
            path=[r[1] for r in count_rows],
            product="bottle",
            good=[r[2] for r in count_rows],
            scrap=[r[3] for r in count_rows],
            rework=[0] * len(count_rows),
            seq=list(range(len(count_rows))),
            source="t",
        ),
    )
    store.write(
        RecordKind.SAMPLE,
        records.samples(
            ts=[r[0] for r in sample_rows],
            path=[r[1] for r in sample_rows],
            value=[6.5] * len(sample_rows),
            seq=list(range(len(sample_rows))),
            source="t",
        ),
    )
