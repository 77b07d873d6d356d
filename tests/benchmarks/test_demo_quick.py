"""The demo benchmark's quick mode runs and reports every figure, so it cannot rot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_benchmark_quick_mode() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "demo.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout)
    assert report["benchmark"] == "demo"
    assert report["time_to_console"]["seconds"] > 0
    assert report["time_to_console"]["simulator_alone_seconds"] > 0
    assert report["time_to_console"]["cpu_seconds"] > 0
    pages = report["pages"]["pages"]
    for name in ("overview", "plant", "site", "line", "machine_week", "inbox", "quality", "audit"):
        assert pages[name]["p95_ms"] > 0
    assert 0 < report["points"]["max_per_series"] <= 5000
