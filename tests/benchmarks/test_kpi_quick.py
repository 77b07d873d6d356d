"""The KPI benchmark runs in its quick mode, so it cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_kpi_benchmark_quick_mode_prints_figures() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "kpi.py"), "--quick"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    duck = figures["duckdb"]
    assert figures["state_records"] > 1000
    assert duck["equipment_day_rows"] == figures["equipment"] * (figures["days"] + 1)
    assert duck["state_intervals"] > 0
    assert 0.0 < duck["mean_oee_equipment_day"] < 1.0
    assert duck["baseline_over_andon_equipment_day"] > 0
    # The stored day state gives the same frames as computing from the records.
    assert duck["from_state_equipment_day_rows"] == duck["equipment_day_rows"]
    assert duck["from_state_site_week_rows"] == duck["site_week_rows"]
    assert "postgres" in figures  # measured, or skipped with the reason
