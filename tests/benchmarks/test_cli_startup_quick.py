"""The command-line start-up benchmark runs in its quick mode, so it cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_cli_startup_benchmark_quick_mode_prints_figures() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_cli_startup.py"), "--quick"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["quick"] is True
    assert figures["runs"] == 3
    commands = figures["commands"]
    assert set(commands) == {
        "python_pass",
        "andon_help",
        "andon_model_validate",
        "andon_users_help",
        "andon_decisions_help",
    }
    for name, figure in commands.items():
        assert figure["wall_s_min"] <= figure["wall_s"] <= figure["wall_s_max"], name
        assert figure["cpu_s"] >= 0, name
    assert commands["andon_help"]["wall_over_baseline"] > 0
    assert "wall_over_baseline" not in commands["python_pass"]
