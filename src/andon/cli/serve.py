"""``andon serve``: the console and the REST API on an existing store."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from andon.cli._output import err_console, out_console
from andon.errors import AndonError
from andon.model import load_model

if TYPE_CHECKING:
    from andon.api.settings import ApiSettings

__all__ = ["serve"]


def serve(
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
    upkeep_every: Annotated[
        float | None,
        typer.Option(
            help="Seconds between decision upkeep rounds (expiry, outcomes of executed "
            "decisions, drift checks); 0 turns it off. Default: ANDON_API_UPKEEP_EVERY_S, "
            "else 300."
        ),
    ] = None,
) -> None:
    """Serve the console and the REST API over a store that already holds plant data."""
    import uvicorn

    from andon.decisions import ensure_schema
    from andon.store import open_store
    from andon.web._server import build_app

    warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
    if not 1 <= port <= 65535:
        err_console.print(f"[bold red]error:[/] --port must be between 1 and 65535, got {port}")
        raise typer.Exit(code=2)
    if upkeep_every is not None and upkeep_every < 0:
        err_console.print(
            f"[bold red]error:[/] --upkeep-every must be 0 or more, got {upkeep_every:g}"
        )
        raise typer.Exit(code=2)
    if "://" not in store and not Path(store).exists():
        err_console.print(
            f"[bold red]error:[/] no store at {store}; run `andon demo` first or give --store"
        )
        raise typer.Exit(code=2)
    try:
        plant = load_model(model)
        opened = open_store(store)
        ensure_schema(opened)
    except AndonError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(code=2) from None
    api_settings = _api_settings(upkeep_every)
    server = build_app(store=opened, model=plant, api_settings=api_settings)
    if host not in {"127.0.0.1", "localhost", "::1"}:
        err_console.print(f"[yellow]warning:[/] listening on {host}: reachable from the network")
    out_console.print(f"andon console and API at [link]http://{host}:{port}/[/link]")
    try:
        uvicorn.run(server.app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        opened.close()


DEFAULT_UPKEEP_EVERY_S = 300.0
"""A served store's decisions expire, get their outcomes and drift checks every 5 minutes."""


def _api_settings(upkeep_every: float | None) -> ApiSettings:
    """The API's settings with the upkeep period: the option, else the environment, else 5 min."""
    from andon.api.settings import ApiSettings

    settings = ApiSettings()
    if upkeep_every is None:
        upkeep_every = settings.upkeep_every_s or DEFAULT_UPKEEP_EVERY_S
    return settings.model_copy(update={"upkeep_every_s": upkeep_every or None})
