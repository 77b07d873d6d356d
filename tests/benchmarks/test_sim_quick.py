"""The simulator benchmark's quick mode runs and reports what it promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_sim_benchmark_quick_mode() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "sim.py"), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=300,
    )
    report = json.loads(done.stdout)
    modelled = report["modelled_rates"]
    assert modelled["days"] == 1.0
    assert modelled["samples"] > 100_000
    assert modelled["samples_stored"] == modelled["samples"]
    assert modelled["quarantined"] == {}  # through the contracts, and every row passes
    assert 0 < modelled["contract_check_share_of_wall"] < 1
    assert modelled["records"] > modelled["samples"]
    assert report["one_hz"]["samples"] > modelled["samples"] / 48 * 50
    assert report["baseline_raw_duckdb_insert"]["rows"] == modelled["samples"]
    assert report["peak_rss_mb"] > 0
