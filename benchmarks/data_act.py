"""A Data Act bundle of 30 days of one machine's data, against a plain DuckDB COPY baseline.

The simulator writes ``--days`` of examples/discrete into a DuckDB store (in a temporary
folder, or in ``--cache`` where a second run finds it again). A grant of one machine
(``--machine``, the Lyon mill by default) over the whole range, every record kind of
equipment, is exported with :func:`andon.trace.data_act.export_bundle`: Parquet and CSV
per kind, the Art. 3 metadata, the data dictionary and the SHA-256 manifest.

Baseline, in the same run on the same rows: DuckDB's own ``COPY (SELECT ...) TO ...
(FORMAT parquet)`` of each kind's rows at or below the machine, one file per kind (no CSV,
no sort by natural key, no checksums): what a bundle costs at the least.

Measured: wall and CPU seconds (of this process: DuckDB's threads count too) for the
bundle and the baseline, least and median of ``--repeat`` runs, the rows and bytes, and
whether two bundles are the same bytes. Target (issue 20): a bundle in at most 5 s.

Usage: python benchmarks/data_act.py [--days 30] [--cache FOLDER] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from andon.model import load_model
from andon.records import PATH_COLUMNS
from andon.store import DuckDBStore
from andon.trace.data_act import export_bundle, grant

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "discrete"
MACHINE = "acme/lyon/machining/m1/milling/mill1"
KINDS = sorted(k.value for k, column in PATH_COLUMNS.items() if column == "path")
YEAR_US = 365 * 86_400_000_000


def _simulate(store_file: Path, days: float) -> float:
    """Simulate the plant into ``store_file`` unless it is there; return the seconds taken."""
    if store_file.exists():
        return 0.0
    started = time.perf_counter()
    andon = Path(sys.executable).with_name("andon")
    command = [str(andon), "sim", "run", str(EXAMPLE), "--days", str(days)]
    subprocess.run([*command, "--store", str(store_file)], check=True, capture_output=True)
    return time.perf_counter() - started


def _timed(work: Callable[[], object], repeat: int) -> dict[str, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {
        "wall_s_min": round(min(walls), 4),
        "wall_s_median": round(statistics.median(walls), 4),
        "cpu_s_min": round(min(cpus), 4),
        "cpu_s_median": round(statistics.median(cpus), 4),
    }


def _span(store_file: Path) -> tuple[int, int]:
    con = duckdb.connect(str(store_file), read_only=True)
    try:
        [row] = con.sql("SELECT min(epoch_us(ts)), max(epoch_us(ts)) FROM rec_sample").fetchall()
    finally:
        con.close()
    if row[0] is None:
        msg = f"no samples in {store_file}"
        raise SystemExit(msg)
    return int(row[0]), int(row[1]) + 1


def _copy_baseline(store_file: Path, folder: Path, machine: str, span: tuple[int, int]) -> int:
    """Each kind's rows of the machine copied to Parquet by DuckDB itself; return the rows."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = 0
    con = duckdb.connect(str(store_file), read_only=True)
    try:
        for kind in KINDS:
            where = (
                f"(path = '{machine}' OR path LIKE '{machine}/%') "
                f"AND epoch_us(ts) >= {span[0]} AND epoch_us(ts) < {span[1]}"
            )
            [(counted,)] = con.sql(f"SELECT count(*) FROM rec_{kind} WHERE {where}").fetchall()
            rows += int(counted)
            target = folder / f"{kind}.parquet"
            con.execute(
                f"COPY (SELECT * FROM rec_{kind} WHERE {where}) TO '{target}' "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
    finally:
        con.close()
    return rows


def main() -> None:
    """Run the benchmark and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--cache", type=Path, default=None, help="keep the store here")
    parser.add_argument("--machine", default=MACHINE)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="andon-data-act-"))
    cache = args.cache or work
    cache.mkdir(parents=True, exist_ok=True)
    store_file = cache / f"discrete-{args.days:g}d.duckdb"
    try:
        simulated_s = _simulate(store_file, args.days)
        model = load_model(EXAMPLE)
        span = _span(store_file)
        store = DuckDBStore(store_file)
        now = time.time_ns() // 1000
        made = grant(
            store,
            model,
            recipient="benchmark",
            paths=[args.machine],
            kinds=KINDS,
            start_us=span[0],
            end_us=span[1],
            expires_us=now + YEAR_US,
            actor="benchmark",
            now_us=now,
        )
        bundles: list[dict[str, Any]] = []

        def bundle() -> None:
            folder = work / f"bundle-{len(bundles)}"
            bundles.append(export_bundle(store, model, made.grant_id, folder, now_us=now + 1))

        bundle_time = _timed(bundle, args.repeat)
        store.close()
        rows = sum(
            int(json.loads((work / "bundle-0" / "metadata.json").read_text())["kinds"][k]["rows"])
            for k in KINDS
        )
        size = sum(int(f["bytes"]) for f in bundles[0]["files"])
        baseline_rows: list[int] = []
        baseline_time = _timed(
            lambda: baseline_rows.append(
                _copy_baseline(store_file, work / "copy", args.machine, span)
            ),
            args.repeat,
        )
        report = {
            "benchmark": "data_act_bundle",
            "days": args.days,
            "machine": args.machine,
            "kinds": KINDS,
            "rows": rows,
            "bundle_bytes": size,
            "reproducible": all(b == bundles[0] for b in bundles),
            "bundle": bundle_time,
            "baseline_duckdb_copy_parquet": {**baseline_time, "rows": baseline_rows[0]},
            "target_wall_s": 5.0,
            "meets_target": bundle_time["wall_s_median"] <= 5.0,
            "simulated_s": round(simulated_s, 1),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
        print(json.dumps(report, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
