"""The maintenance benchmarks run in quick mode, so they cannot rot (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str, *args: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--quick", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    figures: dict[str, object] = json.loads(result.stdout)
    return figures


def test_cmapss_quick_scores_fd001_or_says_the_data_is_absent(tmp_path: Path) -> None:
    figures = _run("cmapss.py", "--out", str(tmp_path))
    if "skipped" in figures:
        assert "C-MAPSS" in str(figures["skipped"])
        return
    assert figures["threads"] == 1  # the thread count reported is the one trained with
    (subset,) = figures["subsets"]  # type: ignore[misc]
    assert subset["subset"] == "FD001"
    assert 0 < subset["rmse_capped_truth"] < subset["baseline_linear_rmse_capped_truth"]
    lines = (tmp_path / "cmapss_predictions_quick.csv").read_text().splitlines()
    assert len(lines) == 101  # header and the 100 test units of FD001


def test_closed_loop_quick_runs_every_policy(tmp_path: Path) -> None:
    figures = _run("maintenance_policy.py", "--out", str(tmp_path))
    (result,) = figures["results"]  # type: ignore[misc]
    policies = result["policies"]
    assert set(policies) == {
        "run_to_failure",
        "fixed_interval",
        "condition_threshold",
        "oracle",
        "true_health",
        "andon_maintenance",
    }
    assert policies["run_to_failure"]["preventive"]["mean"] == 0
    # run-to-failure saves nothing over itself: zero, or undefined when the bound saves nothing
    for bound in ("oracle", "reference"):
        share = policies["run_to_failure"]["overall"][f"share_of_{bound}_saving"]["point"]
        assert share in (0.0, None)
    assert set(policies["andon_maintenance"]["by_kind"]) == {"wear", "pf", "random"}
    baselines = {"run_to_failure", "fixed_interval", "condition_threshold"}
    assert result["best_baseline"] in baselines
    assert set(result["app_vs_baselines"]) == baselines
    assert (tmp_path / "maintenance_policy_quick.json").exists()
    assert (tmp_path / "maintenance_policy_quick.png").stat().st_size > 1000


def test_plan_benchmark_quick_solves_within_the_limits() -> None:
    figures = _run("maintenance_plan.py")
    assert figures["assets"] == 60
    assert str(figures["status"]).startswith(("optimal", "feasible"))
    assert float(figures["expected_cost"]) <= float(figures["do_nothing_cost"])  # type: ignore[arg-type]
    assert (
        float(figures["expected_cost"])
        >= float(figures["baseline_greedy_cost_ignoring_limits"]) - 1.0
    )  # type: ignore[arg-type]
