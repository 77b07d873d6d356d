"""The ``andon`` command: one Typer application, one module per command group.

Every command raises andon's own errors; :func:`main` turns any of them into one readable
message on stderr and exit code 2, never a traceback. Usage mistakes (an unknown option, a
missing argument) exit 2 with click's message.

Each command's module is imported only when that command runs (or shows its own help), so
``andon --help`` and ``andon model validate`` do not pay for the stacks of ``andon demo``
(FastAPI, the simulator) or ``andon decide`` (LightGBM, the solver). The one-line help of
each command is therefore written here; a test keeps it equal to the command's own.
"""

from __future__ import annotations

import copy
import importlib
import sys
from dataclasses import dataclass

import typer
from typer._click import Command, Context, HelpFormatter  # typer vendors click
from typer.core import TyperCommand, TyperGroup

from andon.cli._output import fail
from andon.errors import AndonError

__all__ = ["app", "main"]


@dataclass(frozen=True, kw_only=True)
class _CommandEntry:
    """Where a top-level command lives, and its one line of help for ``andon --help``."""

    module: str
    """The module that defines it, imported when the command is used."""
    attribute: str
    """``app`` for a group of commands (a Typer application), else the command function."""
    help: str
    """The first line of the command's help, shown in the list without importing it."""

    def load(self, name: str) -> Command:
        """Import the command's module and return its click command, named ``name``."""
        target = getattr(importlib.import_module(self.module), self.attribute)
        holder = typer.Typer()
        if isinstance(target, typer.Typer):
            holder.add_typer(target, name=name)
        else:
            holder.command(name=name)(target)
        return typer.main.get_group(holder).commands[name]


_COMMANDS: dict[str, _CommandEntry] = {
    "model": _CommandEntry(
        module="andon.cli.model",
        attribute="app",
        help="Validate and show ISA-95 plant models.",
    ),
    "kpi": _CommandEntry(
        module="andon.cli.kpi",
        attribute="kpi",
        help="Compute ISO 22400-2 KPIs, the loss tree, a site comparison or the data-quality "
        "report.",
    ),
    "sim": _CommandEntry(
        module="andon.cli.sim",
        attribute="app",
        help="Simulate a plant from its model.",
    ),
    "decisions": _CommandEntry(
        module="andon.cli.decisions",
        attribute="app",
        help="List, approve, reject and execute decisions.",
    ),
    "audit": _CommandEntry(
        module="andon.cli.audit",
        attribute="app",
        help="The hash-chained audit log.",
    ),
    "users": _CommandEntry(
        module="andon.cli.users",
        attribute="app",
        help="Users, roles, site scopes and API tokens.",
    ),
    "demo": _CommandEntry(
        module="andon.cli.demo",
        attribute="demo",
        help="Simulate the example enterprise, fit the apps, propose decisions and serve the "
        "console.",
    ),
    "serve": _CommandEntry(
        module="andon.cli.serve",
        attribute="serve",
        help="Serve the console and the REST API, and run the decision loop over a plant's store.",
    ),
    "decide": _CommandEntry(
        module="andon.cli.decide",
        attribute="app",
        help="Run a decision app and show what it proposes.",
    ),
    "ingest": _CommandEntry(
        module="andon.cli.ingest",
        attribute="app",
        help="Ingest plant data: MQTT UNS JSON, Sparkplug B, OPC UA, historian files, NATS.",
    ),
    "flow": _CommandEntry(
        module="andon.cli.flow",
        attribute="app",
        help="Object-centric event logs (OCEL 2.0) and the flow of orders and units.",
    ),
    "edge": _CommandEntry(
        module="andon.cli.edge",
        attribute="app",
        help="Run the edge agent of a site and read its status.",
    ),
    "trace": _CommandEntry(
        module="andon.cli.trace",
        attribute="trace",
        help="Trace a serial or lot backward through its genealogy, forward, or as a recall.",
    ),
    "change": _CommandEntry(
        module="andon.cli.change",
        attribute="app",
        help="Engineering change impact: the lines, equipment, tests and orders a change touches.",
    ),
    "export": _CommandEntry(
        module="andon.cli.export",
        attribute="app",
        help="Export data: EU Data Act grants, their API tokens and reproducible bundles.",
    ),
    "passport": _CommandEntry(
        module="andon.cli.passport",
        attribute="passport",
        help="A battery unit's digital product passport: Battery Pass JSON or an AAS.",
    ),
}
"""The top-level commands in the order ``andon --help`` lists them."""


class _LazyGroup(TyperGroup):
    """The root group: lists every command, imports a command's module only to run it."""

    def list_commands(self, ctx: Context) -> list[str]:
        del ctx
        return [*self.commands, *(name for name in _COMMANDS if name not in self.commands)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in _COMMANDS:
            command = _COMMANDS[cmd_name].load(cmd_name)
            self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        # The list needs one line per command, not the command: a shallow copy of the group
        # holds placeholders that carry that line for the commands not imported yet.
        listing = copy.copy(self)
        listing.commands = {
            name: self.commands.get(name) or TyperCommand(name, help=entry.help)
            for name, entry in _COMMANDS.items()
        }
        TyperGroup.format_help(listing, ctx, formatter)


app = typer.Typer(
    name="andon",
    cls=_LazyGroup,
    help="andon: decisions for manufacturing operations, from plant data you can trust.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Hold the commands: Typer makes a group only of an application with a callback."""


def main(argv: list[str] | None = None) -> None:
    """Run the command line; andon errors and usage mistakes exit 2 with one clear message."""
    try:
        app(args=argv, standalone_mode=True, prog_name="andon")
    except AndonError as exc:
        fail(exc)
        sys.exit(2)
