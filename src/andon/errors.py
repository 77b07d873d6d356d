"""andon's one error tree.

Every error andon raises on purpose derives from :class:`AndonError`. User mistakes
(a bad model file, a malformed payload, a wrong command-line value) carry a list of
:class:`Problem` objects, each with a stable code and a location, so that the CLI and the
REST API can show every problem at once. Errors of libraries (psycopg, duckdb, asyncua,
aiomqtt) are translated at the boundary with ``raise ... from exc`` and never escape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AndonError",
    "AuthError",
    "ConnectError",
    "ContractError",
    "DecisionError",
    "KpiError",
    "ModelError",
    "Problem",
    "SimulationError",
    "StoreError",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One thing wrong with an input, where it is, and what was expected.

    ``code`` is stable across releases (tests and integrations match on it);
    ``message`` is for people.
    """

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    path: str | None = None
    expected: str | None = None

    def location(self) -> str:
        """Return ``file:line`` and the element path, whichever are known."""
        parts: list[str] = []
        if self.file is not None:
            parts.append(f"{self.file}:{self.line}" if self.line is not None else self.file)
        if self.path:
            parts.append(self.path)
        return " ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.expected:
            text += f" (expected {self.expected})"
        return f"{text} [{self.code}]"


class AndonError(Exception):
    """Root of every error andon raises on purpose."""


class _ProblemsError(AndonError):
    """An error that carries every problem found, not only the first."""

    def __init__(self, summary: str, problems: Sequence[Problem] = ()) -> None:
        self.summary = summary
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        if not self.problems:
            return self.summary
        lines = [f"{self.summary} ({len(self.problems)} problem(s)):"]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)


class ModelError(_ProblemsError):
    """The plant model could not be loaded: every problem, each with file, line and path."""


class ContractError(_ProblemsError):
    """A batch of records cannot be checked at all (missing or mistyped columns)."""


class StoreError(AndonError):
    """The store refused an operation; the store is left as it was before it."""


class ConnectError(AndonError):
    """A source or bus could not be reached or spoke something andon cannot decode."""


class SimulationError(AndonError):
    """The simulator cannot run the given model or scenario."""


class KpiError(AndonError):
    """A KPI cannot be computed for the grain or period asked."""


class DecisionError(AndonError):
    """A decision cannot make the transition asked (illegal, expired, already decided)."""


class AuthError(AndonError):
    """Authentication failed or the user's role or site scope does not allow the action."""
