"""Benchmark: ISO 22400-2 KPIs over a year of 200 pieces of equipment, printing JSON.

Synthetic data: four sites in four time zones (two with a daylight-saving change), three
shifts with breaks, 50 equipment per site, a state change every ~35 minutes (a few million
state intervals a year) and a count record at the end of every running interval, written
with ``Store.write`` into a DuckDB store and a PostgreSQL store.

Measured, each the best of ``--repeat`` runs, from the store to the KPI frame:

* ``equipment_day``: every KPI per equipment per day, from the records (target <= 2 s),
  the elements summed inside the store by one SQL statement (``in_store=True``);
* ``site_week``: every KPI per site per week, from the records (target <= 1 s);
* ``polars_path_*``: the same two from the records fetched and summed in Polars
  (``compute(..., in_store=False)``); ``default_path`` says which of the two ``compute``
  takes on that store (``IN_STORE_BY_DEFAULT``), and the targets are judged on it;
* ``refresh_day_state``: computing and storing the day elements of the whole year once
  (the KPI state that late data revises), then ``from_state_equipment_day`` and
  ``from_state_site_week``: the same KPI frames from the stored state (days summed into
  weeks and sites), which is how a console asks for them;
* ``baseline_polars``: a straightforward Polars OEE per equipment per UTC day on the same
  intervals and counts (explode each interval over the days it touches, group, divide),
  without the shift calendar; the ratio ``baseline / andon`` is reported.

Each figure comes with this process's CPU seconds (``*_cpu_s``), for the in-store
computations on PostgreSQL the server backend's as well (``*_server_cpu_s``, read from
/proc when the server runs here), and the
1-minute load average when it was taken (``*_load``): on a shared machine wall time
stretches with the load, CPU time and ratios measured in the same run much less.

Usage::

    python benchmarks/kpi.py            # one year, 200 equipment
    python benchmarks/kpi.py --quick    # 2 weeks, 12 equipment: seconds
    python benchmarks/kpi.py --no-postgres  # DuckDB only
    python benchmarks/kpi.py --no-polars-path  # without the slow reference path

PostgreSQL is measured in a schema of its own on ``--postgres`` (default: the test server),
dropped afterwards; when the server does not answer, the JSON says so and DuckDB is still
reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from andon.kpi import (
    IN_STORE_BY_DEFAULT,
    aggregate,
    compute,
    kpis,
    refresh,
    rollup,
    stored_elements,
)
from andon.model import Model
from andon.model.schema import PlantModel
from andon.records import KIND_SCHEMAS, RecordKind
from andon.store import Store, open_store

SITES = (
    ("paris", "Europe/Paris"),
    ("chicago", "America/Chicago"),
    ("pune", "Asia/Kolkata"),
    ("prague", "Europe/Prague"),
)
PRODUCTS = (("P1", 40.0), ("P2", 55.0), ("P3", 70.0), ("P4", 90.0))
STOP_STATES = np.array(
    ["idle", "starved", "blocked", "setup", "unplanned_down", "planned_down", "unplanned_down"]
)


def build_model(equipment_per_site: int) -> Model:
    """A synthetic enterprise: lines of 10 single-machine cells, routings for four products."""
    lines_per_site = max(1, equipment_per_site // 10)
    per_line = equipment_per_site // lines_per_site
    sites = []
    for site_id, tz in SITES:
        lines = [
            {
                "id": f"l{li}",
                "cells": [
                    {
                        "id": f"c{ci}",
                        "equipment": [
                            {"id": f"m{ci}", "class": "machine", "downtime_cost_per_hour": 500.0}
                        ],
                    }
                    for ci in range(per_line)
                ],
            }
            for li in range(lines_per_site)
        ]
        sites.append(
            {
                "id": site_id,
                "timezone": tz,
                "shifts": [
                    {
                        "id": "early",
                        "start": "06:00",
                        "end": "14:00",
                        "breaks": [["10:00", "10:30"]],
                    },
                    {
                        "id": "late",
                        "start": "14:00",
                        "end": "22:00",
                        "breaks": [["18:00", "18:30"]],
                    },
                    {
                        "id": "night",
                        "start": "22:00",
                        "end": "06:00",
                        "breaks": [["02:00", "02:30"]],
                    },
                ],
                "areas": [{"id": "prod", "lines": lines}],
            }
        )
    products = [
        {
            "id": pid,
            "scrap_cost": 20.0,
            "routings": [
                {
                    "line": f"{site_id}/prod/l{li}",
                    "steps": [{"cell": f"c{ci}", "cycle_time_s": ct} for ci in range(per_line)],
                }
                for site_id, _ in SITES
                for li in range(lines_per_site)
            ],
        }
        for pid, ct in PRODUCTS
    ]
    plant = PlantModel.model_validate(
        {
            "enterprise": {"id": "bench"},
            "equipment_classes": [{"id": "machine", "ideal_cycle_time_s": 60.0}],
            "products": products,
            "sites": sites,
        }
    )
    return Model(plant)


def generate(model: Model, start_us: int, end_us: int, seed: int) -> tuple[pa.Table, pa.Table]:
    """State and count records for every equipment, vectorised per equipment."""
    rng = np.random.default_rng(seed)
    span_s = (end_us - start_us) / 1e6
    state_parts: dict[str, list[Any]] = {"ts": [], "path": [], "state": []}
    count_parts: dict[str, list[Any]] = {
        "ts": [],
        "path": [],
        "product": [],
        "good": [],
        "scrap": [],
        "rework": [],
    }
    product_ids = np.array([p for p, _ in PRODUCTS])
    cycle = np.array([c for _, c in PRODUCTS])
    for index, path in enumerate(sorted(model.equipment)):
        n = int(span_s / 2100 * 1.2) + 10
        run = rng.exponential(2700.0, n // 2 + 1)
        stop = np.where(
            rng.random(n // 2 + 1) < 0.1,
            rng.exponential(3600.0, n // 2 + 1),
            rng.exponential(240.0, n // 2 + 1),
        )
        durations = np.empty(2 * (n // 2 + 1))
        durations[0::2], durations[1::2] = run + 1.0, stop + 1.0
        ts = (
            start_us + np.concatenate([[0], np.cumsum(durations[:-1])]).astype(np.int64) * 1_000_000
        )
        keep = ts < end_us
        ts, durations = ts[keep], durations[keep]
        states = np.empty(ts.size, dtype=object)
        states[0::2] = "running"
        states[1::2] = STOP_STATES[rng.integers(0, STOP_STATES.size, states[1::2].size)]
        state_parts["ts"].append(ts)
        state_parts["path"].append(np.full(ts.size, path, dtype=object))
        state_parts["state"].append(states)
        run_idx = np.arange(0, ts.size, 2)
        product = rng.integers(0, len(PRODUCTS), run_idx.size)
        made = np.floor(durations[run_idx] / cycle[product] * rng.uniform(0.75, 0.98, run_idx.size))
        scrap = rng.binomial(made.astype(np.int64), 0.02)
        rework = rng.binomial(made.astype(np.int64), 0.01)
        end_ts = np.minimum(ts[run_idx] + (durations[run_idx] * 1e6).astype(np.int64), end_us)
        count_parts["ts"].append(end_ts)
        count_parts["path"].append(np.full(run_idx.size, path, dtype=object))
        count_parts["product"].append(product_ids[product])
        count_parts["good"].append(made.astype(np.int64) - scrap - rework)
        count_parts["scrap"].append(scrap)
        count_parts["rework"].append(rework)
        _ = index
    states_table = _table(RecordKind.STATE, state_parts)
    counts_table = _table(RecordKind.COUNT, count_parts)
    return states_table, counts_table


def _table(kind: RecordKind, parts: dict[str, list[Any]]) -> pa.Table:
    schema = KIND_SCHEMAS[kind]
    columns = {name: np.concatenate(values) for name, values in parts.items()}
    n = len(columns["ts"])
    arrays = []
    for field in schema:
        if field.name == "ts":
            arrays.append(pa.array(columns["ts"], type=pa.int64()).cast(field.type))
        elif field.name == "source":
            arrays.append(pa.array(["bench"] * n, type=pa.string()))
        elif field.name == "seq":
            arrays.append(pa.array(np.arange(n), type=pa.int64()))
        elif field.name in columns:
            arrays.append(pa.array(columns[field.name], type=field.type))
        else:
            arrays.append(pa.nulls(n, field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def baseline_oee(store: Store, start_us: int, end_us: int) -> pl.DataFrame:
    """A straightforward Polars OEE per equipment per UTC day (no shift calendar)."""
    frame = pl.from_arrow(store.state_intervals(start=start_us, end=end_us))
    assert isinstance(frame, pl.DataFrame)
    counts = pl.from_arrow(store.records(RecordKind.COUNT, start=start_us, end=end_us + 1))
    assert isinstance(counts, pl.DataFrame)
    cycle = dict(PRODUCTS)
    pieces = (
        frame.with_columns(
            day=pl.datetime_ranges(pl.col("start").dt.truncate("1d"), pl.col("end"), "1d")
        )
        .explode("day")
        .with_columns(
            lo=pl.max_horizontal("start", "day"),
            hi=pl.min_horizontal("end", pl.col("day") + pl.duration(days=1)),
        )
        .with_columns(d=(pl.col("hi") - pl.col("lo")).dt.total_microseconds() / 1e6)
        .filter(pl.col("d") > 0)
    )
    time_by_day = pieces.group_by("path", "day").agg(
        run=pl.col("d").filter(pl.col("state") == "running").sum(),
        planned=pl.col("d").filter(pl.col("state") != "planned_down").sum(),
    )
    made = (
        counts.with_columns(
            day=pl.col("ts").dt.truncate("1d"),
            pri=pl.col("product").replace_strict(cycle, return_dtype=pl.Float64),
            pq=pl.col("good") + pl.col("scrap") + pl.col("rework"),
        )
        .group_by("path", "day")
        .agg(
            ideal=(pl.col("pri") * pl.col("pq")).sum(),
            good=pl.col("good").sum(),
            pq=pl.col("pq").sum(),
        )
    )
    return time_by_day.join(made, on=["path", "day"], how="left").with_columns(
        oee=(pl.col("run") / pl.col("planned"))
        * (pl.col("ideal") / pl.col("run"))
        * (pl.col("good") / pl.col("pq"))
    )


CPU: dict[str, float] = {}
"""CPU seconds of this process for the best run of each measurement (a shared machine's
load stretches wall time, much less CPU time); on PostgreSQL also the server backend's."""
LOAD: dict[str, float] = {}
"""The 1-minute load average when each measurement's best run ended."""


def _backend_cpu(store: Store) -> float | None:
    """CPU seconds used so far by the PostgreSQL backend of the store's writing connection
    (the one the in-store KPI statement runs on, in its transaction), when the server runs
    on this machine (read from /proc); ``None`` otherwise."""
    if store.dialect != "postgres":
        return None
    try:
        with store.transaction():
            pid = store.execute("SELECT pg_backend_pid() AS pid").column("pid")[0].as_py()
        stat = Path(f"/proc/{int(pid)}/stat").read_text(encoding="ascii")
        fields = stat.rsplit(")", 1)[1].split()
    except (OSError, ValueError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def best_of(
    repeat: int, work: Callable[[], Any], name: str = "", store: Store | None = None
) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        b0 = _backend_cpu(store) if store is not None else None
        t0, c0 = time.perf_counter(), time.process_time()
        result = work()
        wall = time.perf_counter() - t0
        if wall < best:
            best = wall
            if name:
                CPU[f"{name}_cpu_s"] = round(time.process_time() - c0, 3)
                LOAD[f"{name}_load"] = round(os.getloadavg()[0], 2)
                b1 = _backend_cpu(store) if store is not None else None
                if b0 is not None and b1 is not None:
                    CPU[f"{name}_server_cpu_s"] = round(b1 - b0, 2)
    return best, result


def measure(
    store: Store, model: Model, start_us: int, end_us: int, repeat: int, *, polars_path: bool
) -> dict[str, Any]:
    CPU.clear()
    LOAD.clear()
    t0 = time.perf_counter()
    revised = refresh(store, model, start=start_us, end=end_us)
    t_refresh = time.perf_counter() - t0
    LOAD["refresh_day_state_load"] = round(os.getloadavg()[0], 2)
    t_state_day, state_day = best_of(
        repeat,
        lambda: kpis(aggregate(stored_elements(store), "equipment")),
        "from_state_equipment_day",
    )
    t_state_week, state_week = best_of(
        repeat,
        lambda: kpis(aggregate(rollup(stored_elements(store), model, "week"), "site")),
        "from_state_site_week",
    )
    t_day, day = best_of(
        repeat,
        lambda: compute(store, model, start=start_us, end=end_us, period="day", in_store=True).kpis(
            "equipment"
        ),
        "equipment_day",
        store,
    )
    t_week, week = best_of(
        repeat,
        lambda: compute(
            store, model, start=start_us, end=end_us, period="week", in_store=True
        ).kpis("site"),
        "site_week",
        store,
    )
    figures: dict[str, Any] = {}
    if polars_path:
        # The same KPIs with the intervals and records fetched and summed in Polars: the
        # computation the in-store SQL replaced, measured in the same run.
        t_pday, pday = best_of(
            1,
            lambda: compute(
                store, model, start=start_us, end=end_us, period="day", in_store=False
            ).kpis("equipment"),
            "polars_path_equipment_day",
        )
        t_pweek, _ = best_of(
            1,
            lambda: compute(
                store, model, start=start_us, end=end_us, period="week", in_store=False
            ).kpis("site"),
            "polars_path_site_week",
        )
        figures.update(
            {
                "polars_path_equipment_day_s": round(t_pday, 3),
                "polars_path_site_week_s": round(t_pweek, 3),
                "polars_path_over_in_store_equipment_day": round(t_pday / t_day, 2),
                "polars_path_over_in_store_site_week": round(t_pweek / t_week, 2),
                "polars_path_same_oee": bool(
                    abs(
                        float(pday["oee"].drop_nulls().mean() or 0.0)
                        - float(day["oee"].drop_nulls().mean() or 0.0)
                    )
                    < 1e-9
                ),
            }
        )
    t_base, base = best_of(repeat, lambda: baseline_oee(store, start_us, end_us), "baseline_polars")
    return {
        "refresh_day_state_s": round(t_refresh, 3),
        "refresh_day_state_rows": revised.height,
        "from_state_equipment_day_s": round(t_state_day, 3),
        "from_state_equipment_day_rows": state_day.height,
        "from_state_site_week_s": round(t_state_week, 3),
        "from_state_site_week_rows": state_week.height,
        "equipment_day_s": round(t_day, 3),
        "equipment_day_rows": day.height,
        "site_week_s": round(t_week, 3),
        "site_week_rows": week.height,
        **figures,
        "baseline_polars_s": round(t_base, 3),
        "baseline_rows": base.height,
        "baseline_over_andon_equipment_day": round(t_base / t_day, 2),
        "baseline_over_andon_site_week": round(t_base / t_week, 2),
        "baseline_over_from_state_equipment_day": round(t_base / t_state_day, 2),
        "mean_oee_equipment_day": round(float(day["oee"].drop_nulls().mean() or 0.0), 4),
        **CPU,
        **LOAD,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 weeks, 12 equipment")
    parser.add_argument("--equipment", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "ANDON_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
        help="PostgreSQL server to report as well (a schema of its own, dropped after)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="DuckDB only")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--postgres-repeat",
        type=int,
        default=1,
        help="runs per measurement on PostgreSQL (each takes tens of seconds on a year)",
    )
    parser.add_argument(
        "--no-polars-path",
        action="store_true",
        help="skip the Polars path (records fetched, elements summed in Python)",
    )
    args = parser.parse_args(argv)
    equipment, days, repeat = args.equipment, args.days, args.repeat
    if args.quick:
        equipment, days, repeat = 12, 14, 1
    model = build_model(max(1, equipment // len(SITES)))
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    start_us = int(start.timestamp() * 1_000_000)
    end_us = start_us + days * 86_400 * 1_000_000
    t0 = time.perf_counter()
    states, counts = generate(model, start_us, end_us, args.seed)
    gen_s = time.perf_counter() - t0
    result: dict[str, Any] = {
        "benchmark": "kpi",
        "quick": bool(args.quick),
        "equipment": len(model.equipment),
        "days": days,
        "state_records": states.num_rows,
        "count_records": counts.num_rows,
        "generate_s": round(gen_s, 2),
        "python": platform.python_version(),
        "targets": {"equipment_day_s": 2.0, "site_week_s": 1.0},
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
        "cpus": os.cpu_count(),
    }
    stores: list[tuple[str, str]] = [("duckdb", "duckdb://:memory:")]
    if args.postgres and not args.no_postgres:
        schema = f"bench_kpi_{os.getpid()}"
        sep = "&" if "?" in args.postgres else "?"
        stores.append(("postgres", f"{args.postgres}{sep}schema={schema}"))
    else:
        result["postgres"] = {"skipped": "--no-postgres"}
    for name, url in stores:
        try:
            store = open_store(url)
        except Exception as exc:
            result[name] = {"skipped": f"store not available: {exc}"}
            continue
        t0 = time.perf_counter()
        store.write(RecordKind.STATE, states)
        store.write(RecordKind.COUNT, counts)
        load_s = time.perf_counter() - t0
        runs = args.postgres_repeat if name == "postgres" else repeat
        figures = measure(store, model, start_us, end_us, runs, polars_path=not args.no_polars_path)
        figures["load_s"] = round(load_s, 2)
        figures["state_intervals"] = store.state_intervals(start=start_us, end=end_us).num_rows
        default = "in_store" if IN_STORE_BY_DEFAULT.get(store.dialect) else "polars_path"
        prefix = "" if default == "in_store" else "polars_path_"
        figures["default_path"] = default
        if f"{prefix}equipment_day_s" in figures:
            figures["meets_targets_from_records"] = (
                figures[f"{prefix}equipment_day_s"] <= 2.0
                and figures[f"{prefix}site_week_s"] <= 1.0
            )
        figures["meets_targets_from_state"] = (
            figures["from_state_equipment_day_s"] <= 2.0
            and figures["from_state_site_week_s"] <= 1.0
        )
        result[name] = figures
        drop = getattr(store, "drop_schema", None)
        if callable(drop):
            drop()
        store.close()
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
