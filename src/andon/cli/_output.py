"""Shared helpers for command output: consoles and error reporting."""

from __future__ import annotations

from rich.console import Console

from andon.errors import AndonError

__all__ = ["err_console", "fail", "out_console"]

out_console = Console()
err_console = Console(stderr=True)


def fail(exc: AndonError) -> None:
    """Print an andon error for a person on stderr."""
    err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
