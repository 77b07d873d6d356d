"""A simulated day of the battery module plant, in DuckDB, for the passport tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from andon.model import Model, load_model
from andon.records import RecordKind
from andon.sim import simulate
from andon.sim.sinks import MemorySink
from andon.store import DuckDBStore, Store

ROOT = Path(__file__).resolve().parents[2]
BATTERYPASS = ROOT.parent / "shared" / "data" / "batterypass"
END = 4_102_444_800_000_000
"""2100-01-01 UTC: after every simulated record."""
PASSPORT_KINDS = (
    RecordKind.UNIT,
    RecordKind.INSPECTION,
    RecordKind.GENEALOGY,
    RecordKind.ENERGY,
    RecordKind.TARIFF,
    RecordKind.ORDER,
)


@pytest.fixture(scope="session")
def battery_model() -> Model:
    return load_model(ROOT / "examples" / "battery")


@pytest.fixture(scope="session")
def battery_sink(battery_model: Model) -> MemorySink:
    sink = MemorySink()
    # 2026-01-05 is a Monday: one working day, then the night.
    simulate(battery_model, days=1, seed=5, sink=sink, sample_rate_s=3600)
    return sink


def fill(store: Store, sink: MemorySink) -> Store:
    for kind in PASSPORT_KINDS:
        store.write(kind, sink.table(kind))
    return store


@pytest.fixture(scope="session")
def battery_store(battery_sink: MemorySink) -> Store:
    return fill(DuckDBStore(None), battery_sink)


def read_json(path: Path) -> Any:
    """Read a Battery Pass file: UTF-16 with a BOM, or UTF-8 (with or without one)."""
    raw = path.read_bytes()
    utf16 = raw[:2] in (b"\xff\xfe", b"\xfe\xff")
    text = raw.decode("utf-16") if utf16 else raw.decode("utf-8-sig")
    return json.loads(text)


@pytest.fixture(scope="session")
def battery_pass_schemas() -> dict[str, Any]:
    """The Battery Pass v1.2.0 JSON Schemas by aspect; skip when the data is absent."""
    if not BATTERYPASS.is_dir():
        pytest.skip(f"the Battery Pass data model is not at {BATTERYPASS} (../shared/data)")
    found = {
        path.name.split("_")[0]: read_json(path)
        for path in sorted(BATTERYPASS.glob("*_1.2.0_*-schema.json"))
    }
    if not found:
        pytest.skip(f"no Battery Pass v1.2.0 schemas in {BATTERYPASS}")
    return found
