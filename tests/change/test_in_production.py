"""What a change touches in production now, read from the store (both stores): the open
orders of the products it touches, the units and lots at its stations since it takes effect,
and the measured values the new limits would fail."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from andon.change import impact, parse_request
from andon.model import Model, load_model
from andon.records import RecordKind, orders, units
from andon.store import Store

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LYON_A1 = "acme/lyon/assembly/a1"
BRNO_A1 = "acme/brno/assembly/a1"
MARCH = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def acme() -> Model:
    return load_model(EXAMPLES / "discrete")


def _write(store: Store) -> None:
    store.write(
        RecordKind.ORDER,
        orders(
            ts=[MARCH, MARCH, MARCH + H, MARCH, MARCH, MARCH + H],
            order_id=["O-1", "O-2", "O-2", "O-3", "O-4", "O-4"],
            product=["GB-400", "GB-400", "GB-400", "GB-200", "GB-400", "GB-400"],
            quantity=[90, 50, 50, 40, 30, 30],
            event=["released", "released", "completed", "released", "released", "started"],
            path=[None, LYON_A1, LYON_A1, None, None, BRNO_A1],
        ),
    )
    press = f"{LYON_A1}/pressfit/press1"
    store.write(
        RecordKind.UNIT,
        units(
            ts=[MARCH - 24 * H, MARCH + H, MARCH + H, MARCH + 2 * H, MARCH + 2 * H, MARCH + H],
            serial=["G4-0", "G4-1", "G4-1", "G4-2", "G2-1", "G4-3"],
            path=[press, press, press, press, press, f"{BRNO_A1}/pressfit/press2"],
            product=["GB-400", "GB-400", "GB-400", "GB-400", "GB-200", "GB-400"],
            parameter=[
                "press_force",
                "press_force",
                "cycle_time_s",
                "press_force",
                "press_force",
                "press_force",
            ],
            value=[30.2, 30.5, 85.0, 34.0, 22.0, 37.5],
            lot=["L-0", "L-1", "L-1", "L-1", "L-2", "L-3"],
        ),
    )


def test_limit_change_finds_open_orders_units_and_values_outside(store: Store, acme: Model) -> None:
    _write(store)
    request = parse_request(
        {
            "kind": "parameter_limit",
            "product": "GB-400",
            "parameter": "press_force",
            "lsl": 31,
            "usl": 37,
            "effective": "2026-03-01",
        },
        acme,
    )
    found = impact(request, acme, store)
    # O-2 completed, O-3 is GB-200: O-1 (line unknown yet) and O-4 (Brno) are open.
    assert found.open_orders == ("O-1", "O-4")
    assert found.open_quantity == 120
    # G4-0 was measured before the change takes effect; G2-1 is another product.
    assert found.units == ("G4-1", "G4-2", "G4-3")
    assert found.lots == ("L-1", "L-3")
    # 30.5 and 37.5 fall outside 31..37; the cycle time of G4-1 is not press force.
    assert found.units_outside_new_limits == 2
    assert found.cost == pytest.approx(2 / 3 * 120 * 300)


def test_firmware_change_reads_only_its_station(store: Store, acme: Model) -> None:
    _write(store)
    request = parse_request(
        {"kind": "firmware", "station": f"{BRNO_A1}/pressfit/press2", "version": "7"}, acme
    )
    found = impact(request, acme, store)
    assert found.units == ("G4-3",)
    assert found.lots == ("L-3",)
    # open orders of both products that may run on Brno a1: O-1 and O-3 (no line yet), O-4.
    assert found.open_orders == ("O-1", "O-3", "O-4")


def test_routing_change_on_lyon_leaves_orders_started_at_brno(store: Store, acme: Model) -> None:
    _write(store)
    request = parse_request(
        {
            "kind": "routing",
            "product": "GB-400",
            "line": "lyon/assembly/a1",
            "steps": [
                {"cell": "pressfit", "cycle_time_s": 85, "setup_min": 20},
                "mounting",
                "curing",
                "testing",
            ],
        },
        acme,
    )
    found = impact(request, acme, store)
    assert found.open_orders == ("O-1",)
    assert found.units == ("G4-0", "G4-1", "G4-2")
