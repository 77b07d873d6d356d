"""A small plant's genealogy, units, tests, work orders, samples and orders, for the trace
tests: supplier lot SUP-9 went into two housings, each assembled into a gearbox."""

from __future__ import annotations

from andon.records import RecordKind, genealogy, inspections, maintenance, orders, samples, units
from andon.store import Store

__all__ = ["BRNO", "LYON", "H", "write_plant"]

H = 3_600_000_000
LYON = "acme/lyon/assembly/a1"
BRNO = "acme/brno/assembly/a1"


def write_plant(store: Store) -> None:
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
