"""Synthetic plant history for the maintenance app: wear that shows in the tags, then fails."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from andon import records
from andon.model import Model, load_model
from andon.store import DuckDBStore

HOUR = 3_600_000_000
T0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z, a Thursday
PLANT = Path(__file__).with_name("plant.yaml")


@dataclass(frozen=True)
class Synthetic:
    store: DuckDBStore
    model: Model
    until: int
    failures: int


def synthesise(
    model: Model,
    *,
    days: int = 60,
    seed: int = 1,
    skip_samples_of: tuple[str, ...] = (),
    silent_from_h: dict[str, int] | None = None,
    with_history: bool = True,
) -> Synthetic:
    """Write hourly samples and failure work orders of every asset into a new store."""
    rng = np.random.default_rng(seed)
    store = DuckDBStore(None)
    hours = days * 24
    ts, paths, values = [], [], []
    m_ts, m_wo, m_path, m_kind, m_event, m_mode, m_parts = [], [], [], [], [], [], []
    failures = 0
    for path, info in model.equipment.items():
        mode = info.equipment_class.failure_modes[0]
        scale = mode.mtbf_h / math.gamma(1 + 1 / 3)
        t = float(rng.uniform(0, mode.mtbf_h / 2))  # start part-way into a life
        age0 = t
        life = scale * rng.weibull(3.0)
        while life < age0 + 5:
            life = scale * rng.weibull(3.0)
        h = 0
        age = age0
        while h < hours:
            health = min(age / life, 1.0)
            silent = (silent_from_h or {}).get(path)
            if path not in skip_samples_of and (silent is None or h < silent):
                for tag in info.equipment_class.tags:
                    if tag.name == "vib":
                        value = 2.0 + 10.0 * health**3 + rng.normal(0, 0.3)
                    else:
                        value = 40.0 + 20.0 * health**2 + rng.normal(0, 0.8)
                    ts.append(T0 + h * HOUR + 60_000_000)
                    paths.append(f"{path}/{tag.name}")
                    values.append(max(value, 0.0))
            if age >= life:
                failures += 1
                wo = f"wo-{path.rsplit('/', 1)[1]}-{h}"
                for event, at in (("opened", h), ("closed", h + int(mode.repair_h))):
                    m_ts.append(T0 + at * HOUR)
                    m_wo.append(wo)
                    m_path.append(path)
                    m_kind.append("failure")
                    m_event.append(event)
                    m_mode.append(mode.id)
                    m_parts.append(json.dumps(mode.parts))
                h += int(mode.repair_h) + 1
                age = 0.0
                life = scale * rng.weibull(3.0)
                continue
            h += 1
            age += 1.0
    store.write(records.RecordKind.SAMPLE, records.samples(ts=ts, path=paths, value=values))
    if with_history and m_ts:
        store.write(
            records.RecordKind.MAINTENANCE,
            records.maintenance(
                ts=m_ts,
                work_order=m_wo,
                path=m_path,
                kind=m_kind,
                event=m_event,
                failure_mode=m_mode,
                parts=m_parts,
            ),
        )
    return Synthetic(store, model, T0 + hours * HOUR, failures)


@pytest.fixture(scope="session")
def tiny_model() -> Model:
    return load_model(PLANT)


@pytest.fixture(scope="session")
def synthetic(tiny_model: Model) -> Synthetic:
    return synthesise(tiny_model)
