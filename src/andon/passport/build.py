"""Build passports from the store: genealogy, quality and energy records, and the model.

A unit has a passport once its product declares a battery (``Product.battery``) and the
unit has been tested (an inspection record: its end-of-line test). Everything is read in
columns for a whole period at once: :func:`passports` builds every passport whose last
test falls in ``[start, end)``; :func:`passport` builds one, through the same code over
the UTC day of its test, so that one passport and the same unit's passport in a month's
batch are equal.

The carbon share (:class:`~andon.passport.types.CarbonShare`): each hour's metered site
energy goes to the units at a station in that hour, in proportion to their station time
(the ``cycle_time_s`` of their station records, one second per record without it); the
energy of the day's hours without any unit at a station goes to the units of that day,
in proportion to their direct energy; each hour's energy is priced at that hour's grid
carbon (the site's tariff records). Energy of a day without production is in no passport.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Final
from urllib.parse import quote

import polars as pl
import pyarrow as pa

from andon.model import Model
from andon.model.schema import BatterySpec, Product
from andon.passport.errors import PassportError, UnknownPassportError
from andon.passport.types import CarbonShare, Measurement, Passport, TestResult
from andon.records import RecordKind
from andon.store import Store
from andon.store import genealogy_queries as q
from andon.store.energy_queries import meter_hours, tariff_hours
from andon.time import DAY_US, HOUR_US

__all__ = ["CYCLE_TIME_PARAMETER", "passport", "passport_id", "passport_url", "passports"]

CYCLE_TIME_PARAMETER: Final = "cycle_time_s"
"""The unit record that says how long the unit was at a station (not a measurement)."""

MAX_SERIAL_LENGTH: Final = 256


def passport_id(model: Model, serial: str) -> str:
    """Return a unit's passport identifier, ``urn:<enterprise>:<unit>``.

    The Battery Pass v1.2.0 pattern allows lower-case letters and digits only, so the
    serial is folded and a short SHA-256 digest keeps two serials that fold alike apart.

    >>> from andon.model import load_model
    >>> passport_id(load_model("examples/battery"), "SN-1")  # doctest: +SKIP
    'urn:nordcell:sn1ab12cd34'
    """
    folded = re.sub(r"[^a-z0-9]", "", serial.lower())
    digest = hashlib.sha256(serial.encode()).hexdigest()[:8]
    root = re.sub(r"[^a-z0-9]", "", model.root.lower()) or "andon"
    return f"urn:{root}:{folded}{digest}"


def passport_url(spec: BatterySpec, serial: str) -> str:
    """Return the stable URL of a unit's passport (the target of its QR code)."""
    return f"{spec.passport_url.rstrip('/')}/{quote(serial, safe='')}"


def _check_serial(serial: str) -> str:
    if not serial or not serial.strip():
        raise PassportError("a serial is required", serial=serial, code="passport.invalid")
    if len(serial) > MAX_SERIAL_LENGTH or any(not c.isprintable() for c in serial):
        shown = serial[:40].encode("unicode_escape").decode()
        raise PassportError(
            f"not a serial: longer than {MAX_SERIAL_LENGTH} characters or holds control characters",
            serial=shown,
            code="passport.invalid",
        )
    return serial


def passport(store: Store, model: Model, serial: str) -> Passport:
    """Return the passport of one unit; raise :class:`UnknownPassportError` if no unit
    record names it, :class:`PassportError` if it is not a battery or not yet tested.

    >>> from andon.store import open_store
    >>> from andon.model import load_model
    >>> passport(open_store("duckdb://:memory:"), load_model("examples/battery"), "SN-1")
    Traceback (most recent call last):
    ...
    andon.passport.errors.UnknownPassportError: no passport for 'SN-1' (1 problem(s)):
      no unit record names 'SN-1' (expected a finished battery unit) [passport.unknown]
    """
    _check_serial(serial)
    rows = q.unit_rows(store, serials=[serial])
    if rows.num_rows == 0:
        raise UnknownPassportError(serial)
    product_id = str(rows.column("product")[0].as_py())
    _battery_product(model, product_id, serial)
    tests = q.unit_inspections(store, serials=[serial])
    if tests.num_rows == 0:
        raise PassportError(
            "not finished: the unit has no end-of-line test yet",
            serial=serial,
            code="passport.unfinished",
        )
    tested = max(int(t) for t in tests.column("ts_us").to_pylist())
    day = tested - tested % DAY_US
    found = passports(store, model, start=day, end=day + DAY_US, serials=[serial])
    if not found:  # pragma: no cover - the test found above is in that day
        raise UnknownPassportError(serial)
    return found[0]


def _battery_product(model: Model, product_id: str, serial: str) -> tuple[Product, BatterySpec]:
    product = model.products.get(product_id)
    if product is None:
        raise PassportError(
            f"its product {product_id!r} is not in the plant model",
            serial=serial,
            code="passport.unknown_product",
        )
    if product.battery is None:
        raise PassportError(
            f"its product {product_id!r} declares no battery (Product.battery)",
            serial=serial,
            code="passport.not_a_battery",
        )
    return product, product.battery


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)  # a table gives a frame
    return frame


def _us(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(ts_us=pl.col("ts").dt.epoch("us")).drop("ts")


def passports(
    store: Store,
    model: Model,
    *,
    start: int,
    end: int,
    serials: Sequence[str] | None = None,
) -> list[Passport]:
    """Return the passport of every battery unit last tested in ``[start, end)``, by serial.

    ``serials`` keeps only those units (their carbon share is still computed among all the
    units of their hours and days).
    """
    batteries = {p.id: p for p in model.plant.products if p.battery is not None}
    if not batteries or end <= start:
        return []
    lo = start - start % DAY_US - DAY_US
    hi = end - end % DAY_US + 2 * DAY_US
    inspections = _us(_frame(store.records(RecordKind.INSPECTION, start=start, end=end)))
    if serials is not None:
        inspections = inspections.filter(pl.col("serial").is_in(list(serials)))
    if inspections.height == 0:
        return []
    units = _us(_frame(store.records(RecordKind.UNIT, start=lo, end=hi)))
    units = units.filter(pl.col("product").is_in(list(batteries)))
    wanted = (
        inspections.select("serial").unique().join(units.select("serial").unique(), on="serial")
    )
    if wanted.height == 0:
        return []
    shares = _carbon_shares(store, model, units, lo=lo, hi=hi)
    unit_rows = units.join(wanted, on="serial")
    tests = inspections.join(wanted, on="serial")
    lots = _lots(store, unit_rows, hi=hi)
    return _assemble(
        model, batteries=batteries, unit_rows=unit_rows, tests=tests, lots=lots, shares=shares
    )


def _lots(store: Store, unit_rows: pl.DataFrame, *, hi: int) -> dict[str, tuple[str, ...]]:
    """The lots each unit consumed: its records' lot and the parents of its genealogy."""
    serials = unit_rows.select("serial").unique()
    links = _frame(store.records(RecordKind.GENEALOGY, end=hi))
    parents = (
        links.select(pl.col("child").alias("serial"), pl.col("parent").alias("lot")).join(
            serials, on="serial"
        )
        if links.height
        else pl.DataFrame(schema={"serial": pl.Utf8, "lot": pl.Utf8})
    )
    own = unit_rows.select("serial", "lot").drop_nulls()
    both = pl.concat([own, parents]).unique().sort("serial", "lot")
    grouped = both.group_by("serial").agg(pl.col("lot"))
    return {
        str(s): tuple(ls)
        for s, ls in zip(grouped["serial"].to_list(), grouped["lot"].to_list(), strict=True)
    }


def _site_meters(model: Model) -> dict[str, str]:
    """The electricity meter of each site (its first, by path)."""
    found: dict[str, str] = {}
    for path, info in sorted(model.meters.items()):
        if info.owner_path in model.sites and info.meter.medium == "electricity":
            found.setdefault(info.owner_path, path)
    return found


def _carbon_shares(
    store: Store, model: Model, units: pl.DataFrame, *, lo: int, hi: int
) -> dict[str, CarbonShare]:
    """Each unit's share of its site's metered energy and carbon over ``[lo, hi)``."""
    site_meter = _site_meters(model)
    sites = sorted(site_meter)
    if not sites or units.height == 0:
        return {}
    meters = [site_meter[s] for s in sites]
    energy = _frame(meter_hours(store, meters=meters, start=lo, end=hi))
    if energy.height == 0:
        return {}
    energy = energy.select(
        pl.col("meter")
        .replace_strict(list(range(len(sites))), sites, return_dtype=pl.Utf8)
        .alias("site"),
        pl.col("hour").cast(pl.Int64),
        pl.col("kwh").cast(pl.Float64),
    )
    carbon = _frame(tariff_hours(store, sites=sites, start=lo, end=hi))
    if carbon.height:
        carbon = carbon.select(
            pl.col("site").replace_strict(list(range(len(sites))), sites, return_dtype=pl.Utf8),
            pl.col("hour").cast(pl.Int64),
            pl.col("gco2e_per_kwh").cast(pl.Float64),
        )
    else:
        carbon = pl.DataFrame(
            schema={"site": pl.Utf8, "hour": pl.Int64, "gco2e_per_kwh": pl.Float64}
        )
    hours = energy.join(carbon, on=["site", "hour"], how="left").with_columns(
        day=pl.col("hour") // 24
    )
    # One weight per unit and station visit: its cycle time, else one second per record.
    visits = (
        units.with_columns(site=pl.col("path").str.split("/").list.head(2).list.join("/"))
        .group_by("serial", "site", "path")
        .agg(
            ts_us=pl.col("ts_us").max(),
            seconds=pl.col("value").filter(pl.col("parameter") == CYCLE_TIME_PARAMETER).sum(),
            records=pl.len(),
        )
        .with_columns(
            weight=pl.when(pl.col("seconds") > 0)
            .then(pl.col("seconds"))
            .otherwise(pl.col("records").cast(pl.Float64)),
            hour=pl.col("ts_us") // HOUR_US,
        )
    )
    weights = visits.group_by("serial", "site", "hour").agg(pl.col("weight").sum())
    direct = (
        weights.with_columns(total=pl.col("weight").sum().over("site", "hour"))
        .join(hours, on=["site", "hour"])
        .with_columns(kwh=pl.col("kwh") * pl.col("weight") / pl.col("total"))
        .with_columns(
            kg=pl.col("kwh") * pl.col("gco2e_per_kwh") / 1000.0,
            unpriced=pl.when(pl.col("gco2e_per_kwh").is_null()).then(pl.col("kwh")).otherwise(0.0),
        )
    )
    busy = weights.select("site", "hour").unique()
    idle = (
        hours.join(busy, on=["site", "hour"], how="anti")
        .with_columns(
            kg=pl.col("kwh") * pl.col("gco2e_per_kwh") / 1000.0,
            unpriced=pl.when(pl.col("gco2e_per_kwh").is_null()).then(pl.col("kwh")).otherwise(0.0),
        )
        .group_by("site", "day")
        .agg(
            base_kwh=pl.col("kwh").sum(),
            base_kg=pl.col("kg").fill_null(0.0).sum(),
            base_unpriced=pl.col("unpriced").sum(),
        )
    )
    by_day = (
        direct.group_by("serial", "site", "day")
        .agg(pl.col("kwh").sum(), pl.col("kg").fill_null(0.0).sum(), pl.col("unpriced").sum())
        .with_columns(day_kwh=pl.col("kwh").sum().over("site", "day"))
        .join(idle, on=["site", "day"], how="left")
        .with_columns(
            share=pl.when(pl.col("day_kwh") > 0)
            .then(pl.col("kwh") / pl.col("day_kwh"))
            .otherwise(0.0)
        )
        .with_columns(
            base_kwh=pl.col("base_kwh").fill_null(0.0) * pl.col("share"),
            base_kg=pl.col("base_kg").fill_null(0.0) * pl.col("share"),
            base_unpriced=pl.col("base_unpriced").fill_null(0.0) * pl.col("share"),
        )
    )
    per_unit = by_day.group_by("serial").agg(
        direct=pl.col("kwh").sum(),
        base=pl.col("base_kwh").sum(),
        kg=(pl.col("kg") + pl.col("base_kg")).sum(),
        unpriced=(pl.col("unpriced") + pl.col("base_unpriced")).sum(),
    )
    return {
        str(row["serial"]): CarbonShare(
            direct_kwh=float(row["direct"]),
            base_kwh=float(row["base"]),
            kg_co2e=float(row["kg"]),
            unpriced_kwh=float(row["unpriced"]),
        )
        for row in per_unit.iter_rows(named=True)
    }


_NO_SHARE: Final = CarbonShare(direct_kwh=0.0, base_kwh=0.0, kg_co2e=0.0, unpriced_kwh=0.0)


def _assemble(
    model: Model,
    *,
    batteries: dict[str, Product],
    unit_rows: pl.DataFrame,
    tests: pl.DataFrame,
    lots: dict[str, tuple[str, ...]],
    shares: dict[str, CarbonShare],
) -> list[Passport]:
    """One passport per serial from its rows, tests, lots and carbon share."""
    limits = {(pid, s.parameter, s.cell): s for pid, p in batteries.items() for s in p.spec_limits}
    cells = {path: info.cell.id for path, info in model.equipment.items()}
    measured = unit_rows.filter(pl.col("parameter") != CYCLE_TIME_PARAMETER).sort(
        "serial", "ts_us", "parameter"
    )
    by_serial: dict[str, list[Measurement]] = {}
    for row in measured.iter_rows(named=True):
        limit = limits.get((row["product"], row["parameter"], cells.get(row["path"], "")))
        by_serial.setdefault(row["serial"], []).append(
            Measurement(
                parameter=row["parameter"],
                station=row["path"],
                ts_us=int(row["ts_us"]),
                value=float(row["value"]) if row["value"] is not None else float("nan"),
                unit=limit.unit if limit else "dimensionless",
                lsl=limit.lsl if limit else None,
                usl=limit.usl if limit else None,
            )
        )
    results: dict[str, list[TestResult]] = {}
    for row in tests.sort("serial", "ts_us").iter_rows(named=True):
        results.setdefault(row["serial"], []).append(
            TestResult(
                test=row["test"],
                station=row["path"],
                ts_us=int(row["ts_us"]),
                passed=bool(row["passed"]),
                value=None if row["value"] is None else float(row["value"]),
                defect_code=row["defect_code"],
            )
        )
    heads = (
        unit_rows.group_by("serial")
        .agg(
            product=pl.col("product").sort_by("ts_us").first(),
            path=pl.col("path").sort_by("ts_us").first(),
            started_us=pl.col("ts_us").min(),
        )
        .sort("serial")
    )
    out: list[Passport] = []
    for row in heads.iter_rows(named=True):
        serial = str(row["serial"])
        product = batteries[row["product"]]
        spec = product.battery
        assert spec is not None  # batteries holds products that declare one
        site_path = "/".join(str(row["path"]).split("/")[:2])
        site = model.sites[site_path]
        checks = tuple(results.get(serial, ()))
        out.append(
            Passport(
                serial=serial,
                product=product.id,
                description=product.description or product.id,
                site=site_path,
                site_name=site.name or site.id,
                site_address=site.address,
                identifier=passport_id(model, serial),
                url=passport_url(spec, serial),
                started_us=int(row["started_us"]),
                manufactured_us=max(t.ts_us for t in checks),
                lots=lots.get(serial, ()),
                measurements=tuple(by_serial.get(serial, ())),
                tests=checks,
                carbon=shares.get(serial, _NO_SHARE),
                spec=spec,
            )
        )
    return out
