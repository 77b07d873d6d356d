"""``GET /api/v1/kpis`` on a plant whose sites have no shift calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from andon import records
from andon.model import Model
from andon.model.schema import PlantModel
from andon.records import RecordKind
from andon.store.base import Store
from api.api_helpers import build

NO_SHIFTS = Model(
    PlantModel.model_validate(
        {
            "enterprise": {"id": "acme"},
            "equipment_classes": [{"id": "machine", "ideal_cycle_time_s": 60.0}],
            "sites": [
                {
                    "id": site,
                    "timezone": "Europe/Paris",
                    "areas": [
                        {
                            "id": "a",
                            "lines": [
                                {
                                    "id": "l",
                                    "cells": [
                                        {"id": "c", "equipment": [{"id": "m", "class": "machine"}]}
                                    ],
                                }
                            ],
                        }
                    ],
                }
                for site in ("lyon", "brno")
            ],
        }
    )
)


@pytest.mark.parametrize("period", ["shift", "day"])
def test_kpis_by_shift_on_a_model_without_shifts_is_an_empty_page(
    store: Store, period: str
) -> None:
    env = build(store, NO_SHIFTS)
    start = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    store.write(
        RecordKind.STATE,
        records.states(
            ts=[start, start + dt.timedelta(hours=5)],
            path="acme/lyon/a/l/c/m",
            state=["running", "idle"],
            seq=[0, 1],
            source="t",
        ),
    )
    answer = env.client.get(
        "/api/v1/kpis",
        params={"period": period, "since": "2026-01-05T00:00Z", "until": "2026-01-06T00:00Z"},
        headers=env.headers("root"),
    )
    assert answer.status_code == 200, answer.text
    page = answer.json()
    if period == "shift":
        assert page["items"] == []
    else:
        # Without a shift there is no planned time: rows, but no KPI value.
        assert all(row["kpis"]["availability"] is None for row in page["items"])
