"""The flow queries of the store: the same distinct facts from DuckDB and PostgreSQL."""

from __future__ import annotations

from andon.store import Store
from andon.store import flow_queries as fq

from .flow_samples import BENCH, LINE, PRINT, REFLOW, H, M


def test_orders_in_range_in_order(filled: Store) -> None:
    orders = fq.orders(filled, start=1 * H, end=5 * H)
    assert orders.column("order_id").to_pylist() == ["O1"] * 4 + ["O2"]
    assert orders.column("event").to_pylist() == [
        "started", "held", "unheld", "completed", "started"]  # fmt: skip
    assert set(orders.column("path").to_pylist()) == {LINE}


def test_parameter_rows_of_one_visit_are_one_visit(filled: Store) -> None:
    visits = fq.unit_visits(filled, start=0, end=10 * H)
    assert visits.num_rows == 8
    u1 = [r for r in visits.to_pylist() if r["serial"] == "U1"]
    assert [(r["ts_us"], r["path"]) for r in u1] == [
        (1 * H + 10 * M, PRINT), (1 * H + 40 * M, REFLOW)]  # fmt: skip


def test_other_kinds(filled: Store) -> None:
    assert fq.inspections(filled, start=0, end=10 * H).column("passed").to_pylist() == [
        True, False]  # fmt: skip
    assert fq.inspections(filled, start=0, end=10 * H).column("path").to_pylist() == [BENCH] * 2
    assert fq.genealogy(filled, start=0, end=4 * H).column("child").to_pylist() == ["U1", "U2"]
    work = fq.work_orders(filled, start=0, end=10 * H)
    assert work.column("event").to_pylist() == ["opened", "started", "closed"]


def test_states_begin_with_the_state_at_start(filled: Store) -> None:
    states = fq.states(filled, start=2 * H + 30 * M, end=10 * H).to_pylist()
    assert [(s["ts_us"], s["path"], s["state"]) for s in states] == [
        (2 * H + 30 * M, PRINT, "blocked"),
        (3 * H + 20 * M, PRINT, "running"),
        (2 * H + 30 * M, REFLOW, "unplanned_down"),
        (3 * H, REFLOW, "running"),
    ]
