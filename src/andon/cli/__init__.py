"""The ``andon`` command: one Typer application, one module per command group.

Every command raises andon's own errors; :func:`main` turns them into one readable block
on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from andon.cli import model as model_commands
from andon.errors import AndonError

__all__ = ["app", "main"]

app = typer.Typer(
    name="andon",
    help="andon: decisions for manufacturing operations, from plant data you can trust.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(model_commands.app, name="model")


def main(argv: list[str] | None = None) -> None:
    """Run the command line; andon errors and usage mistakes exit 2 with one clear message."""
    try:
        app(args=argv, standalone_mode=True)
    except AndonError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        sys.exit(2)
