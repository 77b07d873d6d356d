"""Passports from the records: one equals the same unit's in a batch, energy is conserved,
lots come from the genealogy, and units without a passport are refused with the reason."""

from __future__ import annotations

import re
from dataclasses import replace

import polars as pl
import pytest

from andon.model import Model, load_model
from andon.model.plant import Model as PlantModelView
from andon.passport import (
    PassportError,
    UnknownPassportError,
    passport,
    passport_id,
    passports,
)
from andon.records import RecordKind, inspections, units
from andon.sim.sinks import MemorySink
from andon.store import DuckDBStore, Store
from andon.store.energy_queries import meter_hours, tariff_hours
from andon.time import DAY_US, HOUR_US
from conftest import END, ROOT, fill

SITE_METER = "nordcell/skelleftea/utility_meter"


@pytest.fixture(scope="module")
def batch(battery_store: Store, battery_model: Model) -> list:
    return passports(battery_store, battery_model, start=0, end=END)


def test_one_passport_equals_the_same_units_passport_in_the_batch(
    battery_store: Store, battery_model: Model, batch: list
) -> None:
    for index in (0, len(batch) // 2, len(batch) - 1):
        one = passport(battery_store, battery_model, batch[index].serial)
        # the carbon share is a sum of floats whose order may differ between the two reads
        assert replace(one, carbon=batch[index].carbon) == batch[index]
        assert one.carbon.kwh == pytest.approx(batch[index].carbon.kwh, rel=1e-12)
        assert one.carbon.kg_co2e == pytest.approx(batch[index].carbon.kg_co2e, rel=1e-12)


def test_every_tested_unit_has_a_passport_with_its_lots(battery_store: Store, batch: list) -> None:
    tested = pl.from_arrow(battery_store.records(RecordKind.INSPECTION))
    assert isinstance(tested, pl.DataFrame)
    assert sorted(p.serial for p in batch) == sorted(tested["serial"].unique().to_list())
    links = pl.from_arrow(battery_store.records(RecordKind.GENEALOGY))
    assert isinstance(links, pl.DataFrame)
    parents = links.group_by("child").agg(pl.col("parent").unique().sort())
    expected = dict(zip(parents["child"].to_list(), parents["parent"].to_list(), strict=True))
    for found in batch:
        assert list(found.lots) == expected[found.serial]
        assert found.manufactured_us == max(t.ts_us for t in found.tests)
        assert found.started_us < found.manufactured_us


def test_the_site_energy_of_a_working_day_is_shared_out_whole(
    battery_store: Store, battery_model: Model, batch: list
) -> None:
    start = min(p.started_us for p in batch)
    day = start - start % DAY_US
    hours = pl.from_arrow(
        meter_hours(battery_store, meters=[SITE_METER], start=day, end=day + DAY_US + HOUR_US)
    )
    carbon = pl.from_arrow(
        tariff_hours(
            battery_store, sites=["nordcell/skelleftea"], start=day, end=day + DAY_US + HOUR_US
        )
    )
    assert isinstance(hours, pl.DataFrame)
    assert isinstance(carbon, pl.DataFrame)
    # a reading at midnight closes the day's last interval: read past it, keep the day's hours
    joined = hours.join(carbon.select("hour", "gco2e_per_kwh"), on="hour").filter(
        pl.col("hour") < (day + DAY_US) // HOUR_US
    )
    metered_kwh = float(joined["kwh"].sum())
    metered_kg = float((joined["kwh"] * joined["gco2e_per_kwh"]).sum()) / 1000
    # units that started that day and finished the next share the next day's energy too
    ours = [p for p in batch if p.started_us < day + DAY_US and p.manufactured_us < day + DAY_US]
    assert len(ours) == len(batch)
    assert sum(p.carbon.kwh for p in ours) == pytest.approx(metered_kwh, rel=1e-9)
    assert sum(p.carbon.kg_co2e for p in ours) == pytest.approx(metered_kg, rel=1e-9)
    assert all(p.carbon.direct_kwh > 0 and p.carbon.unpriced_kwh == 0 for p in ours)


def test_an_hour_without_a_tariff_is_unpriced_not_zero(
    battery_sink: MemorySink, battery_model: Model
) -> None:
    store = DuckDBStore(None)
    fill(store, battery_sink)
    first = passports(store, battery_model, start=0, end=END)[0]
    bare = DuckDBStore(None)
    for kind in (RecordKind.UNIT, RecordKind.INSPECTION, RecordKind.GENEALOGY, RecordKind.ENERGY):
        bare.write(kind, battery_sink.table(kind))
    unpriced = passport(bare, battery_model, first.serial)
    assert unpriced.carbon.kwh == pytest.approx(first.carbon.kwh)
    assert unpriced.carbon.unpriced_kwh == pytest.approx(first.carbon.kwh)
    assert unpriced.carbon.kg_co2e == 0


def test_units_without_a_passport_are_refused_with_the_reason(battery_model: Model) -> None:
    store = DuckDBStore(None)
    station = "nordcell/skelleftea/assembly/m1/formation/rack1"
    store.write(
        "unit",
        units(
            ts=[HOUR_US],
            serial="SN-OPEN",
            path=station,
            product="MOD-12S",
            parameter="x",
            value=[1.0],
        ),
    )
    store.write(
        "unit",
        units(
            ts=[HOUR_US],
            serial="SN-OTHER",
            path=station,
            product="NOPE",
            parameter="x",
            value=[1.0],
        ),
    )
    with pytest.raises(UnknownPassportError) as unknown:
        passport(store, battery_model, "SN-404")
    assert unknown.value.code == "passport.unknown"
    with pytest.raises(PassportError) as unfinished:
        passport(store, battery_model, "SN-OPEN")
    assert unfinished.value.code == "passport.unfinished"
    with pytest.raises(PassportError) as other:
        passport(store, battery_model, "SN-OTHER")
    assert other.value.code == "passport.unknown_product"
    with pytest.raises(PassportError) as empty:
        passport(store, battery_model, " ")
    assert empty.value.code == "passport.invalid"
    plain = battery_model.plant.model_copy(
        update={
            "products": tuple(
                p.model_copy(update={"battery": None}) for p in battery_model.plant.products
            )
        }
    )
    store.write(
        "inspection",
        inspections(ts=[2 * HOUR_US], serial="SN-OPEN", path=station, test="t", passed=[True]),
    )
    with pytest.raises(PassportError) as not_battery:
        passport(store, PlantModelView(plain), "SN-OPEN")
    assert not_battery.value.code == "passport.not_a_battery"
    assert passport(store, battery_model, "SN-OPEN").carbon.kwh == 0


@pytest.mark.services
def test_postgres_builds_the_same_passports(
    postgres_store: Store, battery_sink: MemorySink, battery_model: Model, batch: list
) -> None:
    fill(postgres_store, battery_sink)
    again = passports(postgres_store, battery_model, start=0, end=END)
    assert [p.serial for p in again] == [p.serial for p in batch]
    for mine, theirs in zip(again, batch, strict=True):
        assert mine.lots == theirs.lots
        assert mine.tests == theirs.tests
        assert mine.carbon.kwh == pytest.approx(theirs.carbon.kwh)
        assert mine.carbon.kg_co2e == pytest.approx(theirs.carbon.kg_co2e)


def test_passport_ids_fit_the_data_models_pattern_and_stay_apart(battery_model: Model) -> None:
    ids = {passport_id(battery_model, s) for s in ("SN-1", "sn1", "SN_1", "Sn-1")}
    assert len(ids) == 4
    assert all(re.fullmatch(r"urn:[a-z0-9]+:[a-z0-9]+", i) for i in ids)
    assert passport_id(battery_model, "SN-1") == passport_id(battery_model, "SN-1")


def test_a_plant_without_batteries_has_no_passports() -> None:
    model = load_model(ROOT / "examples" / "discrete")
    assert all(p.battery is None for p in model.plant.products)
    store = DuckDBStore(None)
    assert passports(store, model, start=0, end=END) == []
