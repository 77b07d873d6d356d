"""Small plant models and record builders for the KPI tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from andon.model import Model
from andon.model.schema import PlantModel

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    """An aware UTC datetime from ``YYYY-MM-DD HH:MM``."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def build_model(
    *,
    timezone: str = "UTC",
    shifts: list[dict[str, Any]] | None = None,
    machines: int = 2,
    sites: tuple[str, ...] = ("s1",),
    cycle_time_s: float = 60.0,
    downtime_cost_per_hour: float = 100.0,
    meters: bool = False,
) -> Model:
    """One area, one line per site with ``machines`` single-machine cells, product ``P``."""
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    shifts = shifts or [{"id": "day", "start": "08:00", "end": "16:00", "days": every_day}]
    site_docs = [
        {
            "id": site,
            "timezone": timezone,
            "shifts": shifts,
            "areas": [
                {
                    "id": "a",
                    "lines": [
                        {
                            "id": "l",
                            "meters": [{"id": "lm"}] if meters else [],
                            "cells": [
                                {
                                    "id": f"c{i}",
                                    "equipment": [
                                        {
                                            "id": "m",
                                            "class": "machine",
                                            "downtime_cost_per_hour": downtime_cost_per_hour,
                                            "meters": [{"id": "em"}] if meters and i == 0 else [],
                                        }
                                    ],
                                }
                                for i in range(machines)
                            ],
                        }
                    ],
                }
            ],
        }
        for site in sites
    ]
    plant = PlantModel.model_validate(
        {
            "enterprise": {"id": "e"},
            "equipment_classes": [{"id": "machine", "ideal_cycle_time_s": cycle_time_s}],
            "products": [{"id": "P", "scrap_cost": 5.0}],
            "sites": site_docs,
        }
    )
    return Model(plant)


def intervals(rows: list[tuple[str, str, str, str]]) -> pl.DataFrame:
    """State intervals from (path, state, start, end) with ``YYYY-MM-DD HH:MM`` UTC times."""
    return pl.DataFrame(
        {
            "path": [r[0] for r in rows],
            "state": [r[1] for r in rows],
            "reason": [None] * len(rows),
            "start": [at(r[2]) for r in rows],
            "end": [at(r[3]) for r in rows],
        },
        schema={
            "path": pl.String,
            "state": pl.String,
            "reason": pl.String,
            "start": pl.Datetime("us", "UTC"),
            "end": pl.Datetime("us", "UTC"),
        },
    )


def counts(rows: list[tuple[str, str, int, int, int]], product: str = "P") -> pl.DataFrame:
    """Count records from (path, ts, good, scrap, rework)."""
    return pl.DataFrame(
        {
            "ts": [at(r[1]) for r in rows],
            "path": [r[0] for r in rows],
            "product": [product] * len(rows),
            "good": [r[2] for r in rows],
            "scrap": [r[3] for r in rows],
            "rework": [r[4] for r in rows],
        },
        schema={
            "ts": pl.Datetime("us", "UTC"),
            "path": pl.String,
            "product": pl.String,
            "good": pl.Int64,
            "scrap": pl.Int64,
            "rework": pl.Int64,
        },
    )
