"""The energy benchmark's quick mode runs and reports every figure, so it cannot rot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_energy_benchmark_quick_mode() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "energy.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout)
    assert report["benchmark"] == "energy"
    summary = report["summary"]["discrete"]
    for policy in ("andon", "baseline_idle_through_breaks"):
        for figure in ("precision", "recall_kwh", "recall_events", "kwh_error"):
            interval = summary[policy][figure]
            assert interval["low"] <= interval["mean"] <= interval["high"], (policy, figure)
    # the sub-meters' reading of break practice makes andon's kWh no worse than the baseline's
    assert (
        summary["andon"]["kwh_error"]["mean"]
        <= summary["baseline_idle_through_breaks"]["kwh_error"]["mean"]
    )
    assert all(run["andon"]["true_events"] > 0 for run in report["runs"])
    assert 0.0 <= summary["guideline_14"]["meters_met_share"]["mean"] <= 1.0
    assert report["cpu_s"] > 0
    assert report["steel"] == {"skipped": "not in quick mode"}
