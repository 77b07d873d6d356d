"""The flow app in the closed loop on a simulated plant that holds orders.

The conformance plant with a scenario holding every order after its mills for a long,
widely drawn time (a seed in whose decision epochs a hold is open past the typical one):
the one runtime fits the app on the history, it proposes to decide the holds that outlast
the typical one, a planner approves, the simulator executor ends those holds at the epoch,
and the app's outcome sees each order unheld.
"""

from __future__ import annotations

import polars as pl
import pytest

from andon.decisions import Status
from andon.model import Model
from andon.records import RecordKind
from andon.sim import SimResult, simulate
from andon.sim.policy import HoldRelease
from andon.sim.scenario import HoldRule, Scenario
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore
from conformance.conformance_plant import ClosedLoop, load_plant

HISTORY_DAYS = 12.0
HOLDS = Scenario(holds={"W1": HoldRule(cell="milling", share=1.0, mean_h=48.0, cv=1.0)})


@pytest.fixture(scope="module")
def loop() -> tuple[ClosedLoop, SimResult]:
    model: Model = load_plant()
    store = DuckDBStore(None)
    closed = ClosedLoop(store=store, model=model, app_name="flow", history_days=HISTORY_DAYS)
    result = simulate(
        model,
        days=HISTORY_DAYS + 4,
        seed=3,
        policy=closed,
        scenario=HOLDS,
        sink=PipelineSink.into(store, model=model),
    )
    return closed, result


def test_the_app_proposes_to_decide_holds_that_outlast_the_typical_one(
    loop: tuple[ClosedLoop, SimResult],
) -> None:
    closed, _ = loop
    assert closed.fitted
    holds = [p for p in closed.proposals if p.action.kind == "release_hold"]
    assert holds, [p.action.kind for p in closed.proposals]
    for proposal in holds:
        assert proposal.evidence["held_h"] > proposal.evidence["median_hold_h"]
        assert proposal.subject.startswith("conf/s1/area/l1/milling/")


def test_an_approved_release_ends_the_hold_in_the_simulated_plant(
    loop: tuple[ClosedLoop, SimResult],
) -> None:
    closed, result = loop
    assert closed.plan is not None
    released = {o.order_id for o in closed.plan.flow if isinstance(o, HoldRelease)}
    assert released
    decisions = closed.runtime.decisions
    executed = [
        record
        for record in (decisions.get(i) for i in closed.approved)
        if record.status is Status.EXECUTED and record.action.kind == "release_hold"
    ]
    assert {record.action.job for record in executed} == released
    orders = pl.from_arrow(closed.store.records(RecordKind.ORDER))
    assert isinstance(orders, pl.DataFrame)
    ends = orders.filter((pl.col("event") == "unheld") & pl.col("order_id").is_in(list(released)))
    at = ends.filter(pl.col("ts").dt.epoch("us") == closed.executed_at)
    assert set(at["order_id"]) == released  # each ended at the epoch it was decided
    app = closed.runtime.apps["flow"]
    for record in executed:
        assert record.decided_at is not None
        outcome = app.outcome(
            closed.store, closed.model, action=record.action, decided_at=record.decided_at,
            now=result.end_us,
        )  # fmt: skip
        assert outcome is not None
        assert outcome.success
