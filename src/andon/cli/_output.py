"""Shared helpers for command output: consoles, and errors shown to people without tracebacks."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from andon.errors import AndonError, Problem

__all__ = ["err_console", "fail", "out_console", "print_problems"]

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
