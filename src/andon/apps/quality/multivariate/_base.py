"""What every multivariate monitor shares: the scaling of normal data and the protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from andon.errors import UsageError

__all__ = ["Monitor", "Scaler", "as_matrix", "lagged"]


def as_matrix(data: ArrayLike, *, what: str = "data") -> NDArray[np.float64]:
    """``data`` as a float matrix of samples (rows) by variables (columns)."""
    matrix = np.asarray(data, dtype=np.float64)
    if matrix.ndim != 2:
        msg = f"{what} must be a matrix of samples by variables, not of shape {matrix.shape}"
        raise UsageError(msg)
    return matrix


@dataclass(frozen=True, slots=True)
class Scaler:
    """Centre and scale of each variable on normal data; a constant variable keeps scale 1,
    so that any later deviation of it shows rather than divides by zero."""

    mean: NDArray[np.float64]
    scale: NDArray[np.float64]

    @classmethod
    def fit(cls, normal: NDArray[np.float64]) -> Scaler:
        """Learn the centre and scale from normal data."""
        scale = normal.std(axis=0, ddof=1)
        return cls(mean=normal.mean(axis=0), scale=np.where(scale > 0, scale, 1.0))

    def apply(self, data: NDArray[np.float64]) -> NDArray[np.float64]:
        """Scale ``data`` as the normal data were."""
        result: NDArray[np.float64] = (data - self.mean) / self.scale
        return result


def lagged(data: NDArray[np.float64], lags: int) -> NDArray[np.float64]:
    """Rows ``[x_t, x_(t-1), ..., x_(t-lags)]`` for every t; NaN where history is missing."""
    n, p = data.shape
    out = np.full((n, p * (lags + 1)), np.nan)
    for lag in range(lags + 1):  # one slice per lag, never per sample
        out[lag:, lag * p : (lag + 1) * p] = data[: n - lag]
    return out


@runtime_checkable
class Monitor(Protocol):
    """A multivariate monitor: fitted on normal data, it scores samples with its statistics.

    ``score`` returns one array per statistic (NaN where a sample lacks the history a
    dynamic monitor needs); ``contributions`` splits one statistic into the part of each
    original variable (rows: samples, columns: variables; they sum to the statistic).
    """

    statistics: tuple[str, ...]

    def fit(self, normal: ArrayLike) -> None:
        """Learn the normal process from ``normal`` (samples by variables, in time order)."""
        ...

    def score(self, data: ArrayLike) -> dict[str, NDArray[np.float64]]:
        """Each statistic for each sample of ``data`` (in time order)."""
        ...

    def contributions(self, data: ArrayLike, statistic: str) -> NDArray[np.float64]:
        """Each variable's part of ``statistic`` for each sample of ``data``."""
        ...
