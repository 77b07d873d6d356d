"""Contract check throughput: samples per second through ``andon.contracts.check``.

Measured on batches of samples of the bundled example enterprise (realistic tag paths,
values inside each tag's range, some tags converted from another unit), beside two
baselines in the same run, so that figures are ratios:

* ``raw_arrow``: the least a hand-written vectorised check does on the same rows with
  pyarrow alone (tag membership, range, filter), without unit conversion, enums, future
  times, duplicates or explanations;
* ``python_rows``: the same checks written as a Python loop over rows (a peer's
  straightforward implementation), measured on at most 10,000 rows.

``good`` batches have no bad row; ``dirty`` batches have 5 % bad rows (unknown tags, values
out of range, duplicates), whose quarantine rows are built and explained.

Usage: python benchmarks/contracts_check.py [--quick]   (prints JSON)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from andon.contracts import check
from andon.model import Model, load_model
from andon.records import RecordKind, schema_of

ROOT = Path(__file__).resolve().parent.parent
NOW_US = 1_800_000_000_000_000


def batch(model: Model, rows: int, *, dirty: bool, seed: int) -> pa.Table:
    """Return a sample batch of ``rows`` rows; 5 % of them bad when ``dirty``."""
    rng = np.random.default_rng(seed)
    tags = list(model.tags.values())
    index = rng.integers(0, len(tags), rows)
    low = np.array([t.definition.min if t.definition.min is not None else 0.0 for t in tags])
    high = np.array([t.definition.max if t.definition.max is not None else 100.0 for t in tags])
    scale = np.array([t.scale for t in tags])
    offset = np.array([t.offset for t in tags])
    in_class = low[index] + rng.uniform(0.2, 0.8, rows) * (high[index] - low[index])
    values = (in_class - offset[index]) / scale[index]  # as the source reports them
    paths = np.array([t.path for t in tags], dtype=object)[index]
    seq = np.arange(rows, dtype=np.int64)
    ts = np.arange(rows, dtype=np.int64)
    if dirty:
        # bad rows sit at even positions, so the row before a duplicate is always a good one
        bad = rng.choice(np.arange(2, rows, 2), size=rows // 20, replace=False)
        unknown, out_of_range, duplicate = np.array_split(bad, 3)
        paths[unknown] = "acme/lyon/nowhere/tag"
        values[out_of_range] = 1e9
        for column in (paths, values, seq, ts):
            column[duplicate] = column[duplicate - 1]
    schema = schema_of(RecordKind.SAMPLE)
    return pa.Table.from_arrays(
        [
            pa.array(NOW_US - 3_600_000_000 + ts * 1000).cast(schema.field("ts").type),
            pa.array(["plc-1"] * rows),
            pa.array(seq),
            pa.array(paths.tolist(), type=pa.string()),
            pa.array(values),
            pa.array(["good"] * rows),
        ],
        schema=schema,
    )


def raw_arrow(model: Model) -> Callable[[pa.Table], pa.Table]:
    tags = list(model.tags.values())
    value_set = pa.array([t.path for t in tags])
    low = pa.array([t.definition.min if t.definition.min is not None else -1e300 for t in tags])
    high = pa.array([t.definition.max if t.definition.max is not None else 1e300 for t in tags])

    def run(table: pa.Table) -> pa.Table:
        index = pc.index_in(table.column("path"), value_set=value_set)
        values = table.column("value")
        ok = pc.and_(
            pc.is_valid(index),
            pc.and_(
                pc.greater_equal(values, pc.take(low, index)),
                pc.less_equal(values, pc.take(high, index)),
            ),
        )
        return table.filter(pc.fill_null(ok, fill_value=False))

    return run


def python_rows(model: Model) -> Callable[[pa.Table], list[dict[str, Any]]]:
    def run(table: pa.Table) -> list[dict[str, Any]]:
        good = []
        seen = set()
        for row in table.to_pylist():
            tag = model.tags.get(row["path"])
            if tag is None or row["quality"] not in {"good", "bad", "uncertain"}:
                continue
            value = row["value"] * tag.scale + tag.offset
            low, high = tag.definition.min, tag.definition.max
            if (low is not None and value < low) or (high is not None and value > high):
                continue
            key = (row["source"], row["path"], row["ts"], row["seq"])
            if key in seen:
                continue
            seen.add(key)
            good.append(row)
        return good

    return run


def best_seconds(action: Callable[[], Any], repeats: int) -> float:
    action()  # warm caches (model look-ups, Arrow kernels)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="contract check throughput")
    parser.add_argument("--quick", action="store_true", help="small sizes, in seconds")
    arguments = parser.parse_args(argv)
    sizes = [1_000, 10_000] if arguments.quick else [1_000, 10_000, 100_000]
    repeats = 3 if arguments.quick else 15
    model = load_model(ROOT / "examples" / "discrete")
    arrow_check = raw_arrow(model)
    python_check = python_rows(model)
    results: dict[str, Any] = {
        "benchmark": "contracts_check",
        "quick": arguments.quick,
        "tags_in_model": len(model.tags),
        "sizes": {},
    }
    for rows in sizes:
        figures: dict[str, Any] = {}
        for kind in ("good", "dirty"):
            table = batch(model, rows, dirty=kind == "dirty", seed=rows)
            outcome = check(RecordKind.SAMPLE, table, model, now_us=NOW_US)
            seconds = best_seconds(
                lambda table=table: check(RecordKind.SAMPLE, table, model, now_us=NOW_US),
                repeats,
            )
            figures[kind] = {
                "rows": rows,
                "good_rows": outcome.good.num_rows,
                "quarantined_rows": outcome.quarantined.num_rows,
                "reasons": outcome.reasons(),
                "andon_ms": round(seconds * 1e3, 3),
                "andon_rows_per_s": round(rows / seconds),
            }
        table = batch(model, rows, dirty=False, seed=rows)
        raw = best_seconds(lambda table=table: arrow_check(table), repeats)
        figures["raw_arrow_ms"] = round(raw * 1e3, 3)
        figures["raw_arrow_rows_per_s"] = round(rows / raw)
        figures["andon_over_raw_arrow_time"] = round(figures["good"]["andon_ms"] / (raw * 1e3), 2)
        loop_rows = min(rows, 10_000)
        small = table.slice(0, loop_rows)
        loop = best_seconds(lambda small=small: python_check(small), 3)
        figures["python_rows_rows_per_s"] = round(loop_rows / loop)
        figures["andon_speedup_over_python_rows"] = round(
            figures["good"]["andon_rows_per_s"] / figures["python_rows_rows_per_s"], 1
        )
        results["sizes"][str(rows)] = figures
    json.dump(results, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
