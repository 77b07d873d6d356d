"""andon's one error tree.

Every error andon raises on purpose derives from :class:`AndonError` and has a stable
``code`` (a class attribute; an instance may refine it with a suffix, ``"store"`` to
``"store.locked"``). Integrations, tests and the REST API match on the code, never on the
message. The families, each for one kind of failure::

    AndonError                        andon
    ├── UsageError                    usage                     andon called wrongly
    ├── InputError                    input                     bad user data, all problems
    │   ├── ModelError                model.invalid             the plant model files
    │   ├── ContractError             contract.invalid          a batch of records
    │   ├── SimulationError           simulation.invalid        a scenario or a run
    │   ├── KpiError                  kpi.invalid               a KPI's grain or period
    │   └── OcelError                 ocel.invalid              an OCEL 2.0 event log
    ├── StoreError                    store                     the store refused
    ├── ConnectError                  connect                   a source or bus failed
    ├── DecisionError                 decision                  a decision's workflow refused
    ├── AuthError                     auth                      who you are, what you may do
    └── AppError                      app                       a decision app failed
        ├── InsufficientHistoryError  app.insufficient_history  it cannot be fitted
        ├── UnknownAppError           app.unknown               no app of that name
        ├── ActionError               app.action_invalid        a proposal's action is wrong
        └── ExecutionError            app.execution_failed      an executor failed

``docs/errors.md`` lists every class with its code and HTTP status, generated from the
classes (``scripts/gen_error_docs.py``) and kept in step by a test.

Misuse and bad data are two families, as pydantic keeps ``PydanticUserError`` apart from
``ValidationError``: a :class:`UsageError` means the calling code is wrong (an argument
combination that makes no sense, a method called in the wrong state) and is fixed by changing
code; an :class:`InputError` means the data a person gave (a model file, a payload, a
command-line value) is wrong and carries every :class:`Problem` found, each with a stable code
and a location, so that the CLI and the REST API show the same list. Errors of libraries
(psycopg, duckdb, asyncua, aiomqtt) are translated at the boundary with ``raise ... from exc``
and never escape.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ActionError",
    "AndonError",
    "AppError",
    "AuthError",
    "ConnectError",
    "ContractError",
    "DecisionError",
    "ExecutionError",
    "InputError",
    "InsufficientHistoryError",
    "KpiError",
    "ModelError",
    "OcelError",
    "Problem",
    "SimulationError",
    "StoreError",
    "UnknownAppError",
    "UsageError",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One thing wrong with an input, where it is, and what was expected.

    ``code`` is stable across releases (tests and integrations match on it);
    ``message`` is for people. ``str(problem)`` is the line the CLI prints and
    :meth:`to_json` the item the REST API sends; both say the same.

    >>> p = Problem(code="model.unknown_class", message="unknown class 'x'", file="a.yaml", line=3)
    >>> str(p)
    "a.yaml:3: unknown class 'x' [model.unknown_class]"
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

    def to_json(self) -> dict[str, Any]:
        """Return the problem as a JSON object: ``loc`` is :meth:`location`, ``""`` if unknown."""
        return {
            "code": self.code,
            "loc": self.location(),
            "message": self.message,
            "expected": self.expected,
            "file": self.file,
            "line": self.line,
            "path": self.path,
        }

    @staticmethod
    def ordered(problems: Iterable[Problem]) -> list[Problem]:
        """Return the problems by file, line and code, the order an editor lists them in."""
        return sorted(problems, key=lambda p: (p.file or "", p.line or 0, p.code))

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.expected:
            text += f" (expected {self.expected})"
        return f"{text} [{self.code}]"


class AndonError(Exception):
    """Root of every error andon raises on purpose.

    ``code`` is the class's stable code; ``AndonError(msg, code="store.locked")`` refines it
    for one instance, and the refined code must start with the class's code and a dot, so
    that a client matching on the class's code still matches. ``problems`` is empty except
    for errors about user data.
    """

    code: str = "andon"
    problems: tuple[Problem, ...] = ()

    def __init__(self, *args: object, code: str | None = None) -> None:
        super().__init__(*args)
        if code is not None and code != self.code:
            _check_refinement(type(self), code)
            self.code = code


def _check_refinement(cls: type[AndonError], code: str) -> None:
    if not code.startswith(cls.code + "."):
        msg = f"{cls.__name__}'s code {cls.code!r} can only be refined as {cls.code}.<detail>"
        raise UsageError(msg)


class UsageError(AndonError, TypeError):
    """andon was called wrongly: an argument combination that makes no sense, a method called
    in the wrong state. A bug in the calling code, not in anybody's data; a :class:`TypeError`,
    as Python's own errors for a wrong call are."""

    code = "usage"


class InputError(AndonError):
    """The data a person gave is wrong: every problem found, not only the first.

    ``summary`` says what could not be done; ``problems`` says where and why. Raised with a
    summary only when the input is wrong as a whole (a file that cannot be read).
    """

    code = "input"

    def __init__(
        self, summary: str, problems: Sequence[Problem] = (), *, code: str | None = None
    ) -> None:
        self.summary = summary
        self.problems = tuple(problems)
        super().__init__(self._render(), code=code)

    def _render(self) -> str:
        if not self.problems:
            return self.summary
        lines = [f"{self.summary} ({len(self.problems)} problem(s)):"]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)


class ModelError(InputError):
    """The plant model could not be loaded: every problem, each with file, line and path."""

    code = "model.invalid"


class ContractError(InputError):
    """A batch of records cannot be checked at all (missing or mistyped columns)."""

    code = "contract.invalid"


class SimulationError(InputError):
    """The simulator cannot run the given model or scenario."""

    code = "simulation.invalid"


class KpiError(InputError):
    """A KPI cannot be computed for the grain or period asked."""

    code = "kpi.invalid"


class StoreError(AndonError):
    """The store refused an operation; the store is left as it was before it."""

    code = "store"


class ConnectError(AndonError):
    """A source or bus could not be reached or spoke something andon cannot decode."""

    code = "connect"


class DecisionError(AndonError):
    """A decision cannot make the transition asked (illegal, expired, already decided)."""

    code = "decision"


class AuthError(AndonError):
    """Authentication failed or the user's role or site scope does not allow the action."""

    code = "auth"


class AppError(AndonError):
    """A decision app could not do what was asked; ``app`` names it when known."""

    code = "app"

    def __init__(self, *args: object, app: str | None = None, code: str | None = None) -> None:
        super().__init__(*args, code=code)
        self.app = app


class InsufficientHistoryError(AppError):
    """An app cannot be fitted on the history it was given: too little of it, a tag silent
    for weeks, too few failures. ``reason`` says which, for people."""

    code = "app.insufficient_history"

    def __init__(self, reason: str, *, app: str | None = None, code: str | None = None) -> None:
        super().__init__(f"{app}: {reason}" if app else reason, app=app, code=code)
        self.reason = reason


class UnknownAppError(AppError, LookupError):
    """No decision app is registered under ``app``; ``known`` lists those that are.

    Not a :class:`UsageError`: the name comes from a site's settings, a command line or a
    URL far more often than from code, and callers that pass it from code can check it
    against :func:`andon.apps.app_names` first.
    """

    code = "app.unknown"

    def __init__(self, *, app: str, known: Sequence[str] = ()) -> None:
        self.known = tuple(known)
        text = f"unknown decision app {app!r}; known: {', '.join(self.known) or 'none'}"
        super().__init__(text, app=app)


class ActionError(AppError):
    """A proposal's typed action is invalid: an unknown kind, a missing or wrong parameter.

    ``kind`` is the action's kind when known; ``problems`` lists every fault found, each with
    the parameter's path, so a person editing the action sees them all at once.
    """

    code = "app.action_invalid"

    def __init__(
        self,
        reason: str,
        *,
        kind: str | None = None,
        app: str | None = None,
        problems: Sequence[Problem] = (),
        code: str | None = None,
    ) -> None:
        super().__init__(reason, app=app, code=code)
        self.reason = reason
        self.kind = kind
        self.problems = tuple(problems)


class ExecutionError(AppError):
    """An executor failed to carry out an approved action.

    ``decision_id`` names the decision, ``reason`` says what went wrong, ``executor`` names
    the executor when known.
    """

    code = "app.execution_failed"

    def __init__(
        self,
        reason: str,
        *,
        decision_id: str,
        executor: str | None = None,
        app: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(f"decision {decision_id}: {reason}", app=app, code=code)
        self.reason = reason
        self.decision_id = decision_id
        self.executor = executor


class OcelError(InputError):
    """An OCEL 2.0 log cannot be read or written: every problem, each with its location
    (``file``, the element ``path`` and, in XML, the ``line``), and nothing half imported."""

    code = "ocel.invalid"
