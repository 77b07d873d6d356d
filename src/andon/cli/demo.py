"""``andon demo``: the whole loop on one laptop, live.

A simulated enterprise streams into an embedded store (a DuckDB file in a working folder,
the in-process bus, no server to install); its history is generated first with a progress
bar, the decision apps are fitted on it and propose, and the console opens on 127.0.0.1
while the simulation goes on at a multiple of real time.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from andon.cli._output import err_console, out_console
from andon.errors import AndonError

if TYPE_CHECKING:
    from andon.runtime import SimulatedRun

__all__ = ["demo"]


def _usage(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=2)


def demo(
    *,
    model: Annotated[
        Path, typer.Option(help="Plant model file or folder.", show_default=True)
    ] = Path("examples/discrete"),
    days: Annotated[float, typer.Option(help="Days of history before the console opens.")] = 60.0,
    speed: Annotated[
        float, typer.Option(help="Multiple of real time while streaming (0: as fast as it can).")
    ] = 60.0,
    port: Annotated[int, typer.Option(help="Port of the console on 127.0.0.1.")] = 8470,
    workdir: Annotated[
        Path, typer.Option(help="Folder for the demo's DuckDB file (started afresh).")
    ] = Path("andon-demo"),
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 1,
    headless: Annotated[
        bool, typer.Option("--headless", help="Run without serving and print a summary.")
    ] = False,
    period: Annotated[
        float, typer.Option(help="With --headless: simulated days to stream after the history.")
    ] = 7.0,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep an existing demo store instead of starting afresh.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --headless: print JSON.")] = False,
) -> None:
    """Simulate the example enterprise, fit the apps, propose decisions and serve the console."""
    from andon.runtime import SimulatedRun, SimulatedRunSettings

    warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
    if days <= 0:
        raise _usage(f"--days must be positive, got {days}")
    if speed < 0:
        raise _usage(f"--speed must be 0 or more, got {speed}")
    if period < 0:
        raise _usage(f"--period must be 0 or more, got {period}")
    if not 1 <= port <= 65535:
        raise _usage(f"--port must be between 1 and 65535, got {port}")
    from andon.sim.examples import find_model

    try:
        model = find_model(model)
    except AndonError as exc:
        raise _usage(str(exc)) from None
    store_file = workdir / "andon.duckdb"
    if store_file.exists() and not keep:
        for leftover in (store_file, workdir / "andon.duckdb.wal"):
            leftover.unlink(missing_ok=True)
    elif workdir.exists() and not workdir.is_dir():
        raise _usage(f"--workdir {workdir} is a file, not a folder")
    settings = SimulatedRunSettings(
        model=model,
        workdir=workdir,
        history_days=days,
        stream_days=period if headless else 365.0,
        speed=0.0 if headless else speed,
        seed=seed,
    )
    started = time.perf_counter()
    quiet = headless and as_json
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} days"),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
        transient=False,
    ) as bar:
        task = bar.add_task("simulating history", total=days)

        def on_history(done_s: float, total_s: float) -> None:
            bar.update(task, completed=done_s / 86_400.0, total=total_s / 86_400.0)
            if done_s >= total_s:
                bar.update(task, description="fitting apps, proposing decisions")

        try:
            runtime = SimulatedRun(settings=settings, on_history=on_history)
        except AndonError as exc:
            raise _usage(str(exc)) from None
        users = runtime.ensure_demo_users()
        try:
            runtime.run_history()
        except KeyboardInterrupt:
            runtime.close()
            raise typer.Exit(code=130) from None
        bar.update(task, description="history ready")
    if headless:
        try:
            runtime.wait_done()
        finally:
            summary = runtime.finish_summary()
            runtime.close()
        summary.timings_s["wall"] = time.perf_counter() - started
        report = summary.to_json()
        if as_json:
            out_console.print_json(json.dumps(report))
        else:
            _print_summary(report)
        return
    _serve(runtime, users, port=port, started=started)


def _print_summary(report: dict[str, object]) -> None:
    out_console.print("[bold]andon demo, headless[/]")
    for key, value in report.items():
        out_console.print(f"  {key}: {value}", highlight=False)


def _serve(
    runtime: SimulatedRun,
    users: list[tuple[str, str, tuple[str, ...]]],
    *,
    port: int,
    started: float,
) -> None:
    import uvicorn

    from andon.api.serving import run_until_stopped
    from andon.web import ConsoleSettings
    from andon.web._server import build_app

    password = runtime.settings.demo_password
    hint = "Demo users: " + ", ".join(f"{name} ({role})" for name, role, _ in users)
    hint += f"; password {password}"
    server = build_app(
        store=runtime.store,
        model=runtime.model,
        decisions=runtime.decisions,
        users=runtime.users,
        clock=runtime.now,
        settings=ConsoleSettings(demo_hint=hint),
        runtime=runtime.runtime,
    )
    server.overview.warm()
    config = uvicorn.Config(
        server.app, host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    web = uvicorn.Server(config)
    ready_in = time.perf_counter() - started
    out_console.print(
        f"\n[bold green]andon is live[/] at [link]http://127.0.0.1:{port}/[/link] "
        f"(ready in {ready_in:.0f} s; the plant streams on at {runtime.settings.speed:g}x)"
    )
    out_console.print(f"log in as [bold]admin[/] / [bold]{password}[/]  ({hint})")
    out_console.print("Ctrl-C stops the demo; its store stays in " + str(runtime.settings.workdir))
    try:
        run_until_stopped(web)
    finally:
        runtime.close()
