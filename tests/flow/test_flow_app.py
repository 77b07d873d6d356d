"""The flow app: a bottleneck that lost hours to a breakdown and an order held too long, on
a hand-written week of the conformance plant's line, in DuckDB and PostgreSQL: the typed
actions, their value from the model's unit price, the fitted artifact and the outcomes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from andon.apps import get_app
from andon.apps.flow import FlowApp
from andon.errors import InsufficientHistoryError
from andon.model import Model, load_model
from andon.proposals import Action, action_kinds
from andon.records import RecordKind
from andon.store import Store

from .flow_samples import H, M, table

PLANT = Path(__file__).resolve().parents[1] / "conformance" / "plant.yaml"
LINE = "conf/s1/area/l1"
PRESS, MILL, TEST = (f"{LINE}/{c}" for c in ("pressing/press1", "milling/mill1", "testing/test1"))
DAY = 24 * H
NOW = 7 * DAY
UNITS = 40


@pytest.fixture(scope="module")
def model() -> Model:
    return load_model(PLANT)


def _order(ts: int, order_id: str, event: str) -> dict[str, Any]:
    return {"ts": ts, "order_id": order_id, "product": "W1", "quantity": 100, "event": event,
            "path": LINE}  # fmt: skip


def _week(store: Store) -> None:
    """One week of the line: the mill runs all the time but for a 4 h breakdown, the press
    is mostly blocked, the tester mostly starved; order O2 was held 2 h, O1 is held since
    10 h before the end."""
    units = []
    for k in range(UNITS):
        t = k * 15 * M
        for offset, station in ((0, PRESS), (5 * M, MILL), (10 * M, TEST)):
            row = {"serial": f"U{k:02d}", "product": "W1", "lot": "L1", "parameter": "p"}
            units.append({"ts": t + offset, "path": station, "value": 1.0, **row})
    store.write(RecordKind.UNIT, table(RecordKind.UNIT, units), batch_id="u")
    states = [
        {"ts": 0, "path": MILL, "state": "running"},
        {"ts": 12 * H, "path": MILL, "state": "unplanned_down", "reason": "spindle"},
        {"ts": 16 * H, "path": MILL, "state": "running"},
        {"ts": 0, "path": PRESS, "state": "running"},
        {"ts": 1 * DAY, "path": PRESS, "state": "blocked"},
        {"ts": 0, "path": TEST, "state": "running"},
        {"ts": 12 * H, "path": TEST, "state": "starved"},
    ]
    store.write(RecordKind.STATE, table(RecordKind.STATE, states), batch_id="s")
    orders = [
        _order(0, "O1", "released"),
        _order(0, "O1", "started"),
        _order(NOW - 10 * H, "O1", "held"),
        _order(0, "O2", "released"),
        _order(1 * DAY, "O2", "held"),
        _order(1 * DAY + 2 * H, "O2", "unheld"),
    ]
    store.write(RecordKind.ORDER, table(RecordKind.ORDER, orders), batch_id="o")


@pytest.fixture
def week(store: Store) -> Store:
    _week(store)
    return store


def test_the_app_is_registered_with_its_vocabulary() -> None:
    app = get_app("flow")
    assert isinstance(app, FlowApp)
    kinds = {k.name for k in action_kinds("flow")}
    assert kinds == {"release_hold", "resequence_bottleneck", "protect_bottleneck",
                     "staff_bottleneck"}  # fmt: skip
    # The simulated plant ends a hold and protects a cell; a re-sequenced order book and a
    # crew change are people's to carry out.
    executable = {k.name for k in action_kinds("flow") if k.executable}
    assert executable == {"release_hold", "protect_bottleneck"}


def test_fit_keeps_the_bottleneck_and_the_median_hold(week: Store, model: Model) -> None:
    report = FlowApp().fit(week, model, until=NOW)
    assert report.rows == UNITS * 2  # two steps after each unit's first station
    assert report.metrics["median_hold_h"] == 2.0
    assert report.metrics["holds"] == 1.0
    assert f"{LINE}: bottleneck {LINE}/milling" in report.notes[0]


def test_the_bottleneck_and_the_hold_are_proposed(week: Store, model: Model) -> None:
    app = FlowApp()
    report = app.fit(week, model, until=NOW)
    proposals = {p.action.kind: p for p in app.propose(week, model, now=NOW)}
    assert set(proposals) == {"protect_bottleneck", "release_hold"}
    mill = proposals["protect_bottleneck"]
    assert mill.subject == f"{LINE}/milling"
    assert mill.model_version == report.version
    assert mill.evidence["down_h"] == pytest.approx(4.0)
    # each of the 4 h lost is an hour of output: 40 units over 164 running hours at 50 each
    hour_value = UNITS / (7 * 24 - 4) * 50.0
    assert mill.evidence["hour_value"] == pytest.approx(hour_value, rel=1e-5)
    assert mill.expected_value == pytest.approx(0.5 * 4.0 * hour_value, rel=1e-5)
    assert mill.value_low is not None
    assert mill.value_high is not None
    assert mill.value_low < mill.expected_value < mill.value_high
    assert mill.evidence["fitted_bottleneck"] == f"{LINE}/milling"
    hold = proposals["release_hold"]
    assert (hold.subject, hold.action.job) == (LINE, "O1")
    assert hold.evidence["held_h"] == pytest.approx(10.0)
    assert hold.expected_value == pytest.approx(100 * 50.0 * 0.01)  # one day of 1 %


def test_a_hold_within_the_median_is_not_proposed(week: Store, model: Model) -> None:
    app = FlowApp()
    app.fit(week, model, until=NOW - 9 * H)
    kinds = [p.action.kind for p in app.propose(week, model, now=NOW - 9 * H)]
    assert "release_hold" not in kinds  # held 1 h, the median is 2 h


def test_nothing_is_proposed_before_a_fit(week: Store, model: Model) -> None:
    assert FlowApp().propose(week, model, now=NOW) == []


def test_no_flow_cannot_be_fitted(store: Store, model: Model) -> None:
    with pytest.raises(InsufficientHistoryError, match="no unit moved"):
        FlowApp().fit(store, model, until=NOW)


def test_outcomes(week: Store, model: Model) -> None:
    app = FlowApp()
    hold = Action(kind="release_hold", subject=LINE, job="O1")
    assert app.outcome(week, model, action=hold, decided_at=NOW, now=NOW + H) is None
    week.write(RecordKind.ORDER, table(RecordKind.ORDER, [_order(NOW + 2 * H, "O1", "unheld")]),
               batch_id="o2")  # fmt: skip
    ended = app.outcome(week, model, action=hold, decided_at=NOW, now=NOW + 2 * DAY)
    assert ended is not None
    assert ended.success is True
    mill = Action(kind="protect_bottleneck", subject=f"{LINE}/milling", slot_start=0, slot_end=1)
    measured = app.outcome(week, model, action=mill, decided_at=2 * DAY, now=4 * DAY)
    assert measured is not None
    assert measured.detail == {"lost_h_before": 4.0, "lost_h_after": 0.0}
    assert measured.success is True
    assert measured.realised_value == pytest.approx(4.0 * 800.0)  # the mill's downtime cost
