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

import httpx
import polars as pl
import psutil
import uvicorn

from andon.model import load_model
from andon.runtime import SimulatedRun, SimulatedRunSettings
from andon.sim import StoreSink, simulate
from andon.store import open_store
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


def history_store(days: float, workdir: Path) -> SimulatedRun:
    """Run the demo's loop headless for ``days`` of history and return the runtime."""
    settings = SimulatedRunSettings(
        model=ROOT / "examples" / "discrete",
        workdir=workdir,
        history_days=days,
        stream_days=0,
        speed=0,
        password_memory_kib=1024,
    )
    runtime = SimulatedRun(settings=settings)
    runtime.ensure_demo_users()
    runtime.run_history()
    runtime.wait_done()
    return runtime


def page_times(runtime: SimulatedRun, requests: int) -> dict[str, object]:
    """Serve the console over the runtime's store and time every page."""
    server = build_app(
        store=runtime.store,
        model=runtime.model,
        decisions=runtime.decisions,
        users=runtime.users,
        clock=runtime.now,
    )
    server.overview.warm()
    port = free_port()
    web = uvicorn.Server(
        uvicorn.Config(server.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    while not web.started:
        time.sleep(0.05)
    model = runtime.model
    equipment = sorted(model.equipment)
    busiest = equipment[0]
    pages = {
        "overview": "/",
        "plant": "/plant",
        "site": f"/plant/{model.root}/{model.plant.sites[0].id}",
        "equipment": f"/plant/{busiest}",
        "equipment_30d": f"/plant/{busiest}?days=30",
        "inbox": "/inbox",
        "quality": "/quality",
        "audit": "/audit",
        "static_baseline": "/static/console.css",
    }
    figures: dict[str, object] = {}
    max_points = 0
    with httpx.Client(base_url=base, timeout=60, follow_redirects=True) as client:
        login = client.post("/login", data={"username": "admin", "password": PASSWORD, "next": "/"})
        if login.status_code != 200:
            raise RuntimeError(f"login failed: {login.status_code}")
        for name, url in pages.items():
            times: list[float] = []
            for _ in range(requests):
                response = client.get(url)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code}")
                timing = response.headers.get("server-timing", "app;dur=0")
                times.append(float(timing.split("dur=")[1]))
                points = [int(n) for n in re.findall(r'data-points="(\d+)"', response.text)]
                max_points = max([max_points, *points])
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            figures[name] = {
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(p95, 1),
                "requests": len(times),
            }
        year = client.get(f"/plant/{busiest}?days=365")
        year_points = [int(n) for n in re.findall(r'data-points="(\d+)"', year.text)]
        max_points = max([max_points, *year_points])
    web.should_exit = True
    thread.join(10)
    raw = runtime.store.samples(path_prefix=busiest)
    per_series = 0
    if raw.num_rows:
        frame = pl.from_arrow(raw.select(["path"]))
        assert isinstance(frame, pl.DataFrame)
        per_series = int(frame.group_by("path").len()["len"].max() or 0)
    return {
        "pages": figures,
        "max_points_per_series": max_points,
        "raw_samples_busiest_series": per_series,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, seconds to run")
    parser.add_argument("--ready-days", type=float, help="history before the console opens")
    parser.add_argument("--year-days", type=float, help="history for the page timings")
    parser.add_argument("--skip-ready", action="store_true", help="only the page timings")
    parser.add_argument("--skip-pages", action="store_true", help="only the time to console")
    args = parser.parse_args()
    ready_days = args.ready_days or (1.0 if args.quick else 60.0)
    year_days = args.year_days or (1.0 if args.quick else 365.0)
    requests = 2 if args.quick else 40
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
            runtime = history_store(year_days, workdir / "year")
            try:
                pages = page_times(runtime, requests)
            finally:
                runtime.close()
            figures = pages["pages"]
            assert isinstance(figures, dict)
            worst = max(v["p95_ms"] for k, v in figures.items() if k != "static_baseline")
            most = pages["max_points_per_series"]
            assert isinstance(most, int)
            result["pages"] = {
                "history_days": year_days,
                **pages,
                "worst_page_p95_ms": worst,
                "target_p95_ms": 300,
                "met": worst <= 300,
            }
            result["points"] = {"max_per_series": most, "target": 5000, "met": most <= 5000}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
