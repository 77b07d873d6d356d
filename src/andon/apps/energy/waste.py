"""Waste that a decision can remove, with its value in energy, money and CO2e a year.

* **switch-off rules** for machines that idle: switched off after ``t`` minutes idle, each
  idle stretch longer than ``t`` saves ``(idle - off) kW`` for the rest of the stretch and
  costs the warm-up it then needs (``warmup kW * warm-up minutes``); ``t`` is the best of a
  grid on the period's own stretches, and a rule that saves nothing is not proposed;
* **a leak**: a compressed-air system's draw in hours when nothing produces, less its
  compressors' idle power, is air lost to leaks; and a site's base load stepped up against
  the fitted reference is a new leak or a load left on;
* **a utility that runs against no demand**: compressors kept on, idling, in hours when
  nothing produces.

Energy a year is the period's figure scaled to 8760 hours; money and carbon use the mean
price and grid carbon of the hours the waste occurred in (or, for around-the-clock loads,
of all hours).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import polars as pl

from andon.apps.energy.accounting import EnergyAccount, base_load, equipment_frame, frame_of
from andon.model import EquipmentRole, Model
from andon.store.base import Store
from andon.time import HOUR_US

__all__ = [
    "RULE_MINUTES",
    "Waste",
    "leaks",
    "switch_off_rules",
    "utilities_without_demand",
]

RULE_MINUTES: Final = (5.0, 10.0, 15.0, 30.0, 60.0, 120.0)
"""The idle times after which a switch-off rule may switch a machine off."""
_YEAR_H: Final = 8760.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Waste:
    """One waste a decision can remove, valued a year."""

    kind: str
    """The action kind that removes it (``switch_off_idle``, ``fix_leak``, ``stage_utility``)."""
    subject: str
    kwh_per_year: float
    value_per_year: float
    kg_co2e_per_year: float
    kw: float | None = None
    """The power lost, for a leak or a load left on."""
    idle_minutes: float | None = None
    """For a switch-off rule: the idle time after which the machine is switched off."""
    since_us: int | None = None
    """For a step in base load: the first day it shows."""
    evidence: dict[str, Any] = field(default_factory=dict)


def _prices(acc: EnergyAccount) -> pl.DataFrame:
    """Mean price and grid carbon per site over the period's hours with a tariff."""
    return (
        acc.site_hours.filter(pl.col("price_per_kwh").is_not_null())
        .group_by("site")
        .agg(
            pl.col("price_per_kwh").mean().alias("price"),
            pl.col("gco2e_per_kwh").mean().alias("carbon"),
        )
        .sort("site")
    )


def _site_price(acc: EnergyAccount, site: str) -> tuple[float, float]:
    found = _prices(acc).filter(pl.col("site") == site)
    if found.height == 0:
        return 0.0, 0.0
    return float(found["price"][0]), float(found["carbon"][0])


def _stretches(store: Store, model: Model, start: int, end: int) -> pl.DataFrame:
    """Return the idle stretches of production equipment: ``path``, ``minutes``."""
    frame = frame_of(store.state_intervals(path_prefix=model.root, start=start, end=end))
    producing = [p for p, i in model.equipment.items() if i.role is EquipmentRole.PRODUCTION]
    if frame.height == 0:
        return pl.DataFrame(schema={"path": pl.Utf8, "minutes": pl.Float64})
    idle = pl.col("state").is_in(["idle", "starved", "blocked"]) | (
        (pl.col("state") == "planned_down") & (pl.col("reason") == "break")
    )
    runs = (
        frame.filter(pl.col("path").is_in(producing))
        .with_columns(a=pl.col("start").dt.epoch("us"), b=pl.col("end").dt.epoch("us"), idle=idle)
        .sort(["path", "a", "b"])
        .with_columns(
            new=(pl.col("idle") != pl.col("idle").shift(1).over("path")).fill_null(value=True)
        )
        .with_columns(run=pl.col("new").cum_sum().over("path"))
        .filter(pl.col("idle"))
        .group_by(["path", "run"])
        .agg(((pl.col("b").max() - pl.col("a").min()) / 60e6).alias("minutes"))
    )
    return runs.select("path", "minutes").sort(["path", "minutes"])


def switch_off_rules(
    store: Store, model: Model, acc: EnergyAccount, *, start: int, end: int
) -> list[Waste]:
    """Return the best switch-off rule of each production machine that saves energy."""
    stretches = _stretches(store, model, start, end)
    if stretches.height == 0:
        return []
    power = equipment_frame(model).select(
        "path", "site", "idle_kw", "off_kw", "warmup_kw", "warmup_min"
    )
    joined = stretches.join(power, on="path").with_columns(
        warm_kwh=pl.col("warmup_kw") * pl.col("warmup_min") / 60.0
    )
    options = pl.concat(
        [
            joined.with_columns(rule=pl.lit(t))
            .with_columns(
                saved=pl.when(pl.col("minutes") > pl.col("rule"))
                .then(
                    (pl.col("minutes") - pl.col("rule"))
                    / 60.0
                    * (pl.col("idle_kw") - pl.col("off_kw"))
                    - pl.col("warm_kwh")
                )
                .otherwise(0.0),
                stopped=pl.col("minutes") > pl.col("rule"),
            )
            .group_by(["path", "site", "rule"])
            .agg(pl.col("saved").sum(), pl.col("stopped").sum(), pl.len().alias("stretches"))
            for t in RULE_MINUTES
        ]
    ).sort(["path", "saved", "rule"], descending=[False, True, False])
    best = options.group_by("path", maintain_order=True).first().filter(pl.col("saved") > 0.0)
    scale = _YEAR_H / max((end - start) / HOUR_US, 1.0)
    idle_price = (
        acc.by_state.filter(pl.col("category") == "idle")
        .with_columns(
            price=pl.col("cost") / pl.col("kwh"), carbon=pl.col("kg_co2e") * 1000.0 / pl.col("kwh")
        )
        .select("path", "price", "carbon")
    )
    out = []
    for row in best.join(idle_price, on="path", how="left").sort("path").iter_rows(named=True):
        kwh = float(row["saved"]) * scale
        price = row["price"] if row["price"] is not None else _site_price(acc, row["site"])[0]
        carbon = row["carbon"] if row["carbon"] is not None else _site_price(acc, row["site"])[1]
        out.append(
            Waste(
                kind="switch_off_idle",
                subject=str(row["path"]),
                kwh_per_year=kwh,
                value_per_year=kwh * float(price or 0.0),
                kg_co2e_per_year=kwh * float(carbon or 0.0) / 1000.0,
                idle_minutes=float(row["rule"]),
                evidence={
                    "idle_stretches": int(row["stretches"]),
                    "stretches_switched_off": int(row["stopped"]),
                    "kwh_saved_in_period": float(row["saved"]),
                },
            )
        )
    return out


def _compressed_air(model: Model) -> list[tuple[str, str, list[str]]]:
    """Return (meter, site, compressors) of each compressed-air meter."""
    out = []
    for path, info in sorted(model.meters.items()):
        if info.meter.medium != "compressed_air":
            continue
        owner = info.owner_path + "/"
        members = [p for p in model.equipment if (p + "/").startswith(owner)]
        if members:
            out.append((path, "/".join(path.split("/")[:2]), sorted(members)))
    return out


def _quiet_air(acc: EnergyAccount, meter: str, site: str) -> pl.DataFrame:
    """The compressed-air meter's full hours when nothing at its site produces."""
    quiet = acc.site_hours.filter((pl.col("site") == site) & (pl.col("producing") <= 0.0))
    return acc.meter_hours.filter((pl.col("meter") == meter) & (pl.col("seconds") == 3600.0)).join(
        quiet.select("hour"), on="hour"
    )


def _air_intercept(acc: EnergyAccount, meter: str, site: str) -> tuple[float, int] | None:
    """Return the compressed-air meter's power with no production machine running (the
    intercept of its full hours' kW on the site's running machine-hours), and the hours."""
    running = (
        acc.equipment_hours.filter(
            pl.col("produces") & (pl.col("site") == site) & (pl.col("category") == "running")
        )
        .group_by("hour")
        .agg((pl.col("seconds").sum() / 3600.0).alias("running_h"))
    )
    hours = (
        acc.meter_hours.filter((pl.col("meter") == meter) & (pl.col("seconds") == 3600.0))
        .join(running, on="hour", how="left")
        .with_columns(pl.col("running_h").fill_null(0.0))
    )
    if hours.height < 24:
        return None
    x = np.column_stack([np.ones(hours.height), hours["running_h"].to_numpy()])
    coef, *_ = np.linalg.lstsq(x, hours["kwh"].to_numpy(), rcond=None)
    return float(coef[0]), hours.height


def _idle_kw(model: Model, paths: list[str]) -> tuple[float, float]:
    idle = sum(model.equipment[p].equipment_class.power_kw.idle for p in paths)
    off = sum(model.equipment[p].equipment_class.power_kw.off for p in paths)
    return idle, off


def leaks(model: Model, acc: EnergyAccount, *, reference_base_kw: dict[str, float]) -> list[Waste]:
    """Return compressed-air leaks and steps of base load against the reference."""
    out = []
    for meter, site, compressors in _compressed_air(model):
        fitted = _air_intercept(acc, meter, site)
        if fitted is None:
            continue
        intercept, hours = fitted
        idle, _ = _idle_kw(model, compressors)
        leak_kw = intercept - idle
        if leak_kw <= 0.0:
            continue
        price, carbon = _site_price(acc, site)
        kwh = leak_kw * _YEAR_H
        out.append(
            Waste(
                kind="fix_leak",
                subject=meter,
                kwh_per_year=kwh,
                value_per_year=kwh * price,
                kg_co2e_per_year=kwh * carbon / 1000.0,
                kw=leak_kw,
                evidence={
                    "hours": hours,
                    "air_kw_with_no_machine_running": intercept,
                    "compressors_idle_kw": idle,
                },
            )
        )
    base = base_load(acc.site_hours)
    for site, reference in sorted(reference_base_kw.items()):
        mine = base.filter(pl.col("site") == site).sort("hour")
        if mine.height < 12:
            continue
        recent = mine.tail(max(12, mine.height // 4))
        now_kw = float(recent["base_kw"].median())  # type: ignore[arg-type]
        step = now_kw - reference
        if step < max(2.0, 0.05 * reference):
            continue
        since = int(recent["hour"].min()) * HOUR_US  # type: ignore[arg-type]
        price, carbon = _site_price(acc, site)
        kwh = step * _YEAR_H
        out.append(
            Waste(
                kind="fix_leak",
                subject=site,
                kwh_per_year=kwh,
                value_per_year=kwh * price,
                kg_co2e_per_year=kwh * carbon / 1000.0,
                kw=step,
                since_us=since,
                evidence={"base_kw_reference": reference, "base_kw_now": now_kw},
            )
        )
    return out


def utilities_without_demand(model: Model, acc: EnergyAccount) -> list[Waste]:
    """Return compressed-air systems kept idling in hours when nothing produces."""
    out = []
    span_h = max(acc.hours, 1.0)
    for meter, site, compressors in _compressed_air(model):
        quiet = _quiet_air(acc, meter, site)
        if quiet.height < 6:
            continue
        idle, off = _idle_kw(model, compressors)
        if idle <= off:
            continue
        price, carbon = _site_price(acc, site)
        kwh = (idle - off) * quiet.height * _YEAR_H / span_h
        out.append(
            Waste(
                kind="stage_utility",
                subject=meter,
                kwh_per_year=kwh,
                value_per_year=kwh * price,
                kg_co2e_per_year=kwh * carbon / 1000.0,
                kw=idle - off,
                evidence={"quiet_hours": quiet.height, "compressors": len(compressors)},
            )
        )
    return out
