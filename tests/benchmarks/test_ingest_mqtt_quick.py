"""The MQTT ingest benchmark runs in quick mode and prints coherent JSON (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.services
@pytest.mark.slow
def test_ingest_mqtt_quick(mqtt_url: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "ingest_mqtt.py"),
            "--quick",
            "--mqtt",
            mqtt_url,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["benchmark"] == "ingest_mqtt"
    for name in ("uns_json", "sparkplug"):
        assert result[name]["rows"] == result[name]["expected_rows"] == result["messages"] * 100
        assert result[name]["quarantined"] == 0
        assert result[name]["ratio_to_bare"] > 0
    assert result["bare"]["messages"] == result["messages"]
    assert result["latency"]["samples"] > 0
    assert 0 < result["latency"]["p50_s"] <= result["latency"]["p99_s"]
    step = result["opcua"]["steps"][0]
    assert step["items"] == 50
    assert step["notifications_per_s"] > 0
