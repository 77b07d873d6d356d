"""Energy accounting from meters and states: by machine state, machine, product, unit, site.

Each equipment's energy by state is its class's power in that state (the model's
``power_kw``) times the time the state records say it spent there, summed per hour in the
store; the meters say what was really drawn, and each site's base load (what the site
meter draws when no production machine is on: lighting, HVAC, leaks) is the site meter
less what the equipment draws while off. Idle and warm-up energy is priced at the hour's
tariff and grid carbon; an hour without a tariff is flagged and left unpriced, never priced
at zero.

The state categories follow the issue's four (running, idle, warm-up, off) and one more,
``setup`` (a changeover: on and not producing, but work the product needs). Idle counts
idle, starved, blocked and a planned break the machine was left on in.

>>> category("setup", "warmup"), category("blocked", ""), category("planned_down", "break")
('warmup', 'idle', 'idle')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import polars as pl
import pyarrow as pa

from andon.apps.energy.balance import meter_balance
from andon.apps.energy.quality import DataQualityFlag
from andon.model import EquipmentRole, Model
from andon.store.base import Store
from andon.store.energy_queries import (
    count_hours,
    meter_flags,
    meter_hours,
    state_hours,
    tariff_hours,
)
from andon.time import HOUR_US

__all__ = [
    "CATEGORIES",
    "WASTE_CATEGORIES",
    "EnergyAccount",
    "account",
    "category",
    "equipment_frame",
    "frame_of",
]

CATEGORIES: Final = ("running", "setup", "warmup", "idle", "off")
WASTE_CATEGORIES: Final = ("idle", "warmup")
"""Energy that produces nothing: idle (on and waiting) and warm-up after a stop."""


def category(state: str, reason: str) -> str:
    """Return the energy category of a state record's state and reason."""
    if state == "running":
        return "running"
    if state == "setup":
        return "warmup" if reason == "warmup" else "setup"
    if state in {"idle", "starved", "blocked"}:
        return "idle"
    if state == "planned_down" and reason == "break":
        return "idle"
    return "off"


def _category_expr() -> pl.Expr:
    state, reason = pl.col("state"), pl.col("reason")
    return (
        pl.when(state == "running")
        .then(pl.lit("running"))
        .when((state == "setup") & (reason == "warmup"))
        .then(pl.lit("warmup"))
        .when(state == "setup")
        .then(pl.lit("setup"))
        .when(state.is_in(["idle", "starved", "blocked"]))
        .then(pl.lit("idle"))
        .when((state == "planned_down") & (reason == "break"))
        .then(pl.lit("idle"))
        .otherwise(pl.lit("off"))
    )


def equipment_frame(model: Model) -> pl.DataFrame:
    """Return one row per equipment: path, site, line, class, whether it produces, whether
    it is its line's last cell, and its power by state (kW)."""
    rows = []
    for path, info in sorted(model.equipment.items()):
        power = info.equipment_class.power_kw
        rows.append(
            {
                "path": path,
                "site": info.site_path,
                "line": info.line_path,
                "equipment_class": info.equipment_class.id,
                "produces": info.role is EquipmentRole.PRODUCTION,
                "last_cell": bool(info.line.cells) and info.line.cells[-1].id == info.cell.id,
                "running_kw": power.running,
                "setup_kw": power.idle,
                "warmup_kw": power.warmup,
                "idle_kw": power.idle,
                "off_kw": power.off,
                "warmup_min": power.warmup_min,
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None).with_row_index("eid", offset=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyAccount:
    """The energy accounts of a period ``[start_us, end_us)``.

    Frames (Polars), all in kWh, money in the model's currency, kg CO2e:

    * ``by_state``: ``path``, ``site``, ``category``, ``hours``, ``kwh``, ``cost``,
      ``kg_co2e`` (cost and carbon null where no hour was priced);
    * ``by_equipment``: ``path``, ``kwh``, ``waste_kwh``, ``waste_cost``, ``waste_kg_co2e``,
      ``good`` (units counted), ``kwh_per_unit``;
    * ``by_product``: ``product``, ``units`` (good at the lines' last cells), ``kwh``
      (equipment energy shared by each hour's counts), ``kwh_per_unit``;
    * ``by_site``: ``site``, ``metered_kwh``, ``modelled_kwh``, ``base_kw``,
      ``base_drift_kw_per_week``, ``units``, ``kwh_per_unit``, ``cost``, ``kg_co2e``,
      ``waste_kwh``, ``waste_cost``, ``waste_kg_co2e``;
    * ``site_hours``: ``site``, ``hour``, ``kwh`` (site meter), ``producing`` (production
      machines on), ``off_kw``, ``units``, ``price_per_kwh``, ``gco2e_per_kwh``;
    * ``meter_hours``: ``meter``, ``hour``, ``kwh``, ``seconds`` (metered);
    * ``equipment_hours``: ``path``, ``site``, ``produces``, ``hour``, ``category``,
      ``seconds``, ``kwh``, ``starts`` (intervals of the category entered in the hour);
    * ``count_hours``: ``path``, ``hour``, ``good``, ``last_cell``.

    ``flags`` lists every data-quality problem met, with what and where.
    """

    start_us: int
    end_us: int
    by_state: pl.DataFrame
    by_equipment: pl.DataFrame
    by_product: pl.DataFrame
    by_site: pl.DataFrame
    site_hours: pl.DataFrame
    meter_hours: pl.DataFrame
    equipment_hours: pl.DataFrame
    count_hours: pl.DataFrame
    flags: tuple[DataQualityFlag, ...] = field(default=())

    @property
    def hours(self) -> float:
        """Length of the period, hours."""
        return (self.end_us - self.start_us) / HOUR_US


def frame_of(table: pa.Table) -> pl.DataFrame:
    """Return an Arrow table as a Polars frame."""
    frame = pl.from_arrow(table)
    if not isinstance(frame, pl.DataFrame):  # pragma: no cover - a table gives a frame
        msg = "expected a table"
        raise TypeError(msg)
    return frame


def _site_meters(model: Model) -> dict[str, str]:
    """Return the electricity meter of each site that has one (the first, by path)."""
    out: dict[str, str] = {}
    for path, info in sorted(model.meters.items()):
        if info.owner_path in model.sites and info.meter.medium == "electricity":
            out.setdefault(info.owner_path, path)
    return out


def _meter_flags(
    store: Store, meters: Sequence[str], start: int, end: int
) -> list[DataQualityFlag]:
    flagged = frame_of(meter_flags(store, meters=meters, start=start, end=end))
    flags: list[DataQualityFlag] = []
    if flagged.height:
        grouped = (
            flagged.with_columns(
                missing_s=pl.when(pl.col("flag") == "gap")
                .then((pl.col("ts_us") - pl.col("prev_us")) / 1e6 - pl.col("interval_s"))
                .otherwise(0.0)
            )
            .group_by(["meter", "flag"])
            .agg(
                pl.col("ts_us").min().alias("first"),
                pl.col("ts_us").max().alias("last"),
                pl.len().alias("n"),
                pl.col("missing_s").sum().alias("missing_s"),
                pl.col("kwh").min().alias("kwh_min"),
            )
            .sort(["meter", "flag"])
        )
        for row in grouped.iter_rows(named=True):
            code = str(row["flag"])
            detail = {
                "gap": f"{row['missing_s']:.0f} s without a reading",
                "counter_reset": f"negative energy down to {row['kwh_min']:.3f} kWh left out",
            }.get(code, "")
            flags.append(
                DataQualityFlag(
                    code=code,
                    where=meters[int(row["meter"])],
                    start_us=int(row["first"]),
                    end_us=int(row["last"]),
                    count=int(row["n"]),
                    detail=detail,
                )
            )
    return flags


def _silent_meters(
    hours: pl.DataFrame, meters: Sequence[str], start: int, end: int
) -> list[DataQualityFlag]:
    seen = set(hours["meter"].to_list()) if hours.height else set()
    return [
        DataQualityFlag(
            code="no_readings",
            where=path,
            start_us=start,
            end_us=end,
            count=0,
            detail="no reading in the period",
        )
        for i, path in enumerate(meters)
        if i not in seen
    ]


def _tariff_flags(site_hours: pl.DataFrame, sites: Sequence[str]) -> list[DataQualityFlag]:
    missing = site_hours.filter(pl.col("price_per_kwh").is_null() & (pl.col("kwh") > 0))
    flags = []
    for site in sites:
        rows = missing.filter(pl.col("site") == site)
        if rows.height:
            flags.append(
                DataQualityFlag(
                    code="tariff_missing",
                    where=site,
                    start_us=int(rows["hour"].min()) * HOUR_US,  # type: ignore[arg-type]
                    end_us=(int(rows["hour"].max()) + 1) * HOUR_US,  # type: ignore[arg-type]
                    count=rows.height,
                    detail=f"{rows['kwh'].sum():.1f} kWh in hours without a tariff left unpriced",
                )
            )
    return flags


def account(
    store: Store, model: Model, *, start: int, end: int, break_share: float | None = None
) -> EnergyAccount:
    """Return the energy accounts of ``[start, end)`` (UTC microseconds).

    ``break_share`` fixes the share of idle power drawn in planned breaks at every site
    instead of reading it from the sub-meters (1: machines idle through breaks).
    """
    equipment = equipment_frame(model)
    paths = equipment["path"].to_list()
    meters = sorted(model.meters)
    sites = sorted(model.sites)
    states = frame_of(state_hours(store, equipment=paths, start=start, end=end))
    if states.height == 0:
        states = pl.DataFrame(
            schema={
                "equipment": pl.Int64,
                "hour": pl.Int64,
                "state": pl.Utf8,
                "reason": pl.Utf8,
                "seconds": pl.Float64,
                "starts": pl.Int64,
            }
        )
    mh = frame_of(meter_hours(store, meters=meters, start=start, end=end))
    if mh.height == 0:
        mh = pl.DataFrame(
            schema={"meter": pl.Int64, "hour": pl.Int64, "kwh": pl.Float64, "seconds": pl.Float64}
        )
    meter_frame = mh.with_columns(
        meter=pl.col("meter").replace_strict(list(range(len(meters))), meters, return_dtype=pl.Utf8)
    ).select("meter", "hour", "kwh", "seconds")
    pieces = (
        states.with_columns(
            category=pl.when((pl.col("state") == "planned_down") & (pl.col("reason") == "break"))
            .then(pl.lit("break"))
            .otherwise(_category_expr())
        )
        .group_by(["equipment", "hour", "category"])
        .agg(pl.col("seconds").sum(), pl.col("starts").sum().cast(pl.Int64))
        .join(
            equipment.select(
                pl.col("eid").cast(pl.Int64).alias("equipment"),
                "path",
                "site",
                "produces",
                *(f"{c}_kw" for c in CATEGORIES),
            ),
            on="equipment",
        )
    )
    share = (
        _break_power_share(model, pieces, meter_frame)
        if break_share is None
        else pl.DataFrame({"site": sites, "break_share": [float(break_share)] * len(sites)})
    )
    eq_hours = (
        pieces.join(share, on="site", how="left")
        .with_columns(pl.col("break_share").fill_null(1.0))
        .with_columns(
            kw=pl.coalesce(
                pl.when(pl.col("category") == "break").then(
                    pl.col("off_kw")
                    + pl.col("break_share") * (pl.col("idle_kw") - pl.col("off_kw"))
                ),
                *(pl.when(pl.col("category") == c).then(pl.col(f"{c}_kw")) for c in CATEGORIES),
            ),
            category=pl.col("category").replace("break", "idle"),
        )
        .with_columns(kwh=pl.col("kw") * pl.col("seconds") / 3600.0)
        .group_by(["path", "site", "produces", "hour", "category"])
        .agg(pl.col("seconds", "kwh", "starts").sum())
    )
    tariffs = frame_of(tariff_hours(store, sites=sites, start=start - start % HOUR_US, end=end))
    if tariffs.height:
        tariffs = tariffs.with_columns(
            site=pl.col("site").replace_strict(list(range(len(sites))), sites, return_dtype=pl.Utf8)
        ).select("site", "hour", "price_per_kwh", "gco2e_per_kwh")
    else:
        tariffs = pl.DataFrame(
            schema={
                "site": pl.Utf8,
                "hour": pl.Int64,
                "price_per_kwh": pl.Float64,
                "gco2e_per_kwh": pl.Float64,
            }
        )
    counts = frame_of(count_hours(store, equipment=paths, start=start, end=end))
    if counts.height == 0:
        counts = pl.DataFrame(
            schema={
                "equipment": pl.Int64,
                "product": pl.Utf8,
                "hour": pl.Int64,
                "good": pl.Int64,
                "scrap": pl.Int64,
            }
        )
    counts = counts.join(
        equipment.select(
            pl.col("eid").cast(pl.Int64).alias("equipment"), "path", "site", "last_cell"
        ),
        on="equipment",
    )
    priced = eq_hours.join(tariffs, on=["site", "hour"], how="left").with_columns(
        cost=pl.col("kwh") * pl.col("price_per_kwh"),
        kg_co2e=pl.col("kwh") * pl.col("gco2e_per_kwh") / 1000.0,
    )
    by_state = (
        priced.group_by(["path", "site", "category"])
        .agg(
            (pl.col("seconds").sum() / 3600.0).alias("hours"),
            pl.col("kwh").sum(),
            pl.col("cost").sum(),
            pl.col("kg_co2e").sum(),
        )
        .sort(["path", "category"])
    )
    waste = priced.filter(pl.col("category").is_in(WASTE_CATEGORIES))
    good = counts.group_by("path").agg(pl.col("good").sum())
    by_equipment = (
        priced.group_by("path")
        .agg(pl.col("kwh").sum())
        .join(
            waste.group_by("path").agg(
                pl.col("kwh").sum().alias("waste_kwh"),
                pl.col("cost").sum().alias("waste_cost"),
                pl.col("kg_co2e").sum().alias("waste_kg_co2e"),
            ),
            on="path",
            how="left",
        )
        .join(good, on="path", how="left")
        .with_columns(
            pl.col("waste_kwh", "waste_cost", "waste_kg_co2e").fill_null(0.0),
            pl.col("good").fill_null(0),
        )
        .with_columns(
            kwh_per_unit=pl.when(pl.col("good") > 0)
            .then(pl.col("kwh") / pl.col("good"))
            .otherwise(None)
        )
        .sort("path")
    )
    by_product = _by_product(eq_hours, counts)
    site_hours = _site_hours(model, eq_hours, meter_frame, tariffs, counts)
    by_site = _by_site(site_hours, priced, waste, sites)
    flags = [
        *_meter_flags(store, meters, start, end),
        *_silent_meters(mh, meters, start, end),
        *_tariff_flags(site_hours, sites),
        *meter_balance(model, meter_frame, eq_hours),
    ]
    return EnergyAccount(
        start_us=start,
        end_us=end,
        by_state=by_state,
        by_equipment=by_equipment,
        by_product=by_product,
        by_site=by_site,
        site_hours=site_hours,
        meter_hours=meter_frame,
        equipment_hours=eq_hours.select(
            "path", "site", "produces", "hour", "category", "seconds", "kwh", "starts"
        ),
        count_hours=counts.group_by(["path", "hour", "last_cell"]).agg(pl.col("good").sum()),
        flags=tuple(flags),
    )


def _break_power_share(
    model: Model, pieces: pl.DataFrame, meter_frame: pl.DataFrame
) -> pl.DataFrame:
    """Return per site how much of its idle power equipment draws in planned breaks.

    A site may switch its machines off in breaks or leave them idling; the state records say
    "break" either way. The sub-meters of production equipment tell: the share ``b`` in
    [0, 1] (break power = off + b (idle - off)) that fits their full hours best in least
    squares. A site without such a meter, or without breaks, keeps 1 (idling, the more
    wasteful reading, so that waste is not hidden).
    """
    produces = {p: i.role is EquipmentRole.PRODUCTION for p, i in model.equipment.items()}
    rows: list[dict[str, object]] = []
    for path, info in sorted(model.meters.items()):
        if info.owner_path in model.sites or info.meter.medium != "electricity":
            continue
        prefix = info.owner_path + "/"
        members = [p for p in model.equipment if (p + "/").startswith(prefix)]
        if not members or not all(produces[p] for p in members):
            continue
        site = "/".join(info.owner_path.split("/")[:2])
        mine = pieces.filter(pl.col("path").is_in(members))
        x = mine.group_by("hour").agg(
            pl.when(pl.col("category") == "break")
            .then(pl.col("off_kw"))
            .otherwise(
                pl.coalesce(
                    *(pl.when(pl.col("category") == c).then(pl.col(f"{c}_kw")) for c in CATEGORIES)
                )
            )
            .mul(pl.col("seconds") / 3600.0)
            .sum()
            .alias("x0"),
            pl.when(pl.col("category") == "break")
            .then((pl.col("idle_kw") - pl.col("off_kw")) * pl.col("seconds") / 3600.0)
            .otherwise(0.0)
            .sum()
            .alias("b"),
        )
        y = meter_frame.filter((pl.col("meter") == path) & (pl.col("seconds") == 3600.0))
        joined = y.join(x, on="hour").filter(pl.col("b") > 0)
        if joined.height:
            rows.append(
                {
                    "site": site,
                    "num": float(((joined["kwh"] - joined["x0"]) * joined["b"]).sum()),
                    "den": float((joined["b"] ** 2).sum()),
                }
            )
    if not rows:
        return pl.DataFrame(schema={"site": pl.Utf8, "break_share": pl.Float64})
    return (
        pl.DataFrame(rows)
        .group_by("site")
        .agg((pl.col("num").sum() / pl.col("den").sum()).clip(0.0, 1.0).alias("break_share"))
    )


def _by_product(eq_hours: pl.DataFrame, counts: pl.DataFrame) -> pl.DataFrame:
    """Energy of each equipment hour shared among the products it counted in that hour."""
    shares = counts.with_columns(
        share=pl.col("good") / pl.col("good").sum().over(["path", "hour"]).clip(lower_bound=1)
    )
    energy = eq_hours.group_by(["path", "hour"]).agg(pl.col("kwh").sum())
    attributed = (
        shares.join(energy, on=["path", "hour"], how="inner")
        .with_columns(kwh=pl.col("kwh") * pl.col("share"))
        .group_by("product")
        .agg(pl.col("kwh").sum())
    )
    units = (
        counts.filter(pl.col("last_cell"))
        .group_by("product")
        .agg(pl.col("good").sum().alias("units"))
    )
    return (
        units.join(attributed, on="product", how="full", coalesce=True)
        .with_columns(pl.col("units").fill_null(0), pl.col("kwh").fill_null(0.0))
        .with_columns(
            kwh_per_unit=pl.when(pl.col("units") > 0)
            .then(pl.col("kwh") / pl.col("units"))
            .otherwise(None)
        )
        .sort("product")
    )


def _site_hours(
    model: Model,
    eq_hours: pl.DataFrame,
    meter_frame: pl.DataFrame,
    tariffs: pl.DataFrame,
    counts: pl.DataFrame,
) -> pl.DataFrame:
    site_meter = _site_meters(model)
    metered = meter_frame.join(
        pl.DataFrame(
            {"meter": list(site_meter.values()), "site": list(site_meter.keys())},
            schema={"meter": pl.Utf8, "site": pl.Utf8},
        ),
        on="meter",
    ).select("site", "hour", "kwh", "seconds")
    on = (
        eq_hours.filter(pl.col("produces"))
        .group_by(["site", "hour"])
        .agg(
            (pl.col("seconds").filter(pl.col("category") != "off").sum() / 3600.0).alias(
                "producing"
            ),
            (pl.col("kwh").filter(pl.col("category") == "off").sum()).alias("off_kwh"),
        )
    )
    rest = (
        eq_hours.filter(~pl.col("produces"))
        .group_by(["site", "hour"])
        .agg(pl.col("kwh").sum().alias("utility_kwh"))
    )
    units = (
        counts.filter(pl.col("last_cell"))
        .group_by(["site", "hour"])
        .agg(pl.col("good").sum().alias("units"))
    )
    return (
        metered.join(on, on=["site", "hour"], how="left")
        .join(rest, on=["site", "hour"], how="left")
        .join(units, on=["site", "hour"], how="left")
        .join(tariffs, on=["site", "hour"], how="left")
        .with_columns(
            pl.col("producing", "off_kwh", "utility_kwh").fill_null(0.0),
            pl.col("units").fill_null(0),
        )
        .sort(["site", "hour"])
    )


def base_load(site_hours: pl.DataFrame) -> pl.DataFrame:
    """Return per site and hour the base load (kW) of the full hours when nothing produces:
    the site meter less the production machines' off power (what is left is lighting, HVAC,
    leaks and the utilities that serve them)."""
    return site_hours.filter(
        (pl.col("producing") <= 0.0) & (pl.col("seconds") == 3600.0)
    ).with_columns(base_kw=pl.col("kwh") - pl.col("off_kwh"))


def _drift(hours: np.ndarray, kw: np.ndarray) -> float:
    """Slope of the base load, kW per week (least squares), 0 with fewer than two weeks."""
    if hours.size < 2 or float(hours.max() - hours.min()) < 14 * 24:
        return 0.0
    weeks = (hours - hours.min()) / (7 * 24)
    slope = np.polyfit(weeks, kw, 1)[0]
    return float(slope)


def _by_site(
    site_hours: pl.DataFrame, priced: pl.DataFrame, waste: pl.DataFrame, sites: Sequence[str]
) -> pl.DataFrame:
    base = base_load(site_hours)
    rows = []
    for site in sites:
        hours = site_hours.filter(pl.col("site") == site)
        b = base.filter(pl.col("site") == site)
        mine = priced.filter(pl.col("site") == site)
        w = waste.filter(pl.col("site") == site)
        units = int(hours["units"].sum()) if hours.height else 0
        metered = float(hours["kwh"].sum()) if hours.height else 0.0
        rows.append(
            {
                "site": site,
                "metered_kwh": metered,
                "modelled_kwh": float(mine["kwh"].sum()),
                "base_kw": float(b["base_kw"].median()) if b.height else None,  # type: ignore[arg-type]
                "base_drift_kw_per_week": _drift(
                    b["hour"].to_numpy().astype(float), b["base_kw"].to_numpy()
                )
                if b.height
                else 0.0,
                "units": units,
                "kwh_per_unit": metered / units if units else None,
                "cost": float((hours["kwh"] * hours["price_per_kwh"]).sum())
                if hours.height
                else 0.0,
                "kg_co2e": float((hours["kwh"] * hours["gco2e_per_kwh"]).sum()) / 1000.0
                if hours.height
                else 0.0,
                "waste_kwh": float(w["kwh"].sum()),
                "waste_cost": float(w["cost"].sum()),
                "waste_kg_co2e": float(w["kg_co2e"].sum()),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "site": pl.Utf8,
            "metered_kwh": pl.Float64,
            "modelled_kwh": pl.Float64,
            "base_kw": pl.Float64,
            "base_drift_kw_per_week": pl.Float64,
            "units": pl.Int64,
            "kwh_per_unit": pl.Float64,
            "cost": pl.Float64,
            "kg_co2e": pl.Float64,
            "waste_kwh": pl.Float64,
            "waste_cost": pl.Float64,
            "waste_kg_co2e": pl.Float64,
        },
    )
