"""Benchmark: the REST API over a store of a million decision records, and audit verification.

Measures in one run, on one store: a temporary DuckDB file, or with ``--store
postgresql://host/db`` a fresh PostgreSQL schema the run creates and drops:

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

The server runs in a child process (``uvicorn``); the load generator is a minimal HTTP/1.1
keep-alive client on ``asyncio`` streams, 64 connections (``httpx`` spent 4 to 12 ms of CPU
per request here, more than the server, and fell behind the schedule itself). Each HTTP
phase also reports the server process's CPU time per request (from ``/proc``, where there
is one), a figure that holds better than latency on a machine others are using, the mean
response size, and the load generator's own CPU time per request (``getrusage``), which
says whether the generator, not the server, is what limits a phase. On PostgreSQL the
database server's work is in neither figure (it runs in its own processes). The load
average before and after is reported beside the figures. Prints one JSON document.
``--quick`` runs in seconds on small data.

    python benchmarks/api.py [--quick] [--rows 1000000] [--rate 200] [--seconds 10]
                             [--store postgresql://127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

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
from andon.decisions._seal import SEAL_KEY, row_seals  # noqa: E402
from andon.decisions.audit import entry_hash  # noqa: E402
from andon.store import DuckDBStore, PostgresStore, Store, open_store  # noqa: E402

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


_STATUSES = (
    "'proposed', 'proposed', 'proposed', 'approved', 'executed', 'rejected', "
    "'expired', 'superseded', 'proposed', 'executed'"
)


def fill_decisions(store: Store, rows: int) -> int:
    """Insert ``rows`` synthetic decisions with one SQL statement; return the base time.

    The rows are generated inside the database (DuckDB's ``range``, PostgreSQL's
    ``generate_series``), the same rows on both: no row crosses the client connection.
    """
    base = now_us() - rows * 1_000_000
    sites = ", ".join(f"'{s}'" for s in SITES)
    apps = ", ".join(f"'{a}'" for a in APPS)
    if isinstance(store, PostgresStore):
        source = (
            f"SELECT i, (ARRAY[{sites}])[1 + (i / 7) % 4] AS site "
            f"FROM generate_series(0::BIGINT, {rows - 1}) AS i"
        )
        the_id = f"lpad(to_hex({base} + i * 1000000), 16, '0') || substr(md5(i::TEXT), 1, 16)"
        app, status = f"(ARRAY[{apps}])[1 + i % 4]", f"(ARRAY[{_STATUSES}])[1 + (i * 31) % 10]"
    else:
        source = f"SELECT range AS i, [{sites}][1 + (range // 7) % 4] AS site FROM range({rows})"
        the_id = f"printf('%016x', {base} + i * 1000000) || substr(md5(i::VARCHAR), 1, 16)"
        app, status = f"[{apps}][1 + i % 4]", f"[{_STATUSES}][1 + (i * 31) % 10]"
    store.execute(
        f"""
        INSERT INTO decisions
        SELECT {the_id},
               {app}, 'intervention',
               site || '/area' || (i % 3) || '/line' || (i % 7) || '/cell/eq' || (i % 50),
               site, 'replace the worn part', '[]', (i % 997) * 10.0, NULL, NULL,
               ((i * 7919) % 100) / 100.0, 'synthetic decision for the benchmark', '[]',
               '{{"rms": [1.0, 2.0, 3.0]}}', 'snapshot', 'bench@1', {base} + i * 1000000,
               {base} + i * 1000000 + 315360000000000, {status}, FALSE,
               'operator', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{{}}',
               {base} + i * 1000000, 1
        FROM ({source}) AS generated
        """
    )
    if isinstance(store, PostgresStore):
        store.execute("ANALYZE decisions")
    return base


def fill_audit(store: Store, entries: int) -> float:
    """Append a valid chain of ``entries`` entries in bulk; return seconds spent hashing.

    Entry ``i`` records decision ``i`` (in creation order) as proposed, with the seal of
    its row as stored, as :class:`~andon.decisions.DecisionService` writes it: the chain
    covers every synthetic decision, so ``verify`` checks the rows as well as the links.
    """
    started = time.perf_counter()
    decisions = store.execute(f"SELECT * FROM decisions ORDER BY created_at, id LIMIT {entries}")
    ids = decisions.column("id").to_pylist()
    seals = row_seals(decisions).to_pylist()
    seqs = np.arange(1, len(ids) + 1, dtype=np.int64)
    ts = now_us() - len(ids) + seqs
    hashes: list[str] = []
    prevs: list[str] = []
    datas: list[str] = []
    prev = "0" * 64
    for seq, when, the_id, seal in zip(seqs.tolist(), ts.tolist(), ids, seals, strict=True):
        data = f'{{"{SEAL_KEY}":"{seal}","status":"proposed","version":1}}'
        digest = entry_hash(
            prev,
            seq=seq,
            ts=when,
            actor="bench",
            action="decision.proposed",
            entity="decision",
            entity_id=the_id,
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
            "actor": ["bench"] * len(ids),
            "action": ["decision.proposed"] * len(ids),
            "entity": ["decision"] * len(ids),
            "entity_id": ids,
            "site": [SITES[s % 4] for s in seqs.tolist()],
            "data": datas,
            "prev_hash": prevs,
            "hash": hashes,
        }
    )
    if isinstance(store, PostgresStore):
        options = pa_csv.WriteOptions(include_header=False)
        with store.connection.cursor() as cur:
            with cur.copy("COPY audit_log FROM STDIN (FORMAT csv)") as copy:
                for batch in table.to_batches(max_chunksize=100_000):
                    sink = pa.BufferOutputStream()
                    pa_csv.write_csv(pa.Table.from_batches([batch]), sink, options)
                    copy.write(sink.getvalue().to_pybytes())
            cur.execute("ANALYZE audit_log")
    else:
        assert isinstance(store, DuckDBStore)
        con = store.connection
        con.register("_bench_audit", table)
        con.execute("INSERT INTO audit_log SELECT * FROM _bench_audit")
        con.unregister("_bench_audit")
    store.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", [len(ids), prev])
    return hashing


def bare_sha256(store: Store) -> float:
    """Seconds for SHA-256 alone over every stored entry's canonical bytes (the baseline)."""
    table = store.execute(
        "SELECT seq, ts, actor, action, entity, entity_id, site, data, prev_hash FROM audit_log "
        "ORDER BY seq"
    )
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    bodies = [(row[8] + dumps(list(row[:8]))).encode() for row in zip(*columns, strict=True)]
    sha = hashlib.sha256
    started = time.perf_counter()
    for body in bodies:
        sha(body).hexdigest()
    return time.perf_counter() - started


def engine_baseline(store: Store, runs: int) -> dict[str, Any]:
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


def _proposed_ids(store: Store, count: int, *, offset: int) -> list[str]:
    rows = store.rows(
        "SELECT id FROM decisions WHERE site = 'acme/lyon' AND status = 'proposed' "
        f"ORDER BY id LIMIT {int(count)} OFFSET {int(offset)}"
    )
    return [str(r["id"]) for r in rows]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(db: str, port: int) -> None:
    """Run the API on a store URL (the child process)."""
    import uvicorn  # noqa: PLC0415 - only the child needs it

    from andon.api import ApiSettings, create_app  # noqa: PLC0415
    from andon.model import load_model  # noqa: PLC0415

    store = open_store(db)
    app = create_app(
        store=store, model=load_model(ROOT / "examples" / "discrete"), settings=ApiSettings()
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


_TRANSPORT_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError)


class LoopbackClient:
    """A minimal HTTP/1.1 client: a pool of keep-alive connections, one request on each at
    a time; it parses only the status line and the body's length."""

    def __init__(self, port: int, headers: dict[str, str], *, connections: int = 64) -> None:
        self._port = port
        self._headers = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._size = connections
        self._opened = 0
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self.received_bytes = 0

    async def _take(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._idle.empty() and self._opened < self._size:
            self._opened += 1
            try:
                return await asyncio.open_connection("127.0.0.1", self._port)
            except BaseException:
                self._opened -= 1
                raise
        return await self._idle.get()

    async def request(self, method: str, target: str, body: bytes | None = None) -> int:
        """Send one request; return the response's status once its body is read."""
        reader, writer = conn = await self._take()
        done = False
        try:
            extra = "" if body is None else "Content-Type: application/json\r\n"
            head = (
                f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self._headers}{extra}"
                f"Content-Length: {len(body or b'')}\r\n\r\n"
            )
            writer.write(head.encode() + (body or b""))
            raw = await reader.readuntil(b"\r\n\r\n")
            lines = raw.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            fields = {
                k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])
            }
            size = len(raw)
            if fields.get("transfer-encoding", "").lower() == "chunked":
                while True:
                    chunk = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    size += len(await reader.readexactly(chunk + 2))
                    if chunk == 0:
                        break
            else:
                size += len(await reader.readexactly(int(fields.get("content-length", "0"))))
            self.received_bytes += size
            done = fields.get("connection", "").lower() != "close"
            return status
        finally:
            if done:
                self._idle.put_nowait(conn)
            else:
                self._opened -= 1
                writer.close()

    async def close(self) -> None:
        """Close the idle connections."""
        while not self._idle.empty():
            self._idle.get_nowait()[1].close()


async def _wait_ready(client: LoopbackClient, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            msg = f"the API server exited with {proc.returncode}"
            raise RuntimeError(msg)
        try:
            if await client.request("GET", "/api/v1/health") == 200:
                return
        except _TRANSPORT_ERRORS:
            pass
        await asyncio.sleep(0.2)
    msg = "the API server did not start within 60 s"
    raise RuntimeError(msg)


Request = Callable[[LoopbackClient, int], Awaitable[int]]


def _cpu_s(pid: int) -> float | None:
    """Return the CPU seconds (user and system) a process has used, where ``/proc`` says."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    """Return the CPU seconds (user and system) this process, the load generator, has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _phase(
    pid: int, client: LoopbackClient, run: Awaitable[dict[str, Any]]
) -> dict[str, Any]:
    """Run one phase; add the server's and the load generator's CPU ms per request, and the
    mean response size."""
    before, client_before, received = _cpu_s(pid), _own_cpu_s(), client.received_bytes
    figures = await run
    after, client_after = _cpu_s(pid), _own_cpu_s()
    if figures.get("requests"):
        figures["response_bytes_mean"] = round(
            (client.received_bytes - received) / figures["requests"]
        )
        if before is not None and after is not None:
            figures["server_cpu_ms_per_request"] = round(
                (after - before) * 1000 / figures["requests"], 3
            )
        figures["client_cpu_ms_per_request"] = round(
            (client_after - client_before) * 1000 / figures["requests"], 3
        )
    return figures


async def open_loop(
    client: LoopbackClient, request: Request, *, rate: float, count: int, ok: int = 200
) -> dict[str, Any]:
    """Send ``count`` requests at ``rate``/s on schedule; latency from each scheduled time."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    errors = 0

    async def one(index: int, scheduled: float) -> None:
        nonlocal errors
        try:
            if await request(client, index) != ok:
                errors += 1
        except _TRANSPORT_ERRORS:
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
    client: LoopbackClient, request: Request, *, clients: int, seconds: float
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
                status = await request(client, next(counter))
            except IndexError:  # nothing left to send (approvals run out)
                return
            except _TRANSPORT_ERRORS:
                status = 0
            done += 1
            errors += status != 200

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
    client = LoopbackClient(port, {"Authorization": f"Bearer {token}"})
    try:
        await _wait_ready(client, proc)
        rng = random.Random(2)

        async def health(c: LoopbackClient, _i: int) -> int:
            return await c.request("GET", "/api/v1/health")

        async def page(c: LoopbackClient, _i: int) -> int:
            params = {
                "status": "proposed",
                "app": rng.choice(APPS),
                "path": f"acme/lyon/area{rng.randrange(3)}",
                "limit": "50",
            }
            return await c.request("GET", f"/api/v1/decisions?{urlencode(params)}")

        async def approve(c: LoopbackClient, i: int) -> int:
            return await c.request("POST", f"/api/v1/decisions/{approve_ids[i]}/approve", b"{}")

        async def approve_more(c: LoopbackClient, i: int) -> int:
            target = f"/api/v1/decisions/{approve_ids[count + i]}/approve"
            return await c.request("POST", target, b"{}")

        count = max(int(rate * seconds), 1)
        pid = proc.pid
        await open_loop(client, page, rate=rate, count=max(count // 5, 5))  # warm-up
        return {
            "health": await _phase(pid, client, open_loop(client, health, rate=rate, count=count)),
            "list": await _phase(pid, client, open_loop(client, page, rate=rate, count=count)),
            "approve": await _phase(
                pid, client, open_loop(client, approve, rate=rate, count=count)
            ),
            "saturation_list": await _phase(
                pid, client, closed_loop(client, page, clients=32, seconds=saturation_s)
            ),
            "saturation_approve": await _phase(
                pid, client, closed_loop(client, approve_more, clients=32, seconds=saturation_s)
            ),
        }
    finally:
        await client.close()


def _store_url(store: str | None, tmp: Path) -> str:
    """Return the URL of the store to fill: a fresh PostgreSQL schema, or a DuckDB file."""
    if store is None:
        return str(tmp / "bench.duckdb")
    if not store.startswith(("postgresql://", "postgres://")):
        msg = f"--store takes a postgresql:// URL, not {store!r}"
        raise SystemExit(msg)
    sep = "&" if "?" in store else "?"
    return f"{store}{sep}schema=bench_{uuid.uuid4().hex[:12]}"


def run(db: str, *, rows: int, rate: float, seconds: float, quick: bool) -> dict[str, Any]:
    """Fill the store at ``db``, time the engine and audit verify, then drive the server."""
    saturation_s = 1.0 if quick else 5.0
    store = open_store(db)
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
    engine = engine_baseline(store, runs=50 if quick else 200)
    count = int(rate * seconds)
    spare = int(saturation_s * 400)  # enough for the closed loop of approvals
    approve_ids = _proposed_ids(store, count + spare, offset=1_000 if quick else 10_000)
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
    return {
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
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, seconds")
    parser.add_argument("--rows", type=int, help="decision records and audit entries")
    parser.add_argument("--rate", type=float, help="requests/s of the open-loop phases")
    parser.add_argument("--seconds", type=float, help="length of each open-loop phase")
    parser.add_argument(
        "--store",
        metavar="URL",
        help="postgresql://host/db: run in a fresh schema of that database, dropped after "
        "(default: a temporary DuckDB file)",
    )
    parser.add_argument("--serve", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    rows = args.rows or (20_000 if args.quick else 1_000_000)
    rate = args.rate or (50.0 if args.quick else 200.0)
    seconds = args.seconds or (1.0 if args.quick else 10.0)
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="andon-bench-") as tmp:
        db = _store_url(args.store, Path(tmp))
        try:
            figures = run(db, rows=rows, rate=rate, seconds=seconds, quick=args.quick)
        finally:
            if args.store is not None:
                dropping = open_store(db)
                if isinstance(dropping, PostgresStore):
                    dropping.drop_schema()
    verify = figures["audit_verify"]
    result = {
        "benchmark": "api",
        "store": "postgres" if args.store is not None else "duckdb",
        "quick": bool(args.quick),
        "rows": rows,
        "load_average_1_5_15": {
            "before": load_before,
            "after": [round(x, 2) for x in os.getloadavg()],
        },
        "cpus": os.cpu_count(),
        **figures,
        "targets": {
            "list_p99_ms_max": TARGET_P99_S * 1000,
            "approve_p99_ms_max": TARGET_P99_S * 1000,
            "audit_verify_s_max": TARGET_VERIFY_S,
            "list_p99_met": figures["list"]["p99_ms"] <= TARGET_P99_S * 1000,
            "approve_p99_met": figures["approve"]["p99_ms"] <= TARGET_P99_S * 1000,
            "audit_verify_met": verify["seconds"] <= TARGET_VERIFY_S,
        },
    }
    engine = figures["engine"]
    result["list"]["ratio_p99_to_engine"] = round(
        figures["list"]["p99_ms"] / max(engine["page"]["p99_ms"], 1e-9), 2
    )
    result["approve"]["ratio_p99_to_engine"] = round(
        figures["approve"]["p99_ms"] / max(engine["approve"]["p99_ms"], 1e-9), 2
    )
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
