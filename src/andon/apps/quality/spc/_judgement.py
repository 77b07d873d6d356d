"""What SPC says when the data cannot support a figure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["CannotJudge", "finite_values"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CannotJudge:
    """No figure, and why: ``code`` is stable (programs match on it), ``reason`` is for people.

    >>> CannotJudge(code="spc.no_spec_limits", reason="no specification limits").code
    'spc.no_spec_limits'
    """

    code: str
    reason: str

    def __str__(self) -> str:
        return f"cannot judge: {self.reason} [{self.code}]"


def finite_values(values: ArrayLike, *, what: str = "values") -> NDArray[np.float64] | CannotJudge:
    """Return ``values`` as floats, or why they cannot be judged (empty, NaN or infinite).

    >>> finite_values([1.0, float("nan"), 2.0]).code
    'spc.missing_values'
    """
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        return CannotJudge(code="spc.no_values", reason=f"no {what}")
    bad = int(np.count_nonzero(~np.isfinite(array)))
    if bad:
        return CannotJudge(
            code="spc.missing_values",
            reason=(
                f"{bad} of {array.size} {what} are missing or not finite (NaN or infinite); "
                "a chart or index from the rest would hide the gap"
            ),
        )
    return array
