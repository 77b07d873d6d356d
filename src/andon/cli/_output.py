"""Shared helpers for command output: consoles, tables that stay readable at 80 columns,
JSON listings, log lines, and errors shown to people without tracebacks."""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from andon.errors import AndonError, Problem

__all__ = [
    "Column",
    "err_console",
    "fail",
    "number",
    "out_console",
    "print_json",
    "print_problems",
    "setup_logging",
    "table",
]

out_console = Console()
err_console = Console(stderr=True)


def print_problems(problems: Sequence[Problem], *, console: Console | None = None) -> None:
    """Print each problem on one line, ordered by file and line, so an editor can jump to it."""
    console = console or err_console
    for problem in Problem.ordered(problems):
        console.print(f"  {escape(str(problem))}", highlight=False, soft_wrap=True)


def fail(exc: AndonError) -> None:
    """Print an andon error on stderr: one line, or a summary and one line per problem.

    Each line ends with a stable code in brackets, the same code the REST API answers with:
    the problem's, or the error's when it carries none.
    """
    problems = exc.problems
    summary = getattr(exc, "summary", None) or str(exc)
    if len(problems) == 1:
        _error_line(str(problems[0]))
    elif not problems:
        _error_line(f"{summary} [{exc.code}]")
    else:
        _error_line(f"{summary} ({len(problems)} problems) [{exc.code}]")
        print_problems(problems)


def _error_line(text: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)


# numbers and tables ------------------------------------------------------------------------


def number(value: float | int | None, *, digits: int = 2) -> str:
    """Return a number as people read it: ``374,400``, ``1,234.5``, ``0.43``, never ``3.7e+05``.

    Integers and values of a thousand or more get thousands separators and no decimals;
    smaller values keep ``digits`` decimals; tiny ones keep two significant figures.

    >>> [number(v) for v in (374400.0, 1234, 0.4321, 12.5, 0.000123, None, float("nan"))]
    ['374,400', '1,234', '0.43', '12.50', '0.00012', '-', '-']
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    if value != 0 and abs(value) < 10 ** (-digits):
        return f"{value:.2g}" if abs(value) >= 1e-4 else f"{value:.2e}"
    return f"{value:,.{digits}f}"


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a CLI table: its header and whether it holds numbers or text.

    Numbers are right-aligned and never wrapped; text folds inside its column. Either way a
    header keeps at least its longest word on one line, so it is never broken mid-word.
    """

    header: str
    numeric: bool = False
    wrap: bool = True
    """Whether long text may fold onto the next line (ids and paths: no, they are copied)."""


def table(*columns: Column | str, title: str | None = None, show_lines: bool = False) -> Table:
    """Return a Rich table whose headers and numbers survive a narrow (80-column) terminal.

    No vertical rules (they cost two characters a column); when the terminal is too narrow
    Rich narrows the widest text columns first, and their text wraps between words.
    """
    out = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_lines=show_lines,
        pad_edge=False,
        collapse_padding=True,
    )
    for spec in columns:
        column = spec if isinstance(spec, Column) else Column(spec)
        longest_word = max((len(w) for w in column.header.split()), default=1)
        out.add_column(
            column.header,
            justify="right" if column.numeric else "left",
            no_wrap=column.numeric or not column.wrap,
            overflow="ellipsis" if column.numeric else "fold",
            min_width=longest_word,
        )
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def print_json(rows: Iterable[Mapping[str, Any]]) -> None:
    """Print a listing as one JSON array of objects on stdout (for scripts: ``--json``)."""
    typer.echo(json.dumps([_plain(r) for r in rows], indent=1, default=str, allow_nan=False))


# logging -----------------------------------------------------------------------------------


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is logged (a test may swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        del value


_HANDLER_NAME = "andon-cli"
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"
"""One log line: ``WARNING andon.connect.mqtt: message`` (the level once, then the logger)."""


def setup_logging(*, verbose: bool) -> None:
    """Send andon's log lines to stderr, one plain line each (the CLI decides what is shown).

    Calling it again (another command in the same process) replaces the handler it added
    rather than adding a second one.
    """
    level = logging.INFO if verbose else logging.WARNING
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    handler = _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("andon").setLevel(level)
    for noisy in ("asyncua", "nats"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
