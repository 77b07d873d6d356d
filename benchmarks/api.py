"""Benchmark: the REST API over a store of a million decision records, and audit verification.

Measures in one run, on one DuckDB file:

* ``engine``: the filtered page query and the approval through the repository in-process,
  no HTTP (the baseline the API's figures are ratios to);
* ``health``: the cheapest authenticated-free route through a real uvicorn server on
  loopback at the target rate (the framework's and the network's own cost);
* ``list``: a filtered page of decisions (site, status, app, path prefix, 50 per page) at
  200 requests/s, open loop: latency is measured from each request's scheduled time, so a
  stalled server cannot hide queueing (no coordinated omission);
* ``approve``: approving distinct proposed decisions at 200 requests/s, open loop;
* ``saturation_list``, ``saturation_approve``: closed loop with 32 requests in flight: the
  requests/s the server sustains;
* ``audit_verify``: ``AuditLog.verify`` over a chain of as many entries as decisions,
  beside a bare SHA-256 loop over the same entries (the baseline).

The server runs in a child process (``uvicorn``); the load generator is ``httpx`` on
``asyncio`` here. Each HTTP phase also reports the server process's CPU time per request
(from ``/proc``, where there is one), a figure that holds better than latency on a machine
others are using; the load average before and after is reported beside the figures. Prints
one JSON document. ``--quick`` runs in seconds on small data.

    python benchmarks/api.py [--quick] [--rows 1000000] [--rate 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from andon.decisions import (  # noqa: E402
    AuditLog,
    DecisionFilter,
    DecisionService,
    PasswordPolicy,
    Principal,
    Role,
    Status,
    UserService,
    ensure_schema,
)
from andon.decisions._json import now_us  # noqa: E402
from andon.decisions.audit import entry_hash  # noqa: E402
from andon.store import DuckDBStore, open_store  # noqa: E402

SITES = ("acme/lyon", "acme/brno", "acme/s3", "acme/s4")
APPS = ("maintenance", "quality", "energy", "flow")
TARGET_P99_S = 0.050
TARGET_VERIFY_S = 10.0


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}
    array = np.asarray(values) * 1000.0
    return {
        "p50_ms": round(float(np.percentile(array, 50)), 3),
        "p99_ms": round(float(np.percentile(array, 99)), 3),
        "max_ms": round(float(array.max()), 3),
    }


def fill_decisions(store: DuckDBStore, rows: int) -> int:
    """Insert ``rows`` synthetic decisions with one SQL statement; return the base time."""
    base = now_us() - rows * 1_000_000
    sites = "[" + ", ".join(f"'{s}'" for s in SITES) + "]"
    apps = "[" + ", ".join(f"'{a}'" for a in APPS) + "]"
    statuses = (
        "['proposed', 'proposed', 'proposed', 'approved', 'executed', 'rejected', "
        "'expired', 'superseded', 'proposed', 'executed']"
    )
    store.connection.execute(
        f"""
        INSERT INTO decisions
        SELECT printf('%016x', {base} + i * 1000000) || substr(md5(i::VARCHAR), 1, 16),
               {apps}[1 + i % 4], 'intervention',
               site || '/area' || (i % 3) || '/line' || (i % 7) || '/cell/eq' || (i % 50),
               site, 'replace the worn part', '[]', (i % 997) * 10.0, NULL, NULL,
               ((i * 7919) % 100) / 100.0, 'synthetic decision for the benchmark', '[]',
               '{{"rms": [1.0, 2.0, 3.0]}}', 'snapshot', 'bench@1', {base} + i * 1000000,
               {base} + i * 1000000 + 315360000000000, {statuses}[1 + (i * 31) % 10], FALSE,
               'operator', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{{}}',
               {base} + i * 1000000, 1
        FROM (SELECT range AS i, {sites}[1 + (range // 7) % 4] AS site FROM range({rows}))
        """
    )
    return base


def fill_audit(store: DuckDBStore, entries: int) -> float:
    """Append a valid chain of ``entries`` entries in bulk; return seconds spent hashing."""
    started = time.perf_counter()
    seqs = np.arange(1, entries + 1, dtype=np.int64)
    ts = now_us() - entries + seqs
    hashes: list[str] = []
    prevs: list[str] = []
    datas: list[str] = []
    prev = "0" * 64
    for seq, when in zip(seqs.tolist(), ts.tolist(), strict=True):
        data = f'{{"status":"approved","version":{seq % 7}}}'
        digest = entry_hash(
            prev,
            seq=seq,
            ts=when,
            actor="bench",
            action="decision.approved",
            entity="decision",
            entity_id=f"{seq:032x}",
            site=SITES[seq % 4],
            data=data,
        )
        prevs.append(prev)
        hashes.append(digest)
        datas.append(data)
        prev = digest
    hashing = time.perf_counter() - started
    table = pa.table(
        {
            "seq": seqs,
            "ts": ts,
            "actor": ["bench"] * entries,
            "action": ["decision.approved"] * entries,
            "entity": ["decision"] * entries,
            "entity_id": [f"{s:032x}" for s in seqs.tolist()],
            "site": [SITES[s % 4] for s in seqs.tolist()],
            "data": datas,
            "prev_hash": prevs,
            "hash": hashes,
        }
    )
    con = store.connection
    con.register("_bench_audit", table)
    con.execute("INSERT INTO audit_log SELECT * FROM _bench_audit")
    con.unregister("_bench_audit")
    con.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", [entries, prev])
    return hashing


def bare_sha256(store: DuckDBStore) -> float:
    """Seconds for SHA-256 alone over every stored entry's canonical bytes (the baseline)."""
    table = store.connection.execute(
        "SELECT seq, ts, actor, action, entity, entity_id, site, data, prev_hash FROM audit_log "
        "ORDER BY seq"
    ).to_arrow_table()
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    bodies = [(row[8] + dumps(list(row[:8]))).encode() for row in zip(*columns, strict=True)]
    sha = hashlib.sha256
    started = time.perf_counter()
    for body in bodies:
        sha(body).hexdigest()
    return time.perf_counter() - started


def engine_baseline(store: DuckDBStore, runs: int) -> dict[str, Any]:
    """Time the page query and an approval through the repository, no HTTP."""
    service = DecisionService(store=store)
    who = Principal(username="bench", role=Role.OPERATOR, sites=("acme/lyon",))
    rng = random.Random(1)
    page: list[float] = []
    for _ in range(runs):
        filters = _filters(rng)
        started = time.perf_counter()
        service.list(filters, who=who, limit=51)
        page.append(time.perf_counter() - started)
    ids = _proposed_ids(store, runs, offset=0)
    approve: list[float] = []
    for decision_id in ids:
        started = time.perf_counter()
        service.approve(decision_id, who=who)
        approve.append(time.perf_counter() - started)
    return {"page": _percentiles(page), "approve": _percentiles(approve), "runs": runs}


def _filters(rng: random.Random) -> DecisionFilter:
    return DecisionFilter(
        sites=("acme/lyon",),
        statuses=(Status.PROPOSED,),
        app=rng.choice(APPS),
        subject_prefix=f"acme/lyon/area{rng.randrange(3)}",
    )


def _proposed_ids(store: DuckDBStore, count: int, *, offset: int) -> list[str]:
    rows = store.connection.execute(
        "SELECT id FROM decisions WHERE site = 'acme/lyon' AND status = 'proposed' "
        "ORDER BY id LIMIT ? OFFSET ?",
        [count, offset],
    ).fetchall()
    return [str(r[0]) for r in rows]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(db: str, port: int) -> None:
    """Run the API on a DuckDB file (the child process)."""
    import uvicorn  # noqa: PLC0415 - only the child needs it

    from andon.api import ApiSettings, create_app  # noqa: PLC0415
    from andon.model import load_model  # noqa: PLC0415

    store = open_store(db)
    app = create_app(
        store=store, model=load_model(ROOT / "examples" / "discrete"), settings=ApiSettings()
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def _wait_ready(client: httpx.AsyncClient, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            msg = f"the API server exited with {proc.returncode}"
            raise RuntimeError(msg)
        try:
            if (await client.get("/api/v1/health")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    msg = "the API server did not start within 60 s"
    raise RuntimeError(msg)


Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


def _cpu_s(pid: int) -> float | None:
    """Return the CPU seconds (user and system) a process has used, where ``/proc`` says."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _phase(pid: int, run: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    """Run one phase and add the server's CPU milliseconds per request to its figures."""
    before = _cpu_s(pid)
    figures = await run
    after = _cpu_s(pid)
    if before is not None and after is not None and figures.get("requests"):
        figures["server_cpu_ms_per_request"] = round(
            (after - before) * 1000 / figures["requests"], 3
        )
    return figures


async def open_loop(
    client: httpx.AsyncClient, request: Request, *, rate: float, count: int, ok: int = 200
) -> dict[str, Any]:
    """Send ``count`` requests at ``rate``/s on schedule; latency from each scheduled time."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors = 0

    async def one(index: int, scheduled: float) -> None:
        nonlocal errors
        try:
            response = await request(client, index)
            if response.status_code != ok:
                errors += 1
        except httpx.HTTPError:
            errors += 1
        latencies.append(loop.time() - scheduled)

    start = loop.time() + 0.05
    tasks = []
    for index in range(count):
        scheduled = start + index / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, scheduled)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    return {
        "requests": count,
        "rate_per_s": rate,
        "achieved_per_s": round(count / elapsed, 1),
        "errors": errors,
        **_percentiles(latencies),
    }


async def closed_loop(
    client: httpx.AsyncClient, request: Request, *, clients: int, seconds: float
) -> dict[str, Any]:
    """Keep ``clients`` requests in flight for ``seconds``; return requests/s served."""
    done = 0
    errors = 0
    stop = time.monotonic() + seconds
    counter = iter(range(10**9))

    async def worker() -> None:
        nonlocal done, errors
        while time.monotonic() < stop:
            try:
                response = await request(client, next(counter))
            except IndexError:  # nothing left to send (approvals run out)
                return
            done += 1
            errors += response.status_code != 200

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.monotonic() - started
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": done,
        "errors": errors,
        "per_s": round(done / elapsed, 1),
    }


async def load(
    port: int,
    proc: subprocess.Popen[bytes],
    token: str,
    approve_ids: list[str],
    *,
    rate: float,
    seconds: float,
    saturation_s: float,
) -> dict[str, Any]:
    """Drive the server: health, list and approve at ``rate``, then saturation."""
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers=headers, limits=limits, timeout=30
    ) as client:
        await _wait_ready(client, proc)
        rng = random.Random(2)

        async def health(c: httpx.AsyncClient, _i: int) -> httpx.Response:
            return await c.get("/api/v1/health")

        async def page(c: httpx.AsyncClient, _i: int) -> httpx.Response:
            params = {
                "status": "proposed",
                "app": rng.choice(APPS),
                "path": f"acme/lyon/area{rng.randrange(3)}",
                "limit": "50",
            }
            return await c.get("/api/v1/decisions", params=params)

        async def approve(c: httpx.AsyncClient, i: int) -> httpx.Response:
            return await c.post(f"/api/v1/decisions/{approve_ids[i]}/approve", json={})

        async def approve_more(c: httpx.AsyncClient, i: int) -> httpx.Response:
            return await c.post(f"/api/v1/decisions/{approve_ids[count + i]}/approve", json={})

        count = max(int(rate * seconds), 1)
        pid = proc.pid
        await open_loop(client, page, rate=rate, count=max(count // 5, 5))  # warm-up
        return {
            "health": await _phase(pid, open_loop(client, health, rate=rate, count=count)),
            "list": await _phase(pid, open_loop(client, page, rate=rate, count=count)),
            "approve": await _phase(pid, open_loop(client, approve, rate=rate, count=count)),
            "saturation_list": await _phase(
                pid, closed_loop(client, page, clients=32, seconds=saturation_s)
            ),
            "saturation_approve": await _phase(
                pid, closed_loop(client, approve_more, clients=32, seconds=saturation_s)
            ),
        }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, seconds")
    parser.add_argument("--rows", type=int, help="decision records and audit entries")
    parser.add_argument("--rate", type=float, help="requests/s of the open-loop phases")
    parser.add_argument("--seconds", type=float, help="length of each open-loop phase")
    parser.add_argument("--serve", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    rows = args.rows or (20_000 if args.quick else 1_000_000)
    rate = args.rate or (50.0 if args.quick else 200.0)
    seconds = args.seconds or (1.0 if args.quick else 10.0)
    saturation_s = 1.0 if args.quick else 5.0
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="andon-bench-") as tmp:
        db = str(Path(tmp) / "bench.duckdb")
        store = open_store(db)
        assert isinstance(store, DuckDBStore)
        ensure_schema(store)
        started = time.perf_counter()
        fill_decisions(store, rows)
        fill_s = time.perf_counter() - started
        hashing_s = fill_audit(store, rows)
        users = UserService(store=store, passwords=PasswordPolicy(memory_kib=1024, time_cost=1))
        users.add("bench", role=Role.OPERATOR, sites=["acme/lyon"], password=None, actor="bench")
        token = users.issue_token("bench", name="bench", actor="bench").secret
        log = AuditLog(store=store)
        started = time.perf_counter()
        verified = log.verify()
        verify_s = time.perf_counter() - started
        bare_s = bare_sha256(store)
        engine = engine_baseline(store, runs=50 if args.quick else 200)
        count = int(rate * seconds)
        spare = int(saturation_s * 400)  # enough for the closed loop of approvals
        approve_ids = _proposed_ids(
            store, count + spare, offset=10_000 if not args.quick else 1_000
        )
        store.close()
        port = _free_port()
        proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", db, str(port)],
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )
        try:
            http = asyncio.run(
                load(
                    port,
                    proc,
                    token,
                    approve_ids,
                    rate=rate,
                    seconds=seconds,
                    saturation_s=saturation_s,
                )
            )
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    result = {
        "benchmark": "api",
        "quick": bool(args.quick),
        "rows": rows,
        "load_average_1_5_15": {
            "before": load_before,
            "after": [round(x, 2) for x in os.getloadavg()],
        },
        "cpus": os.cpu_count(),
        "fill_s": round(fill_s, 2),
        "engine": engine,
        **http,
        "audit_verify": {
            "entries": verified.entries,
            "ok": verified.ok,
            "seconds": round(verify_s, 3),
            "entries_per_s": round(verified.entries / verify_s),
            "bare_sha256_s": round(bare_s, 3),
            "ratio_to_bare_sha256": round(verify_s / bare_s, 2) if bare_s else None,
            "chain_build_s": round(hashing_s, 2),
        },
        "targets": {
            "list_p99_ms_max": TARGET_P99_S * 1000,
            "approve_p99_ms_max": TARGET_P99_S * 1000,
            "audit_verify_s_max": TARGET_VERIFY_S,
            "list_p99_met": http["list"]["p99_ms"] <= TARGET_P99_S * 1000,
            "approve_p99_met": http["approve"]["p99_ms"] <= TARGET_P99_S * 1000,
            "audit_verify_met": verify_s <= TARGET_VERIFY_S,
        },
    }
    result["list"]["ratio_p99_to_engine"] = round(
        http["list"]["p99_ms"] / max(engine["page"]["p99_ms"], 1e-9), 2
    )
    result["approve"]["ratio_p99_to_engine"] = round(
        http["approve"]["p99_ms"] / max(engine["approve"]["p99_ms"], 1e-9), 2
    )
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
