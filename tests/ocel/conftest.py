"""Fixtures of the andon.ocel tests: the small hand-written log, and the public OCEL 2.0
logs (read from ../shared/data/ocel2 beside the repository; the tests that need them skip,
saying so, when they are not there)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ocel_samples import small_bytes

from andon import ocel

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "ocel2"


@pytest.fixture
def small_log() -> ocel.OcelLog:
    return ocel.loads(small_bytes(), "ocel-json")


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"the public OCEL 2.0 logs are not in {SHARED} (../shared/data/ocel2)")
    return SHARED
