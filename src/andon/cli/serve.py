"""``andon serve``: the decision loop on the wall clock, the console and the REST API.

Over a store that a plant feeds (``andon ingest``, ``andon edge``), each decision app is
fitted (nightly by default) and proposes (hourly) with no manual command; decisions expire,
outcomes are measured, the day KPIs stay current, and approved decisions go to the executor
(``--executor plant``: work requests on the Unified Namespace; ``none``: shadow mode).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from andon.cli._output import err_console, out_console
from andon.errors import AndonError
from andon.model import load_model
from andon.sim.examples import find_model

if TYPE_CHECKING:
    from andon.runtime.serve import ServeSettings

__all__ = ["serve"]


def _usage(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=2)


def _seconds(name: str, value: float | None) -> None:
    if value is not None and not value >= 0:
        raise _usage(f"--{name} must be 0 or more, got {value:g}")


def serve(  # noqa: PLR0917 - typer maps parameters to options
    store: Annotated[
        str, typer.Option(help="Store URL or DuckDB file (duckdb:///path, postgresql://...).")
    ] = "andon-demo/andon.duckdb",
    model: Annotated[Path, typer.Option(help="Plant model file or folder.")] = Path(
        "examples/discrete"
    ),
    host: Annotated[str, typer.Option(help="Address to bind; loopback unless told otherwise.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.")] = 8470,
    apps: Annotated[
        str | None,
        typer.Option(help="Decision apps to run, comma-separated; 'none' runs none (default all)."),
    ] = None,
    executor: Annotated[
        str,
        typer.Option(
            help="Who carries out approved decisions: 'none' (shadow mode) or 'plant' "
            "(work requests on the Unified Namespace through --mqtt)."
        ),
    ] = "none",
    mqtt: Annotated[
        str | None, typer.Option(help="MQTT broker of the plant executor (mqtt://host:1883).")
    ] = None,
    mqtt_prefix: Annotated[
        str | None, typer.Option(help="Topic prefix of the plant's Unified Namespace.")
    ] = None,
    propose_every: Annotated[
        float | None, typer.Option(help="Seconds between rounds of proposals (default 3600).")
    ] = None,
    fit_every: Annotated[
        float | None,
        typer.Option(help="Seconds between fits of each app (default 86400; 0: once, at start)."),
    ] = None,
    upkeep_every: Annotated[
        float | None,
        typer.Option(
            help="Seconds between decision upkeep rounds (expiry, outcomes of executed "
            "decisions, drift checks); 0 turns it off. Default 300."
        ),
    ] = None,
) -> None:
    """Serve the console and the REST API, and run the decision loop over a plant's store."""
    warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
    if not 1 <= port <= 65535:
        raise _usage(f"--port must be between 1 and 65535, got {port}")
    for name, value in (
        ("upkeep-every", upkeep_every),
        ("propose-every", propose_every),
        ("fit-every", fit_every),
    ):
        _seconds(name, value)
    if executor not in {"none", "plant"}:
        raise _usage(f"--executor must be 'none' or 'plant', got {executor!r}")
    from andon.apps import app_names

    chosen = _app_list(apps, known=app_names())
    if "://" not in store and not Path(store).exists():
        raise _usage(f"no store at {store}; run `andon demo` first or give --store")
    import uvicorn

    from andon.api.serving import run_until_stopped, server_config
    from andon.runtime.serve import serving_runtime
    from andon.store import open_store
    from andon.web._server import build_app

    settings = _serve_settings(
        apps=chosen,
        executor=executor,
        mqtt=mqtt,
        mqtt_prefix=mqtt_prefix,
        propose_every=propose_every,
        fit_every=fit_every,
        upkeep_every=upkeep_every,
    )
    try:
        plant = load_model(find_model(model))
        opened = open_store(store)
    except AndonError as exc:
        raise _usage(str(exc)) from None
    try:
        runtime, wall_clock = serving_runtime(store=opened, model=plant, settings=settings)
    except AndonError as exc:
        opened.close()
        raise _usage(str(exc)) from None
    server = build_app(store=opened, model=plant, runtime=runtime, wall_clock=wall_clock)
    if host not in {"127.0.0.1", "localhost", "::1"}:
        err_console.print(f"[yellow]warning:[/] listening on {host}: reachable from the network")
    names = ", ".join(runtime.apps) or "none"
    out_console.print(
        f"andon console and API at [link]http://{host}:{port}/[/link]; apps: {names}; "
        f"executor: {settings.executor}"
    )
    try:
        run_until_stopped(uvicorn.Server(server_config(server.app, host=host, port=port)))
    finally:
        if runtime.executor is not None and hasattr(runtime.executor, "close"):
            runtime.executor.close()
        opened.close()


def _app_list(text: str | None, *, known: list[str]) -> tuple[str, ...] | None:
    """Return the apps asked for (``None``: every installed one), or exit 2 naming the bad."""
    if text is None:
        return None
    if text.strip().lower() == "none":
        return ()
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise _usage(
            f"--apps: unknown app(s) {', '.join(unknown)}; installed: {', '.join(known) or 'none'}"
        )
    return names


def _serve_settings(
    *,
    apps: tuple[str, ...] | None,
    executor: str,
    mqtt: str | None,
    propose_every: float | None,
    mqtt_prefix: str | None = None,
    fit_every: float | None,
    upkeep_every: float | None,
) -> ServeSettings:
    """The loop's settings: the options given, else ``ANDON_SERVE_*``, else the defaults."""
    from andon.runtime.serve import ServeSettings

    base = ServeSettings()
    update: dict[str, object] = {"executor": executor}
    if apps is not None:
        update["apps"] = apps
    given = {
        "mqtt_url": mqtt,
        "mqtt_prefix": mqtt_prefix,
        "propose_every_s": propose_every,
        "fit_every_s": fit_every,
        "upkeep_every_s": upkeep_every,
    }
    update.update({key: value for key, value in given.items() if value is not None})
    return base.model_copy(update=update)
