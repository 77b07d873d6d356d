"""The contract-check benchmark runs in its quick mode, so it cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_contracts_benchmark_quick_mode_prints_figures() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "contracts_check.py"), "--quick"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["quick"] is True
    assert set(figures["sizes"]) == {"1000", "10000"}
    for rows, size in figures["sizes"].items():
        assert size["good"]["good_rows"] == int(rows)
        assert size["good"]["quarantined_rows"] == 0
        dirty = size["dirty"]
        assert dirty["quarantined_rows"] == int(rows) // 20
        assert set(dirty["reasons"]) == {"unknown_path", "out_of_range", "duplicate"}
        assert dirty["good_rows"] + dirty["quarantined_rows"] == int(rows)
        assert size["andon_over_raw_arrow_time"] > 0
        assert size["python_rows_rows_per_s"] > 0
