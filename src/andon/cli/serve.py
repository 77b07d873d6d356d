"""``andon serve``: the console and the REST API on an existing store."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from andon.cli._output import err_console, out_console
from andon.decisions import ensure_schema
from andon.errors import AndonError
from andon.model import load_model
from andon.store import open_store
from andon.web._server import build_app

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
) -> None:
    """Serve the console and the REST API over a store that already holds plant data."""
    warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
    if not 1 <= port <= 65535:
        err_console.print(f"[bold red]error:[/] --port must be between 1 and 65535, got {port}")
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
    server = build_app(store=opened, model=plant)
    if host not in {"127.0.0.1", "localhost", "::1"}:
        err_console.print(f"[yellow]warning:[/] listening on {host}: reachable from the network")
    out_console.print(f"andon console and API at [link]http://{host}:{port}/[/link]")
    try:
        uvicorn.run(server.app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        opened.close()
