"""Benchmark of ``andon demo`` and the console, printing JSON.

Three figures, each beside a baseline measured in the same run:

1. **Time to a console that answers**: ``andon demo --days 60`` started as a user would
   (a subprocess), until ``GET /login`` answers 200 with the history generated, the apps
   fitted and decisions proposed. Baseline: the simulator alone writing the same days into a
   DuckDB store, so the ratio is what the rest of the loop costs on top. Target <= 60 s.
2. **Server time per page**, p95 over repeated requests, with a year of history of the
   example enterprise in the store (``Server-Timing`` header, i.e. time inside the app).
   Baseline: a static file served by the same app. Target <= 300 ms for every page.
3. **Points per chart series** on every page (``data-points``), beside the raw samples of
   the busiest series over a year. Target <= 5,000.

``--quick`` uses a few days instead of 60 and 365, and few requests, so that a test can run
it in seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import duckdb
import httpx
import polars as pl
import psutil
import uvicorn
from rich.console import Console as RichConsole
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from andon.decisions import DecisionFilter, DecisionService, Status, UserService
from andon.model import Model, load_model
from andon.records import RecordKind
from andon.runtime import SimulatedRun, SimulatedRunSettings
from andon.sim import StoreSink, simulate
from andon.store import open_store
from andon.store.base import Store
from andon.time import DAY_US
from andon.web._plant import latest_time
from andon.web._server import build_app

ROOT = Path(__file__).resolve().parent.parent

warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")

PASSWORD = "andon-demo"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def time_to_console(days: float, workdir: Path) -> dict[str, float]:
    """Start ``andon demo`` and return the seconds until the console answers."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-W",
            "ignore",
            "-m",
            "andon",
            "demo",
            "--days",
            str(days),
            "--port",
            str(port),
            "--workdir",
            str(workdir),
            "--model",
            str(ROOT / "examples" / "discrete"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    ready = None
    cpu_s = None
    watched = psutil.Process(process.pid)
    try:
        while time.perf_counter() - started < 3600:
            if process.poll() is not None:
                err = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"andon demo exited with {process.returncode}: {err[-2000:]}")
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                if response.status_code == 200:
                    ready = time.perf_counter() - started
                    times = watched.cpu_times()
                    cpu_s = times.user + times.system
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
    if ready is None or cpu_s is None:
        raise RuntimeError("the console did not answer within 3600 s")
    return {"seconds": ready, "cpu_seconds": cpu_s}


def simulator_alone(days: float, workdir: Path) -> tuple[float, float]:
    """Return wall and CPU seconds the simulator alone takes to write ``days`` to DuckDB."""
    model = load_model(ROOT / "examples" / "discrete")
    store = open_store(str(workdir / "sim-only.duckdb"))
    started, cpu0 = time.perf_counter(), time.process_time()
    simulate(model, days=days, seed=1, sink=StoreSink(store))
    took, cpu = time.perf_counter() - started, time.process_time() - cpu0
    store.close()
    return took, cpu


def _settings(days: float, workdir: Path) -> SimulatedRunSettings:
    return SimulatedRunSettings(
        model=ROOT / "examples" / "discrete",
        workdir=workdir,
        history_days=days,
        stream_days=0,
        speed=0,
        password_memory_kib=1024,
    )


def history_store(days: float, workdir: Path) -> SimulatedRun:
    """Run the demo's loop headless for ``days`` of history and return the runtime."""
    runtime = SimulatedRun(settings=_settings(days, workdir))
    runtime.ensure_demo_users()
    runtime.run_history()
    runtime.wait_done()
    return runtime


def cache_folder() -> Path:
    """Return where generated histories are kept between runs (``ANDON_BENCH_CACHE``)."""
    default = Path(tempfile.gettempdir()) / "andon-bench-cache"
    return Path(os.environ.get("ANDON_BENCH_CACHE", default))


def _history_key(days: float) -> str:
    """Name a history by its days and the model files (``--fresh`` after simulator changes)."""
    digest = hashlib.sha256()
    for file in sorted((ROOT / "examples" / "discrete").rglob("*")):
        if file.is_file() and file.suffix in {".yaml", ".scenario"}:
            digest.update(file.read_bytes())
    return f"demo-{days:g}d-{digest.hexdigest()[:12]}"


def cached_history(days: float, *, fresh: bool = False) -> tuple[Path, dict[str, float]]:
    """Return the folder of a demo history of ``days`` (the demo's loop run headless: the
    simulator through the contracts, the apps fitted and proposing once, the demo's users),
    generating it unless a run before left it in :func:`cache_folder`; and what generating
    took (empty when cached)."""
    target = cache_folder() / _history_key(days)
    if (target / "andon.duckdb").exists() and not fresh:
        return target, {}
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    started, cpu0 = time.perf_counter(), time.process_time()
    runtime = history_store(days, partial)
    runtime.close()
    took = {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu0}
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target, took


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _pages(model: Model, decision_id: str | None) -> dict[str, str]:
    """Return every console page to time (name -> address), and the baselines."""
    site = model.plant.sites[0]
    line = site.areas[0].lines[0]
    site_path = f"{model.root}/{site.id}"
    line_path = f"{site_path}/{site.areas[0].id}/{line.id}"
    machine = f"{line_path}/{line.cells[0].id}/{line.cells[0].equipment[0].id}"
    pages = {
        "overview": "/",
        "inbox": "/inbox",
        "inbox_figures": "/inbox/figures",
        "plant": "/plant",
        "site": f"/plant/{site_path}",
        "line": f"/plant/{line_path}",
        "machine_week": f"/plant/{machine}?days=7",
        "machine_year": f"/plant/{machine}?days=365",
        "quality": "/quality",
        "audit": "/audit",
        "users": "/users",
        "kpi_api_site_day": f"/api/v1/kpis?grain=site&period=day&path={site_path}",
        "kpi_api_line_shift": f"/api/v1/kpis?grain=line&period=shift&path={line_path}",
    }
    if decision_id is not None:
        pages["decision"] = f"/decisions/{decision_id}"
    return pages


BASELINES = {"health": "/api/v1/health", "static": "/static/console.css"}
"""What every page costs at least: the app's health answer and a static file."""


def page_times(
    store: Store, model: Model, requests: int, *, only: set[str] | None = None
) -> dict[str, object]:
    """Serve the console as ``andon serve`` does over ``store`` and time every page.

    Each page is fetched once to warm it, then ``requests`` times as the demo's
    administrator: p50 and p95 of the wall time seen by the client and of the time inside
    the app (``Server-Timing``), and the CPU time per request of this process (the server
    and the client both). The overview is warmed as at start-up.
    """

    def clock() -> int | None:
        return latest_time(store)  # the console's "now" on a plant that stopped

    def decision_clock() -> int:
        return clock() or 0

    decisions = DecisionService(store=store, clock=decision_clock)
    server = build_app(
        store=store,
        model=model,
        decisions=decisions,
        users=UserService(store=store),
        clock=clock,
    )
    warm_started = time.perf_counter()
    server.overview.warm()
    warm_s = time.perf_counter() - warm_started
    port = free_port()
    web = uvicorn.Server(
        uvicorn.Config(server.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    while not web.started:
        time.sleep(0.05)
    proposed = decisions.list(DecisionFilter(statuses=(Status.PROPOSED,)), limit=1)
    anyone = proposed or decisions.list(DecisionFilter(), limit=1)
    pages = {**_pages(model, anyone[0].id if anyone else None), **BASELINES}
    if only:
        pages = {k: v for k, v in pages.items() if k in only or k in BASELINES}
    figures: dict[str, object] = {}
    max_points = 0
    with (
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=RichConsole(stderr=True),
        ) as progress,
    ):
        login = client.post("/login", data={"username": "admin", "password": PASSWORD, "next": "/"})
        if login.status_code != 303:
            raise RuntimeError(f"login failed: {login.status_code}")
        task = progress.add_task("pages", total=len(pages) * (requests + 1))
        for name, url in pages.items():
            progress.update(task, description=f"page {name}")
            wall: list[float] = []
            inside: list[float] = []
            cpu0 = time.process_time()
            for i in range(requests + 1):
                started = time.perf_counter()
                response = client.get(url, headers={"accept": "text/html"})
                took = (time.perf_counter() - started) * 1000
                progress.advance(task)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code}")
                if i == 0:
                    cpu0 = time.process_time()
                    continue
                wall.append(took)
                timing = response.headers.get("server-timing", "app;dur=0")
                inside.append(float(timing.split("dur=")[1]))
                points = [int(n) for n in re.findall(r'data-points="(\d+)"', response.text)]
                max_points = max([max_points, *points])
            figures[name] = {
                "url": url,
                "p50_ms": round(statistics.median(wall), 1),
                "p95_ms": round(_percentile(wall, 0.95), 1),
                "server_p50_ms": round(statistics.median(inside), 1),
                "server_p95_ms": round(_percentile(inside, 0.95), 1),
                "cpu_ms_per_request": round((time.process_time() - cpu0) * 1000 / requests, 1),
                "requests": requests,
                "bytes": len(response.content),
            }
    web.should_exit = True
    thread.join(10)
    busiest = _pages(model, None)["machine_week"].split("/plant/")[1].split("?")[0]
    raw = store.samples(path_prefix=busiest, start=(clock() or 0) - 365 * DAY_US)
    per_series = 0
    if raw.num_rows:
        frame = pl.from_arrow(raw.select(["path"]))
        assert isinstance(frame, pl.DataFrame)
        per_series = int(frame.group_by("path").len()["len"].max() or 0)  # type: ignore[arg-type]
    return {
        "pages": figures,
        "overview_warm_seconds": round(warm_s, 2),
        "max_points_per_series": max_points,
        "raw_samples_busiest_series": per_series,
    }


ID_COLUMNS = {"serial", "work_order", "order_id", "parent", "child", "lot"}
"""Columns that name a unit, a work order, an order or a lot: each copy gets its own names."""


def tile_history(file: Path, *, block_days: float, copies: int) -> None:
    """Extend the history in a DuckDB ``file`` backwards: ``copies`` copies of its last
    ``block_days`` of records, each moved ``block_days`` earlier than the one before.

    Every record table is copied in SQL (ids of units, work orders, orders and lots get a
    suffix per copy, so that no work order spans two copies), and the stored day KPIs with
    them; the decisions, users and audit stay as the demo's loop left them at the end.
    """
    block_us = int(block_days * DAY_US)
    con = duckdb.connect(str(file))
    try:
        tables = [
            str(r[0])
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_name LIKE 'rec\\_%' ESCAPE '\\' OR table_name = 'aux_kpi_day_elements'"
            ).fetchall()
        ]
        for table in tables:
            columns = [
                (str(name), str(kind))
                for name, kind in con.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_name = ? ORDER BY ordinal_position",
                    [table],
                ).fetchall()
            ]
            times = [n for n, k in columns if k.startswith("TIMESTAMP")]
            newest = con.execute(f"SELECT max({times[0]}) FROM {table}").fetchone()
            if newest is None or newest[0] is None:
                continue
            parts = []
            for name, kind in columns:
                if kind.startswith("TIMESTAMP") and name != "computed_at":
                    parts.append(f"{name} - to_microseconds(k * {block_us}) AS {name}")
                elif name in ID_COLUMNS:
                    parts.append(f"CASE WHEN {name} IS NULL THEN NULL ELSE {name} || '~' || k END")
                else:
                    parts.append(name)
            low = con.execute(
                f"SELECT epoch_us(max({times[0]})) - {block_us} FROM {table}"
            ).fetchone()
            assert low is not None
            for k in range(1, copies + 1):
                select = ", ".join(parts).replace("k *", f"{k} *").replace("'~' || k", f"'~{k}'")
                con.execute(
                    f"INSERT INTO {table} SELECT {select} FROM {table} "
                    f"WHERE {times[0]} > make_timestamptz({int(low[0])})"
                )
        con.execute("CHECKPOINT")
    finally:
        con.close()


def year_store(
    days: float, block_days: float, workdir: Path, *, fresh: bool
) -> tuple[Store, dict[str, object]]:
    """Return a copy of the cached history of ``days`` opened as a store, and its facts.

    The demo's loop generates ``block_days`` (cached, :func:`cached_history`); the rest of
    the ``days`` are copies of it back in time (:func:`tile_history`), cached as well.
    """
    folder, generated = cached_history(block_days, fresh=fresh)
    copies = max(0, round(days / block_days) - 1)
    tiled = folder.with_name(f"{folder.name}-x{copies + 1}")
    tiling: dict[str, float] = {}
    if fresh or generated or not (tiled / "andon.duckdb").exists():
        partial = tiled.with_name(tiled.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(folder, partial)
        started, cpu0 = time.perf_counter(), time.process_time()
        tile_history(partial / "andon.duckdb", block_days=block_days, copies=copies)
        tiling = {
            "seconds": time.perf_counter() - started,
            "cpu_seconds": time.process_time() - cpu0,
        }
        shutil.rmtree(tiled, ignore_errors=True)
        partial.rename(tiled)
    shutil.rmtree(workdir, ignore_errors=True)
    shutil.copytree(tiled, workdir)
    store = open_store(str(workdir / "andon.duckdb"))
    facts: dict[str, object] = {
        "history_days": (copies + 1) * block_days,
        "generated_days": block_days,
        "copies_back_in_time": copies,
        "cache": str(tiled),
        "generated": {k: round(v, 1) for k, v in generated.items()} or "cached",
        "tiled": {k: round(v, 1) for k, v in tiling.items()} or "cached",
        "rows": {
            kind.value: store.count_rows(kind)
            for kind in (RecordKind.SAMPLE, RecordKind.STATE, RecordKind.COUNT)
        },
    }
    return store, facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, seconds to run")
    parser.add_argument("--ready-days", type=float, help="history before the console opens")
    parser.add_argument("--year-days", type=float, help="history for the page timings")
    parser.add_argument("--skip-ready", action="store_true", help="only the page timings")
    parser.add_argument("--skip-pages", action="store_true", help="only the time to console")
    parser.add_argument(
        "--block-days",
        type=float,
        help="days the demo's loop generates; the year is copies of them (default 14)",
    )
    parser.add_argument("--pages", help="time only these pages (comma-separated names)")
    parser.add_argument("--requests", type=int, help="fetches per page (default 40)")
    parser.add_argument(
        "--fresh", action="store_true", help="generate the history again, not from the cache"
    )
    args = parser.parse_args()
    ready_days = args.ready_days or (1.0 if args.quick else 60.0)
    year_days = args.year_days or (1.0 if args.quick else 365.0)
    block_days = min(year_days, args.block_days or (1.0 if args.quick else 14.0))
    requests = args.requests or (2 if args.quick else 40)
    workdir = Path(tempfile.mkdtemp(prefix="andon-bench-"))
    result: dict[str, object] = {
        "benchmark": "demo",
        "quick": args.quick,
        "cores": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        if not args.skip_ready:
            demo = time_to_console(ready_days, workdir / "demo")
            wall, cpu = simulator_alone(ready_days, workdir)
            result["time_to_console"] = {
                "history_days": ready_days,
                "seconds": round(demo["seconds"], 2),
                "cpu_seconds": round(demo["cpu_seconds"], 2),
                "simulator_alone_seconds": round(wall, 2),
                "simulator_alone_cpu_seconds": round(cpu, 2),
                "ratio_to_simulator": round(demo["seconds"] / wall, 2) if wall else None,
                "target_seconds": 60,
                "met": demo["seconds"] <= 60,
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
        if not args.skip_pages:
            store, facts = year_store(year_days, block_days, workdir / "year", fresh=args.fresh)
            model = load_model(ROOT / "examples" / "discrete")
            try:
                only = set(args.pages.split(",")) if args.pages else None
                pages = page_times(store, model, requests, only=only)
            finally:
                store.close()
            figures = pages["pages"]
            assert isinstance(figures, dict)
            worst_name, worst = max(
                ((k, v["p95_ms"]) for k, v in figures.items() if k not in BASELINES),
                key=lambda kv: kv[1],
            )
            most = pages["max_points_per_series"]
            assert isinstance(most, int)
            health = figures["health"]["p50_ms"]
            for value in figures.values():
                value["ratio_to_health_p50"] = (
                    round(value["p50_ms"] / health, 1) if health else None
                )
            result["pages"] = {
                **facts,
                **pages,
                "worst_page": worst_name,
                "worst_page_p95_ms": worst,
                "target_p95_ms": 300,
                "met": worst <= 300,
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
            result["points"] = {"max_per_series": most, "target": 5000, "met": most <= 5000}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
