"""The ingest benchmark's quick mode runs and prints its JSON (its shape, never its timings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_mode_prints_every_engine_and_batch_size(postgres_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "ingest_store.py"),
            "--quick",
            "--postgres-url",
            postgres_url,
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=300,
    )
    report = json.loads(done.stdout)
    assert report["benchmark"] == "ingest_store"
    assert report["mode"] == "quick"
    assert report["postgres_skipped"] is None
    cases = {(r["engine"], r["batch_size"]) for r in report["results"]}
    assert cases == {
        (engine, size) for engine in ("duckdb", "postgres") for size in (1_000, 10_000, 100_000)
    }
    for row in report["results"]:
        for way in ("raw", "store", "andon"):
            assert row[f"{way}_samples_per_s"] > 0
            assert row[f"{way}_samples_per_cpu_s"] > 0
        assert row["store_to_raw_cpu"] > 0
        ratio = row["andon_samples_per_s"] / row["raw_samples_per_s"]
        assert abs(row["andon_to_raw"] - ratio) < 0.01
        assert row["quarantined"] == 0  # the feed is inside every tag's valid range
    assert report["peak_rss_mib"] > 0
    assert set(report["targets"]) == {
        "duckdb_100k_andon_samples_per_s",
        "duckdb_100k_andon_to_raw",
        "postgres_100k_andon_to_raw",
        "memory_50m_peak_mib",
    }
    assert report["targets"]["memory_50m_peak_mib"]["measured"] is None  # only with --full
