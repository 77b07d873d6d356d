"""The inbox benchmark runs in quick mode, so it cannot rot (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_inbox_quick_judges_every_variant_on_truth(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "inbox.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    variants = report["variants"]
    assert set(variants) == {"inbox", "all_proposals", "condition_threshold"}
    gate_on, gate_off = variants["inbox"], variants["all_proposals"]
    for figures in variants.values():
        for key in ("precision", "recall"):
            point = figures[key]["point"]
            low, high = figures[key]["ci95"]
            assert point is None or 0.0 <= low <= point <= high <= 1.0
        shown = figures["shown"]
        assert shown == sum(k["shown"] for k in figures["by_kind"].values())
        assert figures["of_which_prevented"] <= figures["signalled_failures"]
        assert figures["warned_failures"] <= figures["signalled_failures"]
    # The gate only hides proposals; with it off every proposal is shown.
    assert gate_on["shown"] <= gate_on["proposals"]
    assert gate_off["shown"] == gate_off["proposals"] > 0
    assert report["seeds"] == 2
    assert report["cpu_seconds"] > 0
    assert (tmp_path / "inbox_quick.png").stat().st_size > 1000
