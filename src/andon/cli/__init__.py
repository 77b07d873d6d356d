"""The ``andon`` command: one Typer application, one module per command group.

Every command raises andon's own errors; :func:`main` turns any of them into one readable
message on stderr and exit code 2, never a traceback. Usage mistakes (an unknown option, a
missing argument) exit 2 with click's message.
"""

from __future__ import annotations

import sys

import typer

from andon.cli import audit as audit_commands
from andon.cli import decide as decide_commands
from andon.cli import decisions as decisions_commands
from andon.cli import edge as edge_commands
from andon.cli import ingest as ingest_commands
from andon.cli import kpi as kpi_commands
from andon.cli import model as model_commands
from andon.cli import sim as sim_commands
from andon.cli import users as users_commands
from andon.cli._output import fail
from andon.cli.demo import demo
from andon.cli.serve import serve
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
app.command(name="kpi")(kpi_commands.kpi)
app.add_typer(sim_commands.app, name="sim")
app.add_typer(decisions_commands.app, name="decisions")
app.add_typer(audit_commands.app, name="audit")
app.add_typer(users_commands.app, name="users")
app.command()(demo)
app.command()(serve)
app.add_typer(decide_commands.app, name="decide")
app.add_typer(ingest_commands.app, name="ingest")
app.add_typer(edge_commands.app, name="edge")


def main(argv: list[str] | None = None) -> None:
    """Run the command line; andon errors and usage mistakes exit 2 with one clear message."""
    try:
        app(args=argv, standalone_mode=True, prog_name="andon")
    except AndonError as exc:
        fail(exc)
        sys.exit(2)
