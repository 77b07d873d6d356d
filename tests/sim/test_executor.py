"""The simulator executor: approved typed actions become the simulated plant's orders."""

from __future__ import annotations

import pytest

import andon.apps.maintenance.actions  # noqa: F401 - the vocabulary
from andon.model import Model
from andon.proposals import Action, ExecutionStatus, PartQuantity
from andon.records import empty
from andon.sim.executor import SimulatorExecutor
from andon.sim.policy import PartStock, PlantView

NOW = 1_800_000_000_000_000
HOUR = 3_600_000_000


def _view(
    model: Model,
    *,
    stock: dict[tuple[str, str], PartStock] | None = None,
    pending: frozenset[str] = frozenset(),
) -> PlantView:
    return PlantView(
        now_us=NOW,
        epoch_h=24.0,
        model=model,
        samples=empty("sample"),
        maintenance=empty("maintenance"),
        inventory=stock or {},
        operating_hours={},
        down=frozenset(),
        pending=pending,
        windows={},
    )


@pytest.fixture
def mill(example_model: Model) -> tuple[str, str, str, dict[str, int]]:
    """A machine with a failure mode that needs parts: path, site, mode, parts."""
    for path, info in sorted(example_model.equipment.items()):
        for mode in info.equipment_class.failure_modes:
            if mode.parts:
                return path, info.site_path, mode.id, dict(mode.parts)
    pytest.fail("the example has no failure mode with parts")


def _work(path: str, mode: str, parts: dict[str, int], **extra: object) -> Action:
    fields: dict[str, object] = {
        "kind": "intervene",
        "subject": path,
        "failure_modes": (mode,),
        "slot_start": NOW + 2 * HOUR,
        "parts": tuple(PartQuantity(p, q) for p, q in sorted(parts.items())),
    }
    fields.update(extra)
    return Action(**fields)  # type: ignore[arg-type]


def test_work_is_booked_at_its_slot_with_its_modes(
    example_model: Model, mill: tuple[str, str, str, dict[str, int]]
) -> None:
    path, _, mode, parts = mill
    executor = SimulatorExecutor()
    done = executor.execute(decision_id="d1", action=_work(path, mode, parts), now=NOW)
    assert done.status is ExecutionStatus.DONE
    now_too = _work(path, mode, parts, slot_start=NOW - HOUR)  # its slot has begun
    executor.execute(decision_id="d2", action=now_too, now=NOW)
    plan = executor.plan(_view(example_model))
    [order] = plan.preventive
    assert (order.equipment, order.failure_modes, order.start_us) == (path, (mode,), None)
    assert plan.part_orders == ()
    assert executor.waiting == 0
    assert executor.plan(_view(example_model)).preventive == ()  # taken once


def test_work_that_orders_parts_waits_for_them_and_orders_the_shortfall(
    example_model: Model, mill: tuple[str, str, str, dict[str, int]]
) -> None:
    path, site, mode, parts = mill
    part, quantity = sorted(parts.items())[0]
    action = _work(
        path, mode, parts, kind="expedite", order=(PartQuantity(part, quantity + 1),), expedite=True
    )
    executor = SimulatorExecutor()
    executor.execute(decision_id="d1", action=action, now=NOW)
    stock = {(site, part): PartStock(on_hand=0, on_order=1)}
    plan = executor.plan(_view(example_model, stock=stock))
    assert plan.preventive == ()  # a machine would stand waiting for its parts
    [order] = plan.part_orders
    assert (order.part, order.site, order.quantity, order.expedite) == (part, site, quantity, True)


def test_a_failed_machines_expedite_is_ordered_as_it_is_and_pending_work_is_left_alone(
    example_model: Model, mill: tuple[str, str, str, dict[str, int]]
) -> None:
    path, site, mode, parts = mill
    part = sorted(parts)[0]
    executor = SimulatorExecutor()
    recovery = Action(
        kind="expedite_part",
        subject=path,
        failure_modes=(mode,),
        order=(PartQuantity(part, 1),),
        expedite=True,
    )
    executor.execute(decision_id="d1", action=recovery, now=NOW)
    executor.execute(decision_id="d2", action=_work(path, mode, parts), now=NOW)
    stock = {(site, part): PartStock(on_hand=5, on_order=3)}
    plan = executor.plan(_view(example_model, stock=stock, pending=frozenset({path})))
    assert plan.preventive == ()
    [order] = plan.part_orders
    assert (order.part, order.quantity, order.expedite) == (part, 1, True)


def test_a_kind_it_cannot_carry_out_is_refused_not_guessed(example_model: Model) -> None:
    executor = SimulatorExecutor()
    hold = Action(kind="test_hold_lot", subject="acme/lyon", lots=("L1",))
    failed = executor.execute(decision_id="d1", action=hold, now=NOW)
    assert failed.status is ExecutionStatus.FAILED
    assert "cannot carry out 'test_hold_lot'" in failed.detail
    assert executor.waiting == 0


def test_an_action_that_would_change_nothing_is_refused_with_the_reason(
    example_model: Model, mill: tuple[str, str, str, dict[str, int]]
) -> None:
    path, site, mode, parts = mill
    part, quantity = sorted(parts.items())[0]
    stock = {(site, part): PartStock(on_hand=0, on_order=quantity)}
    executor = SimulatorExecutor()
    executor.observe(_view(example_model, stock=stock))
    expedite = _work(
        path, mode, parts, kind="expedite", order=(PartQuantity(part, quantity),), expedite=True
    )
    refused = executor.execute(decision_id="d1", action=expedite, now=NOW)
    assert refused.status is ExecutionStatus.REJECTED
    assert "enough on hand or on order already" in refused.detail
    assert "waits for its parts" in refused.detail
    more = _work(
        path,
        mode,
        parts,
        kind="expedite",
        order=(PartQuantity(part, quantity + 2),),
        expedite=True,
    )
    ordered = executor.execute(decision_id="d2", action=more, now=NOW)
    assert ordered.status is ExecutionStatus.DONE
    assert f"orders {quantity + 2} of {part} expedited" in ordered.detail
    plan = executor.plan(_view(example_model, stock=stock))
    [order] = plan.part_orders  # what each execution said it orders, and no more
    assert (order.quantity, order.expedite) == (2 * quantity + 2 - quantity, True)
