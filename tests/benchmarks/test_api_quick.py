"""The API benchmark runs in quick mode and prints coherent JSON (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_api_benchmark_quick() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "api.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["benchmark"] == "api"
    assert result["rows"] == 20_000
    assert result["audit_verify"]["ok"]
    assert result["audit_verify"]["entries"] >= result["rows"]
    for phase in ("health", "list", "approve"):
        assert result[phase]["errors"] == 0, phase
        assert result[phase]["requests"] > 0
        assert 0 < result[phase]["p50_ms"] <= result[phase]["p99_ms"]
    assert result["saturation_list"]["requests"] > 0
    assert result["engine"]["page"]["p99_ms"] > 0
