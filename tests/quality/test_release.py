"""Real-time release of batches on the batch template (``examples/batch``).

Sixty simulated days of the resin plant give about 125 batches with their lab assays. The
simulator records a batch's assay the moment it leaves the dryer; in a plant the result
comes hours later. The store the app sees here holds the assays of the first 57 days only,
so the batches of the last three days (about five) are decided on before their lab
results, which are then written and measured as the decisions' outcomes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from andon.apps.quality import REAL_TIME_RELEASE, QualityApp, QualitySettings
from andon.apps.quality.release import ReleaseRegion, fit_region
from andon.apps.quality.spc import CannotJudge
from andon.decisions import DecisionService, Principal, Role, Status
from andon.decisions._schema import ensure_schema
from andon.errors import InsufficientHistoryError
from andon.model import Model, load_model
from andon.proposals import Proposal, validate_action
from andon.records import RecordKind
from andon.sim import simulate
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore
from andon.time import DAY_US, HOUR_US

BATCH = Path(__file__).resolve().parents[2] / "examples" / "batch"
DAYS = 60.0
WITHHELD_DAYS = 3.0


@dataclass(frozen=True, slots=True)
class Plant:
    model: Model
    store: DuckDBStore
    """Everything but the lab results of the last days."""
    withheld: pa.Table
    """Those lab results."""
    now: int


@pytest.fixture(scope="module")
def plant() -> Iterator[Plant]:
    model = load_model(BATCH)
    full = DuckDBStore(None)
    result = simulate(model, days=DAYS, seed=1, sink=PipelineSink.into(full, model=model))
    cut = result.end_us - round(WITHHELD_DAYS * DAY_US)
    store = DuckDBStore(None)
    withheld = pa.table({})
    for kind in RecordKind:
        table = full.records(kind)
        if table.num_rows == 0:
            continue
        if kind is RecordKind.INSPECTION:
            ts = pc.cast(table.column("ts"), pa.int64())
            withheld = table.filter(pc.greater_equal(ts, cut))
            table = table.filter(pc.less(ts, cut))
        store.write(kind, table, batch_id=f"copy:{kind.value}")
    full.close()
    try:
        yield Plant(model=model, store=store, withheld=withheld, now=result.end_us)
    finally:
        store.close()


def _app() -> QualityApp:
    return QualityApp(settings=QualitySettings(propose_window_h=24.0 * WITHHELD_DAYS))


@pytest.fixture(scope="module")
def proposed(plant: Plant) -> tuple[QualityApp, list[Proposal]]:
    app = _app()
    # the risk model has too few failed assays on a batch plant; the regions still fit
    report = app.fit(plant.store, plant.model, until=plant.now - round(WITHHELD_DAYS * DAY_US))
    assert any("no unit risk model" in note for note in report.notes)
    assert report.metrics["release_confidence:RES-A"] > 0.9
    return app, app.propose(plant.store, plant.model, now=plant.now)


def test_batches_inside_the_region_are_proposed_for_release_before_the_lab(
    plant: Plant, proposed: tuple[QualityApp, list[Proposal]]
) -> None:
    app, proposals = proposed
    releases = [p for p in proposals if p.action.kind == REAL_TIME_RELEASE]
    waiting = app.batches_awaiting_lab(plant.store, plant.model, now=plant.now)
    withheld = set(plant.withheld.column("serial").to_pylist())
    inside = set(waiting.filter(pl.col("inside")).get_column("serial").to_list())
    assert len(waiting) >= 3
    assert set(waiting.get_column("serial").to_list()) <= withheld
    assert inside
    assert {p.action.units[0] for p in releases} == inside
    for p in releases:
        validate_action(p.action)
        assert p.subject == "chemco/ludwigshafen/synthesis/train1"
        assert 0.9 < p.confidence < 1.0
        assert "confidence" in p.explanation
        assert p.expected_value > 0
        assert p.evidence["t2"] <= p.evidence["limit"]
        assert len(p.action.lots) == 1


def test_a_batch_outside_the_region_waits_for_its_lab_result(
    plant: Plant, proposed: tuple[QualityApp, list[Proposal]]
) -> None:
    app, proposals = proposed
    regions = {r.product: r for r in app.release_regions(plant.store, now=plant.now)}
    region = regions["RES-A"]
    centre = np.asarray(region.mean)
    far = centre + 6 * np.asarray(region.scale) * np.eye(len(centre))[0]
    t2 = region.t2(np.vstack([centre, far]))
    assert t2[0] == pytest.approx(0.0, abs=1e-9)
    assert t2[1] > region.limit
    outside = app.batches_awaiting_lab(plant.store, plant.model, now=plant.now).filter(
        ~pl.col("inside")
    )
    released = {p.action.units[0] for p in proposals}
    assert not set(outside.get_column("serial").to_list()) & released


def test_the_lab_result_is_measured_as_the_outcome_through_the_workflow(
    plant: Plant, proposed: tuple[QualityApp, list[Proposal]]
) -> None:
    app, proposals = proposed
    release = next(p for p in proposals if p.action.kind == REAL_TIME_RELEASE)
    store = plant.store
    ensure_schema(store)
    service = DecisionService(store=store, clock=lambda: plant.now)
    (record,) = service.propose([release], now=plant.now)
    engineer = Principal(username="quality", role=Role.ADMIN, sites=("*",))
    approved = service.approve(record.id, who=engineer, now=plant.now)
    assert approved.status is Status.APPROVED
    assert approved.action.kind == REAL_TIME_RELEASE
    # before the lab result there is nothing to measure yet
    assert app.outcome(
        store, plant.model, action=approved.action, decided_at=plant.now, now=plant.now
    ) is None  # fmt: skip
    serial = approved.action.units[0]
    store.write(RecordKind.INSPECTION, plant.withheld, batch_id="lab")
    later = plant.now + HOUR_US
    outcome = app.outcome(
        store, plant.model, action=approved.action, decided_at=plant.now, now=later
    )
    assert outcome is not None
    lab = [r for r in plant.withheld.to_pylist() if r["serial"] == serial]
    assert outcome.success is all(r["passed"] for r in lab)
    assert outcome.detail["lab_results"] == 1
    service.execute(record.id, who=engineer, now=plant.now)  # the engineer released it
    measured = service.record_outcome(record.id, outcome=outcome, now=later)
    assert measured.has_outcome
    assert measured.outcome_success is outcome.success
    assert measured.outcome_detail["lab_failed"] == outcome.detail["lab_failed"]


def _synthetic(n: int, *, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.multivariate_normal([1.0, 10.0], [[1.0, 0.8], [0.8, 1.0]], size=n)
    return pl.DataFrame(
        {
            "serial": [f"b{k:04d}" for k in range(n)],
            "last_us": np.arange(n, dtype=np.int64),
            "passed": True,
            "c:x": x[:, 0],
            "c:y": x[:, 1],
        }
    )


def test_the_region_keeps_its_stated_false_alarm_rate_and_confidence() -> None:
    batches = _synthetic(2000)
    region = fit_region(
        batches, product="P", line="e/s/a/l", variables=("c:x", "c:y"), false_alarm_rate=0.05
    )
    assert isinstance(region, ReleaseRegion)
    assert region.measured_false_alarm == pytest.approx(0.05, abs=0.01)
    assert region.failed_inside == 0
    assert region.confidence == pytest.approx(1 - 0.5 / (region.inside + 1))
    # correlated variables: a batch off the correlation is outside though each value is usual
    off = np.array([[1.0 + 1.5, 10.0 - 1.5]])
    assert region.t2(off)[0] > region.limit
    parts = region.contributions(off)
    assert parts.sum() == pytest.approx(region.t2(off)[0])
    assert ReleaseRegion.from_json(region.to_json()) == region


def test_a_failed_batch_inside_lowers_the_confidence() -> None:
    batches = (
        _synthetic(200)
        .with_columns(
            passed=pl.Series([k != 150 for k in range(200)])  # a failure at the region's centre
        )
        .with_columns(
            pl.when(pl.col("passed")).then(pl.col("c:x")).otherwise(1.0).alias("c:x"),
            pl.when(pl.col("passed")).then(pl.col("c:y")).otherwise(10.0).alias("c:y"),
        )
    )
    region = fit_region(
        batches, product="P", line="e/s/a/l", variables=("c:x", "c:y"), false_alarm_rate=0.05
    )
    assert isinstance(region, ReleaseRegion)
    assert region.failed_inside == 1
    assert region.confidence == pytest.approx(1 - 1.5 / (region.inside + 1))


def test_too_few_batches_or_no_variation_cannot_be_judged() -> None:
    few = fit_region(
        _synthetic(15), product="P", line="l", variables=("c:x", "c:y"), false_alarm_rate=0.05
    )
    assert isinstance(few, CannotJudge)
    assert few.code == "quality.too_few_batches"
    assert "15 batches" in few.reason
    flat = fit_region(
        _synthetic(100).with_columns(pl.lit(2.0).alias("c:y")),
        product="P",
        line="l",
        variables=("c:x", "c:y"),
        false_alarm_rate=0.05,
    )
    assert isinstance(flat, CannotJudge)
    assert flat.code == "quality.no_variation"
    assert "c:y" in flat.reason
    none = fit_region(_synthetic(100), product="P", line="l", variables=(), false_alarm_rate=0.05)
    assert isinstance(none, CannotJudge)


def test_a_short_batch_history_says_what_it_cannot_judge(plant: Plant) -> None:
    app = _app()
    until = plant.now - round((DAYS - 4) * DAY_US)
    with pytest.raises(InsufficientHistoryError, match="too little inspection history"):
        app.fit(plant.store, plant.model, until=until)
    assert app.propose(plant.store, plant.model, now=until) == []
