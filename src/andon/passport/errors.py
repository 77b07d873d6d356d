"""The passport's errors: a serial without a passport, with a stable ``code``."""

from __future__ import annotations

from andon.errors import InputError, Problem

__all__ = ["PassportError", "UnknownPassportError"]


class PassportError(InputError):
    """A passport cannot be built for a serial: it is not a battery, or not finished."""

    code = "passport"

    def __init__(self, reason: str, *, serial: str, code: str | None = None) -> None:
        super().__init__(
            f"no passport for {serial!r}",
            [Problem(code=code or self.code, message=reason, expected="a finished battery unit")],
            code=code,
        )
        self.serial = serial
        self.reason = reason


class UnknownPassportError(PassportError, LookupError):
    """No unit record names the serial (or none the caller may see)."""

    code = "passport.unknown"

    def __init__(self, serial: str) -> None:
        super().__init__(f"no unit record names {serial!r}", serial=serial)
