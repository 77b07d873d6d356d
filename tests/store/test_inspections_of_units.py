"""The inspections first-pass yield needs: every earlier inspection of the units inspected in
a range, below a prefix, and nothing of units the range did not see (both stores)."""

from __future__ import annotations

from andon import records
from andon.records import RecordKind, to_micros
from andon.store import Store
from andon.store.queries import inspections_of_units

HOUR = 3_600_000_000
T0 = 1_767_225_600_000_000  # 2026-01-01 00:00 UTC
LYON = "acme/lyon/assembly/line1/test/bench1"
BRNO = "acme/brno/assembly/line1/test/bench1"


def test_units_of_the_range_come_with_their_earlier_inspections(store: Store) -> None:
    rows = [
        ("old-only", LYON, 1, False),  # inspected before the range only: left out
        ("retested", LYON, 2, False),  # failed before the range, passed in it: both kept
        ("retested", LYON, 10, True),
        ("fresh", LYON, 11, True),
        ("elsewhere", BRNO, 12, True),  # in the range, but below another prefix
        ("later", LYON, 30, True),  # after the range
    ]
    store.write(
        RecordKind.INSPECTION,
        records.inspections(
            ts=[T0 + h * HOUR for _, _, h, _ in rows],
            serial=[s for s, _, _, _ in rows],
            path=[p for _, p, _, _ in rows],
            test="leak",
            passed=[ok for _, _, _, ok in rows],
            seq=list(range(len(rows))),
        ),
    )
    got = inspections_of_units(
        store, path_prefix="acme/lyon", start=T0 + 8 * HOUR, end=T0 + 20 * HOUR
    )
    assert got.schema == records.schema_of(RecordKind.INSPECTION)
    found = [(row["serial"], (to_micros(row["ts"]) - T0) // HOUR) for row in got.to_pylist()]
    assert found == [("retested", 2), ("retested", 10), ("fresh", 11)]
