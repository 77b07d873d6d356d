"""The fit aggregated in the store and streamed by failure mode learns what the in-memory fit did.

The in-memory fit (every sample read, one condition grid, one pooled frame) is rebuilt here
from the app's own pieces as the oracle; on DuckDB and PostgreSQL the store's sums give
the same condition grid, and the streamed fit the same training rows, risks and decisions.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from andon import records
from andon.apps.maintenance import MaintenanceApp, MaintenanceSettings
from andon.apps.maintenance.app import POOLED
from andon.apps.maintenance.history import (
    class_grid,
    condition_grid,
    condition_steps,
    load_history,
    running_fraction,
)
from andon.apps.maintenance.pooled import normalise_samples, tag_scales
from andon.model import Model
from andon.records import RecordKind
from andon.store import Store
from conftest import HOUR, T0, Synthetic

SETTINGS = MaintenanceSettings(rounds=40)


def _with_states_and_bad_samples(synthetic: Synthetic, store: Store) -> int:
    """Copy the synthetic history into ``store``, with idle spells and bad samples added.

    Every equipment idles six hours a day from an instant inside an hour (samples taken
    then must not count), and one sample in fifty is of bad quality.
    """
    source = synthetic.store
    samples = pl.from_arrow(source.samples())
    assert isinstance(samples, pl.DataFrame)
    quality = ["bad" if i % 50 == 0 else "good" for i in range(samples.height)]
    store.write(
        RecordKind.SAMPLE,
        records.samples(
            ts=samples["ts"].dt.epoch("us").to_list(),
            path=samples["path"].to_list(),
            value=samples["value"].to_list(),
            quality=quality,
        ),
    )
    store.write(RecordKind.MAINTENANCE, source.records(RecordKind.MAINTENANCE))
    days = (synthetic.until - T0) // (24 * HOUR)
    ts: list[int] = []
    paths: list[str] = []
    states: list[str] = []
    for k, path in enumerate(synthetic.model.equipment):
        for day in range(days):
            idle_from = T0 + day * 24 * HOUR + (2 + k) * HOUR + 20 * 60_000_000
            ts += [idle_from, idle_from + 6 * HOUR]
            paths += [path, path]
            states += ["idle", "running"]
    store.write(RecordKind.STATE, records.states(ts=ts, path=paths, state=states))
    return synthetic.until - 24 * HOUR


def _in_memory(store: Store, model: Model, until: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The fit's input as the app built it before the store summed: (grid, pooled rows)."""
    app = MaintenanceApp(settings=SETTINGS)
    start = int(until - SETTINGS.fit_lookback_h * HOUR)
    history = load_history(store, model, start=start, end=until)
    grid = running_fraction(
        history.states,
        condition_grid(
            normalise_samples(history.samples, model),
            start=start,
            end=until,
            equipment=list(model.equipment),
            states=history.states,
        ),
    )
    origins = app._origins(model, history.maintenance, until)
    frame = app._pooled_frame(model, grid, history, until, origins=origins)
    return grid, frame


@pytest.fixture
def plant(synthetic: Synthetic, store: Store) -> tuple[Store, Model, int]:
    return store, synthetic.model, _with_states_and_bad_samples(synthetic, store)


def test_the_store_sums_give_the_in_memory_condition_grid(
    plant: tuple[Store, Model, int],
) -> None:
    store, model, until = plant
    start = until - 20 * 24 * HOUR + 17  # not on an hour
    old, _ = _in_memory(store, model, until)
    old = old.filter(pl.col("t") >= (start // HOUR) * HOUR)
    steps = condition_steps(store, model, start=start, end=until, scales=tag_scales(model))
    assert steps.stopped.height > 0  # the idle spells are seen
    history = load_history(store, model, start=start, end=until)
    old = running_fraction(
        history.states,
        condition_grid(
            normalise_samples(history.samples, model),
            start=start,
            end=until,
            equipment=list(model.equipment),
            states=history.states,
        ),
    )
    for cls_id in model.classes:
        members = [p for p, i in model.equipment.items() if i.equipment_class.id == cls_id]
        new = class_grid(steps, members)
        expected = old.filter(pl.col("equipment").is_in(members)).sort(["equipment", "t"])
        assert new.height == expected.height
        assert new["equipment"].to_list() == expected["equipment"].to_list()
        for column in new.columns[1:]:
            a = expected[column].cast(pl.Float64).to_numpy()
            b = new[column].cast(pl.Float64).to_numpy()
            assert np.array_equal(np.isnan(a), np.isnan(b)), column
            assert np.allclose(a, b, equal_nan=True, rtol=0, atol=1e-9), column
        # Idle hours hold fewer samples: some hours' means must differ from all samples'.
        assert (new["__running"] == 0.0).any()


def test_the_streamed_fit_learns_the_same_risks(plant: tuple[Store, Model, int]) -> None:
    store, model, until = plant
    _, frame = _in_memory(store, model, until)
    s = SETTINGS
    app = MaintenanceApp(settings=SETTINGS)
    oracle = app.fit_pooled(frame)
    report = app.fit(store, model, until=until)
    streamed = app._models[POOLED].model
    assert streamed is not None
    assert report.rows == frame.height
    assert report.metrics["failures_seen"] == frame.filter("observed")["life"].n_unique()
    assert streamed.features == oracle.features
    assert streamed.metrics["rows"] == oracle.metrics["rows"]
    assert streamed.normaliser is not None
    assert oracle.normaliser is not None
    for regime, stats in oracle.normaliser.stats.items():
        for signal, (mean, spread) in stats.items():
            stat = streamed.normaliser.stats[regime][signal]
            assert stat == pytest.approx((mean, spread), rel=1e-9, abs=1e-12)
    _, want = oracle.predict(frame)  # the oracle's risks
    _, got = streamed.predict(frame)
    # The training rows agree to 1e-11 (rolling sums over other frame shapes); the boosted
    # trees' thresholds follow such noise, so the risks agree within a tolerance.
    assert np.abs(got.p_fail - want.p_fail).max() < 0.05
    assert np.abs(got.p_fail - want.p_fail).mean() < 0.005
    assert np.abs(got.rul - want.rul).mean() < 0.02 * s.rul_cap_h
    assert got.curve is not None
    assert want.curve is not None
    assert np.abs(got.curve - want.curve).mean() < 0.005
