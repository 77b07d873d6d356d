"""The flow benchmark runs in quick mode and prints coherent JSON (no timing asserted)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"


@pytest.mark.slow
def test_flow_benchmark_quick() -> None:
    if not (DATA / "ocel2" / "ocel20_example.json.gz").exists():
        pytest.skip("the public OCEL 2.0 logs are not in ../shared/data/ocel2")
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "flow.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(done.stdout)
    ocel = result["ocel"]
    assert ocel["andon"]["counts"]["events"] == 13
    for phase in ("import", "graph"):
        assert ocel["andon"][phase]["wall_s"] > 0
        assert ocel["andon"][phase]["cpu_s"] >= 0
    assert ocel["andon"]["peak_mb"] > 0
    if importlib.util.find_spec("pm4py") is None:
        assert result["pm4py"].startswith("absent")
        return
    for kind in ("ocel", "xes"):
        if "absent" in result[kind]:
            continue
        edges = result[kind]["edges"]
        assert edges["edges_andon"] == edges["edges_pm4py"] == edges["edges_same"], kind
        assert all(d["reason"] != "unexplained" for d in edges["differences"])


@pytest.mark.slow
def test_flow_bottleneck_quick() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "flow.py"), "--bottlenecks", "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    found = json.loads(done.stdout)["bottlenecks"]
    assert found["kinds"]["slow"]["scenarios"] == 5  # one slow cell on each line
    assert 0 <= found["true_cell_ranked_first"] <= found["scenarios"]
    assert len(found["misses"]) == found["scenarios"] - found["true_cell_ranked_first"]
