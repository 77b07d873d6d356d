"""The public OCEL 2.0 logs (../shared/data/ocel2; skipped when absent): their JSON and XML
copies hold the same facts, and round trips through the three formats keep every one."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from andon import ocel


def test_order_management_keeps_both_qualifiers_of_78_pairs(shared: Path) -> None:
    log = ocel.read(shared / "order-management.json.gz")
    assert (log.events.height, log.objects.height, log.e2o.height) == (21008, 10840, 147463)
    doubled = log.e2o.group_by("event_id", "object_id").len().filter(pl.col("len") > 1)
    assert doubled.height == 78
    assert ocel.read(shared / "order-management.xml.gz").same_facts(log)


@pytest.mark.parametrize("name", ["ocel20_example", "inventory_management_simulated"])
def test_small_public_logs_round_trip_through_every_format(
    shared: Path, name: str, tmp_path: Path
) -> None:
    log = ocel.read(shared / f"{name}.json.gz")
    back = log
    for suffix in (".xml", ".sqlite", ".json"):
        path = tmp_path / f"{name}{suffix}"
        ocel.write(back, path)
        back = ocel.read(path)
    assert back.same_facts(log)
