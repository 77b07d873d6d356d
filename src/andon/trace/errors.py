"""The trace's errors: a serial or lot that cannot be traced, with a stable ``code``."""

from __future__ import annotations

from andon.errors import InputError, Problem

__all__ = ["TraceError", "UnknownTraceError"]


class TraceError(InputError):
    """A serial or lot given to a trace is not one andon can look up (empty, too long,
    control characters)."""

    code = "trace.invalid"

    def __init__(self, reason: str, *, id: str) -> None:
        super().__init__(
            f"cannot trace {id!r}",
            [Problem(code=self.code, message=reason, expected="a serial or lot")],
        )
        self.id = id
        self.reason = reason


class UnknownTraceError(TraceError, LookupError):
    """No genealogy or unit record names the serial or lot (or none the user may see)."""

    code = "trace.unknown"

    def __init__(self, id: str) -> None:
        super().__init__(f"no genealogy or unit record names {id!r}", id=id)
