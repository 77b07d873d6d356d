"""The genealogy benchmark runs in quick mode and prints coherent JSON (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_genealogy_benchmark_quick(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "genealogy.py"),
            "--quick",
            "--stores",
            "duckdb",
            "--cache",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["benchmark"] == "genealogy"
    assert result["links"] == 3 * result["units"]
    duck = result["stores"]["duckdb"]
    # a unit: its component, the component's supplier lot and the unit's own lot
    assert duck["backward_unit"]["links"] == 3
    # a supplier lot: each of its components and the unit each went into
    assert duck["forward_supplier_lot"]["links"] == 2 * result["lot_size"]
    assert duck["recursive_backward_unit"]["agrees_with_walk"]
    assert duck["recursive_forward_supplier_lot"]["agrees_with_walk"]
    bfs = result["python_bfs"]
    assert bfs["backward_unit"]["links"] == duck["backward_unit"]["links"]
    assert bfs["forward_supplier_lot"]["links"] == duck["forward_supplier_lot"]["links"]
    for figures in (duck["backward_unit"], bfs["forward_supplier_lot"]):
        assert figures["wall_ms_median"] <= figures["wall_ms_max"]
        assert figures["cpu_ms_median"] >= 0
