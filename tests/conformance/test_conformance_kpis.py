"""Every KPI of :data:`andon.kpi.KPI_DEFINITIONS` under the same generic checks.

A new KPI gets them as new test ids: the order of the input records does not matter, its
values stay within its declared bounds at every grain (ISO 22400-2 ratios in [0, 1]), it is
null (never 0.0 nor NaN) when its denominator is zero, and it is computed on summed
elements (twice the same period gives the same value). The records are the conformance
plant's five simulated weeks (states, counts, inspections, work orders, meters).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import polars as pl
import pytest

from andon.kpi import ELEMENT_COLUMNS, KPI_DEFINITIONS, Grain, KpiDefinition, aggregate, compute
from andon.kpi import kpis as kpi_values
from andon.store import DuckDBStore
from conformance.conformance_plant import History, copy_records

DAY_US = 86_400_000_000
kpi_ids = pytest.mark.parametrize("kpi", KPI_DEFINITIONS, ids=lambda k: k.name)


def test_the_kpi_registry_is_not_empty() -> None:
    assert KPI_DEFINITIONS, "no KPI is defined in andon.kpi"


@pytest.fixture(scope="module")
def elements(history: History) -> pl.DataFrame:
    """Equipment-day elements of the history's last two weeks, computed in Polars."""
    start = history.now - 14 * DAY_US
    run = compute(history.store, history.model, start=start, end=history.now, in_store=False)
    return run.elements


@pytest.fixture(scope="module")
def shuffled_elements(history: History) -> Iterator[pl.DataFrame]:
    """The same elements from the same records written in no order into another store."""
    store = DuckDBStore(None)
    try:
        copy_records(history.store, store, seed=5)
        start = history.now - 14 * DAY_US
        yield compute(store, history.model, start=start, end=history.now, in_store=False).elements
    finally:
        store.close()


def _values(elements: pl.DataFrame, grain: Grain, *, by_period: bool = True) -> pl.DataFrame:
    keys = ["path", "period_start"] if by_period else ["path"]
    names = [k.name for k in KPI_DEFINITIONS]
    return kpi_values(aggregate(elements, grain, by_period=by_period)).select(*keys, *names)


def test_every_kpi_has_a_value_on_the_conformance_plant(elements: pl.DataFrame) -> None:
    table = _values(elements, Grain.SITE, by_period=False)
    empty = [k.name for k in KPI_DEFINITIONS if table[k.name].drop_nulls().is_empty()]
    assert not empty, f"no value on the conformance plant, so unchecked: {empty}"


def _close(first: list[float | None], second: list[float | None]) -> bool:
    """Whether two lists of values agree: nulls in the same places, numbers to 1e-9."""
    return len(first) == len(second) and all(
        (a is None and b is None)
        or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12))
        for a, b in zip(first, second, strict=True)
    )


@kpi_ids
def test_the_order_of_input_records_does_not_matter(
    kpi: KpiDefinition, elements: pl.DataFrame, shuffled_elements: pl.DataFrame
) -> None:
    for grain in (Grain.EQUIPMENT, Grain.LINE, Grain.SITE):
        first = _values(elements, grain).select("path", "period_start", kpi.name)
        second = _values(shuffled_elements, grain).select("path", "period_start", kpi.name)
        assert second.equals(first), f"{kpi.name} at the {grain.value} grain"


@kpi_ids
def test_the_order_of_element_rows_does_not_matter(
    kpi: KpiDefinition, elements: pl.DataFrame
) -> None:
    shuffled = elements.sample(fraction=1.0, shuffle=True, seed=3)
    for grain in Grain:
        first = _values(elements, grain, by_period=False)[kpi.name].to_list()
        second = _values(shuffled, grain, by_period=False)[kpi.name].to_list()
        assert _close(first, second), f"{grain.value}: {first} vs {second}"


@kpi_ids
def test_values_stay_within_the_declared_bounds(kpi: KpiDefinition, elements: pl.DataFrame) -> None:
    for grain in Grain:
        for by_period in (True, False):
            values = _values(elements, grain, by_period=by_period)[kpi.name].drop_nulls()
            for value in values.to_list():
                assert math.isfinite(value), f"{kpi.name} = {value} at {grain.value}"
                assert value >= 0.0, f"{kpi.name} = {value} at {grain.value}"
                if kpi.upper is not None:
                    assert value <= kpi.upper + 1e-9, f"{kpi.name} = {value} at {grain.value}"


@kpi_ids
def test_a_zero_denominator_gives_no_value(
    kpi: KpiDefinition, elements: pl.DataFrame, history: History
) -> None:
    # Every element zero: every KPI's denominator is zero (no time, no production, no
    # failure, no energy), so the KPI has no value; 0.0 would read as a measured zero.
    machine = elements.filter(pl.col("path").is_in(list(history.model.equipment))).head(1)
    assert machine.height == 1
    zero = machine.with_columns(
        [pl.lit(0, dtype=elements.schema[c]).alias(c) for c in ELEMENT_COLUMNS]
    )
    value = _values(zero, Grain.EQUIPMENT)[kpi.name].to_list()
    assert value == [None], f"{kpi.name} of nothing is {value}"


@kpi_ids
def test_twice_the_same_period_gives_the_same_value(
    kpi: KpiDefinition, elements: pl.DataFrame
) -> None:
    # A KPI is a formula on summed elements, never a mean of KPIs: a period counted twice
    # weighs twice in every sum and leaves the value unchanged.
    once = _values(elements, Grain.SITE, by_period=False)[kpi.name].to_list()
    twice = _values(pl.concat([elements, elements]), Grain.SITE, by_period=False)[kpi.name]
    assert _close(once, twice.to_list()), f"{once} vs {twice.to_list()}"
