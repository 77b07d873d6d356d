"""The quality speed benchmark runs every part on small inputs and prints coherent JSON, so
it cannot rot (no timing asserted: the machine running the tests is not the benchmark's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quality_speed_benchmark_small() -> None:
    completed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "quality_speed.py"),
            "--units",
            "20000",
            "--repeat",
            "1",
            "--days",
            "10",
            "--test-days",
            "3",
            "--score-units",
            "5000",
            "--serials",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout)
    assert report["benchmark"] == "quality_speed"
    assert report["spc"]["units"] == 20000
    assert report["spc"]["spc_and_t2_wall_seconds"] > 0
    scoring = report["scoring"]
    assert scoring["units"] == 5000
    assert scoring["model_score"]["units_per_s_wall"] > 0
    assert scoring["baseline_lightgbm_predict"]["units_per_s_wall"] > 0
    assert scoring["p_fail_matches_baseline"] in {True, None}
    serial = report["serial"]
    assert serial["serials"] == 3
    assert sum(serial["decisions"].values()) == 3
    assert set(serial["decisions"]) <= {"extra_test", "hold", "release"}
    for name in ("baseline_raw_queries", "decision_warm", "decision_cold"):
        assert serial[name]["wall_ms_p90"] >= serial[name]["wall_ms_median"] > 0
    assert set(report["load_before"]) == {"1min", "5min", "15min"}
