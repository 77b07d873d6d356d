"""Genealogy traces on both stores: a three-level genealogy traced backward and forward, the
stations' maintenance state and condition at each visit, orders and recalls, site scope,
and hostile input (cycles, unknown and malformed ids)."""

from __future__ import annotations

import pytest
from trace_plant import LYON, H
from trace_plant import write_plant as _plant

from andon.records import RecordKind, genealogy, units
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
