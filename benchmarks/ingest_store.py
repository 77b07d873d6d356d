"""Ingest throughput: samples per second through contracts and the store, beside the raw engine.

For DuckDB and PostgreSQL, at batch sizes of 1k, 10k and 100k samples, the same rows go in
four ways, each into a fresh database in the same run:

* ``raw``: no andon code: a plain Arrow insert into DuckDB (``INSERT INTO t SELECT * FROM
  arrow``), a plain COPY into PostgreSQL (Arrow's CSV writer, one ``COPY ... FROM STDIN``),
  into a bare table with the same columns;
* ``store``: ``Store.write`` alone (idempotent: batch ledger, overlap probe, natural key);
* ``andon``: ``andon.contracts.check`` then ``Store.write`` of the good rows (and
  ``Store.quarantine`` of the rest), which is what a connector does.

The samples are the tags of ``examples/discrete`` with values inside their valid ranges, in
time order, each batch with a batch id. Every measure is repeated ``--rounds`` times with
the ways interleaved, and the best round is kept: on a shared machine the best is the least
disturbed. Ratios are ``andon / raw`` of the same rows in the same run. Each figure is given
twice: by wall time (what a user waits) and by CPU time (this process, plus the PostgreSQL
backend when the server is local), which holds still when other work shares the machine.

``--full`` also ingests 50 million samples in 100k batches into a DuckDB file, in a child
process, and reports that process's peak resident memory.

    python benchmarks/ingest_store.py            # 1M samples per batch size, 3 rounds
    python benchmarks/ingest_store.py --quick    # seconds; the shape of the output only
    python benchmarks/ingest_store.py --full     # and the 50M-sample memory run

Prints one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import psycopg
import pyarrow as pa

from andon.contracts import check
from andon.model import Model, load_model
from andon.records import RecordKind, schema_of
from andon.store import DuckDBStore, PostgresStore
from andon.store._pgio import to_csv

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / "examples" / "discrete"
T0 = 1_700_000_000_000_000
KIND = RecordKind.SAMPLE
RAW_COLUMNS = (
    "ts TIMESTAMPTZ NOT NULL, source TEXT NOT NULL, seq BIGINT NOT NULL, path TEXT NOT NULL, "
    "value DOUBLE PRECISION, quality TEXT NOT NULL"
)
TARGETS = {
    "duckdb_100k_andon_samples_per_s": 1_000_000,
    "duckdb_100k_andon_to_raw": 0.60,
    "postgres_100k_andon_to_raw": 0.50,
    "memory_50m_peak_mib": 1024,
}


class Feed:
    """Sample batches of the model's tags, in time order, values inside valid ranges."""

    def __init__(self, model: Model) -> None:
        tags = sorted(model.tags.values(), key=lambda t: t.path)
        self.paths = pa.array([t.path for t in tags])
        mids = []
        for tag in tags:
            low = tag.definition.min if tag.definition.min is not None else 0.0
            high = tag.definition.max if tag.definition.max is not None else low + 100.0
            mid = (low + high) / 2
            mids.append((mid - tag.offset) / tag.scale)  # the tag's own unit
        self.mids = np.asarray(mids)
        self.spread = np.asarray([abs(m) * 1e-3 + 1e-6 for m in mids])

    def batch(self, index: int, size: int) -> pa.Table:
        """Return batch ``index`` of ``size`` samples: one sample per tag in turn, 1 ms apart."""
        seq = np.arange(index * size, (index + 1) * size, dtype=np.int64)
        which = seq % len(self.paths)
        noise = np.random.default_rng(index).uniform(-1.0, 1.0, size)
        return pa.Table.from_arrays(
            [
                pa.array(T0 + seq * 1_000, pa.timestamp("us", tz="UTC")),
                pa.array(np.full(size, "bench", dtype=object), pa.string()),
                pa.array(seq),
                self.paths.take(pa.array(which)),
                pa.array(self.mids[which] + noise * self.spread[which]),
                pa.array(np.full(size, "good", dtype=object), pa.string()),
            ],
            schema=schema_of(KIND),
        )


def _rate(rows: int, seconds: float) -> float:
    return rows / seconds if seconds > 0 else float("inf")


def _server_cpu_s(pid: int | None) -> float:
    """CPU seconds a local PostgreSQL backend has used (0 when it is not on this machine)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Clock:
    """Wall time, and CPU time of this process plus a database backend's (if local).

    On a shared machine wall time says what a user would see; CPU time says what the work
    costs, whatever else the machine is doing. Both are reported.
    """

    def __init__(self, backend_pid: int | None = None) -> None:
        self.backend_pid = backend_pid
        self.wall = time.perf_counter()
        self.cpu = time.process_time() + _server_cpu_s(backend_pid)

    def stop(self) -> tuple[float, float]:
        wall = time.perf_counter() - self.wall
        cpu = time.process_time() + _server_cpu_s(self.backend_pid) - self.cpu
        return wall, cpu


Timing = tuple[float, float, int]  # wall seconds, CPU seconds, rows quarantined


# -- DuckDB ---------------------------------------------------------------------------------


def duckdb_raw(batches: list[pa.Table], folder: Path) -> Timing:
    con = duckdb.connect(str(folder / f"raw-{uuid.uuid4().hex}.duckdb"))
    con.execute(f"CREATE TABLE t ({RAW_COLUMNS})")
    clock = Clock()
    for batch in batches:
        con.register("batch", batch)
        con.execute("INSERT INTO t SELECT * FROM batch")
        con.unregister("batch")
    con.execute("CHECKPOINT")
    wall, cpu = clock.stop()
    con.close()
    return wall, cpu, 0


def duckdb_andon(batches: list[pa.Table], folder: Path, model: Model | None, now_us: int) -> Timing:
    store = DuckDBStore(folder / f"andon-{uuid.uuid4().hex}.duckdb")
    clock = Clock()
    quarantined = _ingest(store, batches, model, now_us)
    store.execute("CHECKPOINT")
    wall, cpu = clock.stop()
    store.close()
    return wall, cpu, quarantined


def _ingest(
    store: DuckDBStore | PostgresStore, batches: list[pa.Table], model: Model | None, now_us: int
) -> int:
    quarantined = 0
    for index, batch in enumerate(batches):
        good = batch
        if model is not None:
            result = check(KIND, batch, model, now_us=now_us)
            good = result.good
            if result.quarantined.num_rows:
                quarantined += store.quarantine(result.quarantined)
        store.write(KIND, good, batch_id=f"bench-{index}")
    return quarantined


# -- PostgreSQL -----------------------------------------------------------------------------


def postgres_raw(batches: list[pa.Table], url: str) -> Timing:
    schema = f"bench_{uuid.uuid4().hex}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        try:
            conn.execute(f"CREATE TABLE {schema}.t ({RAW_COLUMNS})")
            clock = Clock(_local_backend(conn))
            for batch in batches:
                with (
                    conn.transaction(),
                    conn.cursor() as cur,
                    cur.copy(f"COPY {schema}.t FROM STDIN (FORMAT csv)") as copy,
                ):
                    copy.write(to_csv(batch))
            wall, cpu = clock.stop()
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    return wall, cpu, 0


def postgres_andon(batches: list[pa.Table], url: str, model: Model | None, now_us: int) -> Timing:
    store = PostgresStore(url, schema=f"bench_{uuid.uuid4().hex}")
    try:
        clock = Clock(_local_backend(store.connection))
        quarantined = _ingest(store, batches, model, now_us)
        wall, cpu = clock.stop()
    finally:
        store.drop_schema()
    return wall, cpu, quarantined


def _local_backend(conn: psycopg.Connection[Any]) -> int | None:
    """The server process of a connection, when the server runs on this machine."""
    row = conn.execute("SELECT pg_backend_pid()").fetchone()
    pid = int(row[0]) if row else None
    return pid if pid is not None and Path(f"/proc/{pid}/stat").exists() else None


def postgres_available(url: str) -> str | None:
    """Return why PostgreSQL cannot be used, or ``None`` when it answers."""
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL not reachable at {url}: {exc}".strip()
    return None


# -- the run --------------------------------------------------------------------------------


def measure(
    engine: str,
    size: int,
    batches: list[pa.Table],
    rounds: int,
    ways: dict[str, Callable[[], Timing]],
) -> dict[str, Any]:
    rows = sum(b.num_rows for b in batches)
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    quarantined = 0
    for _ in range(rounds):
        for name, run in ways.items():  # interleaved, so a disturbance hits all ways alike
            wall_s, cpu_s, rejected = run()
            quarantined = max(quarantined, rejected)
            wall[name] = min(wall.get(name, float("inf")), wall_s)
            cpu[name] = min(cpu.get(name, float("inf")), cpu_s)
    result: dict[str, Any] = {"engine": engine, "batch_size": size, "samples": rows}
    for name in ways:
        result[f"{name}_samples_per_s"] = round(_rate(rows, wall[name]))
    for name in ("store", "andon"):
        result[f"{name}_to_raw"] = round(wall["raw"] / wall[name], 3)
    for name in ways:
        result[f"{name}_samples_per_cpu_s"] = round(_rate(rows, cpu[name]))
    for name in ("store", "andon"):
        result[f"{name}_to_raw_cpu"] = round(cpu["raw"] / cpu[name], 3)
    result["quarantined"] = quarantined
    return result


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def memory_run(total: int, size: int) -> dict[str, Any]:
    """Ingest ``total`` samples through contracts into a DuckDB file; report peak memory."""
    model = load_model(MODEL_DIR)
    feed = Feed(model)
    with tempfile.TemporaryDirectory(prefix="andon-bench-") as folder:
        store = DuckDBStore(Path(folder) / "memory.duckdb")
        count = total // size
        now_us = T0 + total * 1_000 + 1
        clock = Clock()
        for index in range(count):
            batch = feed.batch(index, size)
            result = check(KIND, batch, model, now_us=now_us)
            store.write(KIND, result.good, batch_id=f"mem-{index}")
        seconds, cpu = clock.stop()
        stored = store.count_rows(KIND)
        store.close()
    return {
        "samples": count * size,
        "batch_size": size,
        "stored": stored,
        "seconds": round(seconds, 1),
        "andon_samples_per_s": round(_rate(count * size, seconds)),
        "andon_samples_per_cpu_s": round(_rate(count * size, cpu)),
        "peak_rss_mib": peak_rss_mib(),
    }


def _chunks(total: int, size: int) -> Iterator[int]:
    yield from range(max(1, total // size))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: seconds, shape only")
    parser.add_argument("--full", action="store_true", help="also the 50M-sample memory run")
    parser.add_argument("--samples", type=int, help="samples per batch size (default 1M)")
    parser.add_argument("--rounds", type=int, help="repetitions, best kept (default 3)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "ANDON_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--no-postgres", action="store_true", help="DuckDB only")
    parser.add_argument("--memory-run", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_run:
        print(json.dumps(memory_run(args.memory_run, 100_000)))
        return 0

    sizes = (1_000, 10_000, 100_000)
    total = args.samples or (10_000 if args.quick else 1_000_000)
    rounds = args.rounds or (1 if args.quick else 3)
    model = load_model(MODEL_DIR)
    feed = Feed(model)
    skipped = None if not args.no_postgres else "--no-postgres"
    if skipped is None:
        skipped = postgres_available(args.postgres_url)

    results = []
    with tempfile.TemporaryDirectory(prefix="andon-bench-") as tmp:
        folder = Path(tmp)
        for size in sizes:
            count = max(1, total // size)
            batches = [feed.batch(index, size) for index in _chunks(count * size, size)]
            now_us = T0 + count * size * 1_000 + 1
            duck_ways: dict[str, Callable[[], Timing]] = {
                "raw": partial(duckdb_raw, batches, folder),
                "store": partial(duckdb_andon, batches, folder, None, now_us),
                "andon": partial(duckdb_andon, batches, folder, model, now_us),
            }
            results.append(measure("duckdb", size, batches, rounds, duck_ways))
            if skipped is None:
                url = args.postgres_url
                pg_ways: dict[str, Callable[[], Timing]] = {
                    "raw": partial(postgres_raw, batches, url),
                    "store": partial(postgres_andon, batches, url, None, now_us),
                    "andon": partial(postgres_andon, batches, url, model, now_us),
                }
                results.append(measure("postgres", size, batches, rounds, pg_ways))

    report: dict[str, Any] = {
        "benchmark": "ingest_store",
        "mode": "quick" if args.quick else ("full" if args.full else "standard"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "pyarrow": pa.__version__,
        },
        "samples_per_batch_size": total,
        "rounds": rounds,
        "tags": len(feed.paths),
        "postgres_skipped": skipped,
        "results": results,
        "peak_rss_mib": peak_rss_mib(),
    }
    if args.full:
        child = subprocess.run(
            [sys.executable, __file__, "--memory-run", str(50_000_000)],
            capture_output=True,
            text=True,
            check=True,
        )
        report["memory_50m"] = json.loads(child.stdout)
    report["targets"] = _targets(report)
    print(json.dumps(report, indent=2))
    return 0


def _targets(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target of the store beside what this run measured (``None``: not measured)."""
    by = {(r["engine"], r["batch_size"]): r for r in report["results"]}
    duck = by.get(("duckdb", 100_000))
    pg = by.get(("postgres", 100_000))
    memory = report.get("memory_50m")
    measured = {
        "duckdb_100k_andon_samples_per_s": duck
        and (duck["andon_samples_per_s"], duck["andon_samples_per_cpu_s"]),
        "duckdb_100k_andon_to_raw": duck and (duck["andon_to_raw"], duck["andon_to_raw_cpu"]),
        "postgres_100k_andon_to_raw": pg and (pg["andon_to_raw"], pg["andon_to_raw_cpu"]),
        "memory_50m_peak_mib": memory and (memory["peak_rss_mib"], None),
    }
    out = {}
    for name, target in TARGETS.items():
        value, by_cpu = measured[name] or (None, None)
        met = None
        if value is not None:
            met = value <= target if name.startswith("memory") else value >= target
        out[name] = {"target": target, "measured": value, "met": met, "measured_cpu": by_cpu}
    return out


if __name__ == "__main__":
    sys.exit(main())
