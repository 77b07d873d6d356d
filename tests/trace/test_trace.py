"""Genealogy traces on both stores: a three-level genealogy traced backward and forward, the
stations' maintenance state and condition at each visit, orders and recalls, site scope,
and hostile input (cycles, unknown and malformed ids)."""

from __future__ import annotations

import pytest

from andon.records import RecordKind, genealogy, inspections, maintenance, orders, samples, units
from andon.store import Store
from andon.trace import (
    TraceError,
    UnknownTraceError,
    backward,
    forward,
    recall,
    within_sites,
)
from andon.trace.scope import recall_within_sites

H = 3_600_000_000
LYON = "acme/lyon/assembly/a1"
BRNO = "acme/brno/assembly/a1"


def _plant(store: Store) -> None:
    """Supplier lot SUP-9 went into two housings; each housing was assembled into a gearbox.

    LOT-G1 (the gearboxes' own lot) was consumed by both gearboxes. GB-1 was made at Lyon
    for order O-1 (completed), GB-2 at Brno for order O-2 (still open).
    """
    store.write(
        RecordKind.GENEALOGY,
        genealogy(
            ts=[0, 0, 2 * H, 2 * H, 2 * H, 2 * H],
            parent=["SUP-9", "SUP-9", "HS-1", "HS-2", "LOT-G1", "LOT-G1"],
            child=["HS-1", "HS-2", "GB-1", "GB-2", "GB-1", "GB-2"],
            relation=["consumed", "consumed", "assembled_into", "assembled_into"]
            + ["consumed"] * 2,
        ),
    )
    press_l, test_l = f"{LYON}/pressing/press1", f"{LYON}/testing/bench1"
    press_b = f"{BRNO}/pressing/press1"
    store.write(
        RecordKind.UNIT,
        units(
            ts=[H, H, 3 * H, 3 * H, 4 * H, 3 * H],
            serial=["HS-1", "HS-2", "GB-1", "GB-1", "GB-1", "GB-2"],
            path=["acme/lyon/machining/m1/sawing/saw1"] * 2 + [press_l, press_l, test_l, press_b],
            product=["HSG-200", "HSG-200", "GB-200", "GB-200", "GB-200", "GB-200"],
            lot=["SUP-9", "SUP-9", "LOT-G1", "LOT-G1", "LOT-G1", "LOT-G1"],
            parameter=[*["cycle_time_s"] * 2, "force_kn", "cycle_time_s", "torque", "force_kn"],
            value=[90.0, 91.0, 12.5, 60.0, 4.2, 13.1],
        ),
    )
    store.write(
        RecordKind.INSPECTION,
        inspections(ts=[4 * H], serial="GB-1", path=test_l, test="final_test", passed=True),
    )
    store.write(
        RecordKind.MAINTENANCE,
        maintenance(
            ts=[H, int(1.5 * H), 5 * H],
            work_order=["WO-1", "WO-1", "WO-2"],
            path=press_l,
            kind=["preventive", "preventive", "failure"],
            event=["opened", "closed", "opened"],
        ),
    )
    store.write(
        RecordKind.SAMPLE,
        samples(
            ts=[int(2.5 * H), int(2.9 * H), int(3.5 * H), 0],
            path=[*[f"{press_l}/vibration"] * 3, f"{press_l}/temperature"],
            value=[1.0, 2.0, 9.0, 30.0],
        ),
    )
    store.write(
        RecordKind.ORDER,
        orders(
            ts=[H, 6 * H, H],
            order_id=["O-1", "O-1", "O-2"],
            product="GB-200",
            quantity=1,
            event=["started", "completed", "started"],
            path=[LYON, LYON, BRNO],
        ),
    )


def test_backward_trace_reaches_every_component_and_the_process(store: Store) -> None:
    _plant(store)
    trace = backward(store, "GB-1")
    assert trace.lots == ("LOT-G1", "SUP-9")
    assert set(trace.units.column("serial").to_pylist()) == {"GB-1", "HS-1"}
    links = zip(trace.links["parent"].to_pylist(), trace.links["child"].to_pylist(), strict=True)
    assert sorted(links) == [
        ("HS-1", "GB-1"),
        ("LOT-G1", "GB-1"),
        ("SUP-9", "HS-1"),
    ]
    gb = next(u for u in trace.units.to_pylist() if u["serial"] == "GB-1")
    assert gb["order_id"] == "O-1"
    assert gb["order_completed_us"] == 6 * H
    assert gb["last_station"] == f"{LYON}/testing/bench1"
    assert gb["site"] == "acme/lyon"
    assert set(trace.parameters["parameter"].to_pylist()) == {"force_kn", "cycle_time_s", "torque"}
    assert trace.inspections["test"].to_pylist() == ["final_test"]


def test_maintenance_and_condition_are_those_before_the_visit(store: Store) -> None:
    _plant(store)
    trace = backward(store, "GB-1")
    press = next(m for m in trace.maintenance.to_pylist() if m["path"].endswith("press1"))
    # WO-2 opened after the unit passed: the state at the visit is WO-1 closed.
    assert (press["work_order"], press["event"]) == ("WO-1", "closed")
    assert press["last_closed_us"] == int(1.5 * H)
    condition = trace.condition.to_pylist()
    # the last vibration sample before the visit, not the later one; the temperature
    # sample is older than the window.
    assert [(c["tag"].rsplit("/", 1)[1], c["value"]) for c in condition] == [("vibration", 2.0)]


def test_forward_trace_of_a_supplier_lot_reaches_every_unit(store: Store) -> None:
    _plant(store)
    trace = forward(store, "SUP-9")
    assert trace.units["serial"].to_pylist() == ["GB-1", "GB-2", "HS-1", "HS-2"]
    assert trace.parameters.num_rows == 0
    assert trace.sites == ("acme/brno", "acme/lyon")


def test_recall_splits_completed_from_in_progress_units(store: Store) -> None:
    _plant(store)
    answer = recall(store, "SUP-9", supplier="Stahlwerk")
    done = {u["serial"] for u in answer.completed.to_pylist()}
    assert "GB-1" in done
    assert "GB-2" not in done
    assert "GB-2" in answer.in_progress["serial"].to_pylist()
    assert answer.orders == ("O-1", "O-2")
    body = answer.to_json()
    assert body["supplier"] == "Stahlwerk"
    assert body["units"] == body["completed_units"] + body["in_progress_units"]


def test_a_site_scoped_view_shows_only_that_sites_stations(store: Store) -> None:
    _plant(store)
    brno = within_sites(forward(store, "SUP-9"), ["acme/brno"])
    assert brno.units["serial"].to_pylist() == ["GB-2"]
    assert all(s.startswith("acme/brno/") for s in brno.visits["station"].to_pylist())
    with pytest.raises(UnknownTraceError):
        within_sites(backward(store, "GB-1"), ["acme/brno"])
    lyon = recall_within_sites(recall(store, "SUP-9"), ["acme/lyon"])
    assert "GB-2" not in lyon.in_progress["serial"].to_pylist()
    assert lyon.completed["serial"].to_pylist() == ["GB-1"]


def test_a_cycle_in_the_genealogy_ends_the_walk(store: Store) -> None:
    store.write(
        RecordKind.GENEALOGY,
        genealogy(ts=[0, 1, 2, 3], parent=["A", "B", "C", "C"], child=["B", "C", "A", "A"]),
    )
    for trace in (backward(store, "A"), forward(store, "A")):
        assert trace.lots == ("A", "B", "C")
        assert trace.links.num_rows == 3


def test_an_unknown_serial_is_refused_with_its_code(store: Store) -> None:
    _plant(store)
    with pytest.raises(UnknownTraceError) as raised:
        backward(store, "GB-404")
    assert raised.value.code == "trace.unknown"
    assert raised.value.id == "GB-404"
    assert "GB-404" in str(raised.value)


@pytest.mark.parametrize("bad", ["", "   ", "GB\x00-1", "x" * 300])
def test_a_malformed_id_is_refused_before_the_store_is_asked(store: Store, bad: str) -> None:
    with pytest.raises(TraceError) as raised:
        forward(store, bad)
    assert raised.value.code == "trace.invalid"
    assert not isinstance(raised.value, UnknownTraceError)


def test_a_lot_named_only_by_unit_records_is_known_and_reaches_nothing(store: Store) -> None:
    # Genealogy records are what a trace walks; a lot that only unit records name is known
    # (no error) but reaches no unit, and its serial still traces to itself.
    store.write(
        RecordKind.UNIT,
        units(
            ts=[0],
            serial="SN-1",
            path=f"{LYON}/pressing/press1",
            product="P",
            lot="L-1",
            parameter="force_kn",
            value=[1.0],
        ),
    )
    assert forward(store, "L-1").units.num_rows == 0
    assert backward(store, "SN-1").units["serial"].to_pylist() == ["SN-1"]
