"""The quality benchmark's quick mode runs and reports every figure, so it cannot rot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quality_benchmark_quick_mode() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "quality.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout)
    assert report["benchmark"] == "quality"
    policies = report["policies"]
    assert set(policies) == {"app", "app_ranked", "spc", "random", "true_state", "oracle"}
    assert policies["oracle"]["caught"]["mean"] >= policies["app_ranked"]["caught"]["mean"]
    for policy in policies.values():
        assert 0.0 <= policy["caught"]["mean"] <= 1.0
    assert policies["oracle"]["caught"]["mean"] >= policies["true_state"]["caught"]["mean"]
    run = report["runs"][0]
    if run["latent"] <= run["budget_units"]:
        assert policies["oracle"]["caught"]["mean"] == 1.0
    assert 0.0 <= report["pr_auc"]["mean"] <= 1.0
    tested = policies["app"]["tested"]["mean"]
    assert tested <= report["runs"][0]["budget_units"] + 2  # per-station floors add at most 1 each
    assert report["cpu_s"] > 0
