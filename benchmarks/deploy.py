"""The multi-site deployment under faults and under load, with the real servers.

Three sites (network namespaces, each with its broker, plant and ``andon edge run``), a
three-node NATS JetStream cluster with replicated streams, a PostgreSQL of its own, one
``andon ingest bus`` per site and ``andon serve`` (the harness is ``tests/deploy/cluster.py``).
Needs root, ``ip``, ``nats-server``, ``mosquitto`` and PostgreSQL's server binaries.

Two phases, each on a fresh deployment, printed as one JSON document:

- ``faults``: ``--faults`` faults in turn (an edge SIGKILLed mid-stream, a site cut off
  from the network and reconnected, a NATS node killed and restarted, the central store
  crashed and restarted), the first cut-off lasting ``--long-cutoff-s``; then every sample
  the site brokers acknowledged is looked for in the store: lost and duplicated counts.
- ``throughput``: the plants publish ``--rate`` samples/s in all for ``--seconds``; the
  store's newest sample per site is polled every 0.2 s; reported: samples/s stored while
  publishing, the lag from publishing to queryable (the age of the newest stored sample at
  each poll, p50 and p99) and, as the baseline measured in the same run, the rate at which
  the same PostgreSQL takes the same rows by a bare COPY.

    python benchmarks/deploy.py --faults 100 --rate 50000 --seconds 60
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from rich.console import Console
from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "deploy"))

from cluster import Deployment, deployment, missing
from faults import run_faults


def _cpu_s() -> dict[str, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), os.times()
    return {
        "self": round(own.ru_utime + own.ru_stime, 1),
        "children": round(children.children_user + children.children_system, 1),
    }


def faults_phase(folder: Path, *, faults: int, long_cutoff_s: float, seconds: float) -> dict:
    """Inject faults while three plants publish; count what was lost or written twice."""
    started = time.monotonic()
    with (
        deployment(folder, rate=300, samples=50) as setup,
        Progress(console=Console(stderr=True)) as progress,
    ):
        task = progress.add_task("faults", total=faults)
        rng = random.Random(7)
        long_done = 0
        if long_cutoff_s > 0:  # one site off the network for minutes; its buffer grows
            site = rng.choice(setup.sites)
            site.cut_off()
            time.sleep(long_cutoff_s)
            peak = int(site.edge_status().get("buffer_depth", 0))
            site.reconnect()
            long_done = 1
            progress.advance(task)

        def advance(_number: int, _kind: str) -> None:
            progress.advance(task)

        tally = run_faults(
            setup, faults=faults - long_done, seconds=seconds, outage_s=3.0, on_fault=advance
        )
        tally.faults["site_cut_off"] += long_done
    result = tally.as_json()
    result["long_cutoff_s"] = long_cutoff_s
    result["long_cutoff_buffer_peak_batches"] = peak if long_done else 0
    result["wall_s"] = round(time.monotonic() - started, 1)
    return result


def _poll_lag(setup: Deployment, seconds: float) -> tuple[list[float], dict[str, int]]:
    lags: list[float] = []
    deadline = time.monotonic() + seconds
    first: dict[str, int] = {}
    while time.monotonic() < deadline:
        now_us = time.time_ns() // 1000
        newest = setup.newest()
        if len(newest) == len(setup.sites):
            lags.extend((now_us - ts) / 1e6 for ts in newest.values())
        if not first:
            first = {name: distinct for name, (_, distinct) in setup.stored().items()}
        time.sleep(0.2)
    return lags, first


def _copy_baseline(url: str, rows: int) -> float:
    """Rows per second of a bare COPY of sample-shaped rows into a table of their own."""
    buffer = io.StringIO()
    base = time.time_ns() // 1000
    for i in range(rows):
        buffer.write(f"tri/north/plant/l1/c1/p1/flow\t{base + i}\t{i % 1000}.0\tgood\t0\n")
    text = buffer.getvalue()
    with psycopg.connect(url) as connection:
        connection.execute(
            "CREATE TABLE copy_baseline (path TEXT, ts BIGINT, value DOUBLE PRECISION, "
            "quality TEXT, seq BIGINT)"
        )
        started = time.perf_counter()
        with connection.cursor().copy("COPY copy_baseline FROM STDIN") as copy:
            copy.write(text)
        connection.commit()
        elapsed = time.perf_counter() - started
        connection.execute("DROP TABLE copy_baseline")
    return rows / elapsed


def throughput_phase(folder: Path, *, rate: float, seconds: float, samples: int) -> dict:
    """Publish at ``rate`` samples/s over three sites; measure the stored rate and the lag."""
    per_site = rate / 3
    with deployment(folder, rate=per_site, samples=samples) as setup:
        time.sleep(5.0)  # everything connected and flowing
        before = {name: distinct for name, (_, distinct) in setup.stored().items()}
        wall0, sent0 = time.monotonic(), sum(s.sent_so_far() for s in setup.sites)
        lags, _ = _poll_lag(setup, seconds)
        wall1, sent1 = time.monotonic(), sum(s.sent_so_far() for s in setup.sites)
        after = {name: distinct for name, (_, distinct) in setup.stored().items()}
        for site in setup.sites:
            site.stop_plant()
        baseline = _copy_baseline(setup.postgres.url, 200_000)
    stored_rate = (sum(after.values()) - sum(before.values())) / (wall1 - wall0)
    published_rate = (sent1 - sent0) / (wall1 - wall0)
    ordered = sorted(lags)
    return {
        "asked_rate_samples_per_s": rate,
        "published_rate_samples_per_s": round(published_rate),
        "stored_rate_samples_per_s": round(stored_rate),
        "lag_p50_s": round(statistics.median(ordered), 3) if ordered else None,
        "lag_p99_s": round(ordered[int(0.99 * (len(ordered) - 1))], 3) if ordered else None,
        "lag_polls": len(ordered),
        "baseline_copy_rows_per_s": round(baseline),
        "stored_over_copy": round(stored_rate / baseline, 3),
        "samples_per_message": samples,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", type=int, default=100)
    parser.add_argument("--fault-seconds", type=float, default=3600.0, help="bound on phase 1")
    parser.add_argument("--long-cutoff-s", type=float, default=120.0)
    parser.add_argument("--rate", type=float, default=50_000.0, help="samples/s, all sites")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of phase 2")
    parser.add_argument("--samples", type=int, default=1000, help="samples per message")
    parser.add_argument("--skip-faults", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    lacking = missing()
    if lacking:
        print(json.dumps({"skipped": "needs " + ", ".join(lacking)}))
        return
    wall0 = time.monotonic()
    result: dict[str, object] = {"benchmark": "deploy"}
    with tempfile.TemporaryDirectory(prefix="andon-deploy-") as folder:
        if not args.skip_faults:
            result["faults"] = faults_phase(
                Path(folder) / "faults",
                faults=args.faults,
                long_cutoff_s=args.long_cutoff_s,
                seconds=args.fault_seconds,
            )
        if not args.skip_throughput:
            result["throughput"] = throughput_phase(
                Path(folder) / "throughput",
                rate=args.rate,
                seconds=args.seconds,
                samples=args.samples,
            )
    result["wall_s"] = round(time.monotonic() - wall0, 1)
    result["cpu_s"] = _cpu_s()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
