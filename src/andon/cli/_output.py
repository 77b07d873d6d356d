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
    """Print an andon error on stderr: one line, or a summary and one line per problem."""
    problems = exc.problems
    summary = getattr(exc, "summary", None) or str(exc)
    if len(problems) == 1:
        err_console.print(
            f"[bold red]error:[/] {escape(str(problems[0]))}", highlight=False, soft_wrap=True
        )
        return
    if not problems:
        err_console.print(f"[bold red]error:[/] {escape(summary)}", highlight=False, soft_wrap=True)
        return
    err_console.print(
        f"[bold red]error:[/] {escape(summary)} ({len(problems)} problems)",
        highlight=False,
        soft_wrap=True,
    )
    print_problems(problems)
