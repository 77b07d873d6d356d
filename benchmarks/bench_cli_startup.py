"""Command-line start-up: wall and CPU seconds of ``andon --help``, ``andon model validate``.

Also ``andon users --help`` and ``andon decisions --help``, whose commands need the decision
types (``Role``, ``Status``) but not the drift monitor.

Each command runs in a fresh interpreter, as a person runs it, beside a baseline measured in
the same run: ``python -c pass``, the least any Python command costs on this machine. CPU
seconds (user + system, from ``getrusage(RUSAGE_CHILDREN)`` around each run) stand beside wall
seconds, since other work on a shared machine stretches wall time but not CPU time. Figures
are medians over the runs; ``over_baseline`` divides a command's median by the baseline's.

The commands run through ``python -m andon`` with the interpreter that runs the benchmark,
the same code as the installed ``andon`` script without depending on where it is installed.

Usage: python benchmarks/bench_cli_startup.py [--quick] [--runs N]   (prints JSON)
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

COMMANDS: dict[str, list[str]] = {
    "python_pass": [sys.executable, "-c", "pass"],
    "andon_help": [sys.executable, "-m", "andon", "--help"],
    "andon_model_validate": [
        sys.executable,
        "-m",
        "andon",
        "model",
        "validate",
        str(ROOT / "examples" / "discrete"),
    ],
    "andon_users_help": [sys.executable, "-m", "andon", "users", "--help"],
    "andon_decisions_help": [sys.executable, "-m", "andon", "decisions", "--help"],
}
BASELINE = "python_pass"


def run_once(argv: list[str]) -> tuple[float, float]:
    """Run ``argv`` to its end; return its wall and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(argv: list[str], runs: int) -> dict[str, Any]:
    """Return the median, least and greatest wall and CPU seconds over ``runs`` runs."""
    run_once(argv)  # warm the file cache and the bytecode cache
    walls, cpus = zip(*(run_once(argv) for _ in range(runs)), strict=True)
    return {
        "wall_s": round(statistics.median(walls), 4),
        "cpu_s": round(statistics.median(cpus), 4),
        "wall_s_min": round(min(walls), 4),
        "wall_s_max": round(max(walls), 4),
        "cpu_s_min": round(min(cpus), 4),
        "cpu_s_max": round(max(cpus), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="command-line start-up time")
    parser.add_argument("--quick", action="store_true", help="3 runs each, in seconds")
    parser.add_argument("--runs", type=int, default=10, help="runs of each command")
    arguments = parser.parse_args(argv)
    runs = 3 if arguments.quick else arguments.runs
    figures = {name: measure(command, runs) for name, command in COMMANDS.items()}
    base = figures[BASELINE]
    for name, figure in figures.items():
        if name != BASELINE:
            figure["wall_over_baseline"] = round(figure["wall_s"] / base["wall_s"], 1)
            figure["cpu_over_baseline"] = round(figure["cpu_s"] / max(base["cpu_s"], 1e-3), 1)
    results = {
        "benchmark": "cli_startup",
        "quick": arguments.quick,
        "runs": runs,
        "python": sys.version.split()[0],
        "baseline": BASELINE,
        "commands": figures,
    }
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
