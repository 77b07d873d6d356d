"""Hotelling T² and PCA T² and SPE (Q) monitors, and dynamic PCA on lagged variables.

PCA (Jackson and Mudholkar 1979; MacGregor and Kourti 1995): on normal data scaled to unit
variance, the first k principal components keep ``variance`` of the total. T² is the sum
of the squared scores over their variances, SPE the squared distance to the component
plane. Contributions split each statistic over the variables: SPE by the squared residual
of each variable, T² (and Hotelling's) by ``x_j (M x)_j`` with ``T² = xᵀ M x``, which sum to
the statistic. Dynamic PCA (Ku, Storer and Georgakis 1995) runs the same on
``[x_t, x_(t-1), ..., x_(t-l)]`` and sums each variable's contributions over its lags.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from andon.apps.quality.multivariate._base import Scaler, as_matrix, lagged
from andon.errors import UsageError

__all__ = ["DynamicPcaMonitor", "HotellingMonitor", "PcaMonitor"]


def _quadratic_parts(x: NDArray[np.float64], m: NDArray[np.float64]) -> NDArray[np.float64]:
    result: NDArray[np.float64] = x * (x @ m)
    return result


def _fold_lags(parts: NDArray[np.float64], variables: int) -> NDArray[np.float64]:
    n = parts.shape[0]
    result: NDArray[np.float64] = parts.reshape(n, -1, variables).sum(axis=1)
    return result


class _Fitted:
    def __init__(self) -> None:
        self._scaler: Scaler | None = None

    def _scaled(self, data: ArrayLike) -> NDArray[np.float64]:
        if self._scaler is None:
            msg = f"{type(self).__name__} is not fitted"
            raise UsageError(msg)
        matrix = as_matrix(data)
        if matrix.shape[1] != self._scaler.mean.shape[0]:
            fitted = self._scaler.mean.shape[0]
            msg = f"{matrix.shape[1]} variables; the monitor was fitted on {fitted}"
            raise UsageError(msg)
        return self._scaler.apply(matrix)


class HotellingMonitor(_Fitted):
    """Hotelling's T² on the full covariance of the scaled normal data."""

    statistics: tuple[str, ...] = ("t2",)

    def __init__(self) -> None:
        super().__init__()
        self._inverse: NDArray[np.float64] | None = None

    def fit(self, normal: ArrayLike) -> None:
        """Learn the mean and the (pseudo-)inverse covariance of ``normal``."""
        matrix = as_matrix(normal, what="normal data")
        self._scaler = Scaler.fit(matrix)
        scaled = self._scaler.apply(matrix)
        self._inverse = np.asarray(
            np.linalg.pinv(np.cov(scaled, rowvar=False), hermitian=True), dtype=np.float64
        )

    def score(self, data: ArrayLike) -> dict[str, NDArray[np.float64]]:
        """T² of each sample."""
        x = self._scaled(data)
        assert self._inverse is not None
        return {"t2": np.einsum("ij,ij->i", x @ self._inverse, x)}

    def contributions(self, data: ArrayLike, statistic: str = "t2") -> NDArray[np.float64]:
        """Each variable's part of T²."""
        if statistic != "t2":
            msg = f"Hotelling's monitor has only t2, not {statistic!r}"
            raise UsageError(msg)
        assert self._inverse is not None
        return _quadratic_parts(self._scaled(data), self._inverse)


class PcaMonitor(_Fitted):
    """PCA T² and SPE; ``components`` fixed, or the fewest keeping ``variance``."""

    statistics: tuple[str, ...] = ("t2", "spe")

    def __init__(self, *, variance: float = 0.9, components: int | None = None) -> None:
        super().__init__()
        if not 0.0 < variance <= 1.0:
            msg = f"the share of variance to keep is in (0, 1], not {variance}"
            raise UsageError(msg)
        self.variance = variance
        self.components = components
        self._loadings: NDArray[np.float64] | None = None
        self._eigenvalues: NDArray[np.float64] | None = None

    def fit(self, normal: ArrayLike) -> None:
        """Learn the principal components of ``normal``."""
        matrix = as_matrix(normal, what="normal data")
        self._fit_scaled(matrix)

    def _fit_scaled(self, matrix: NDArray[np.float64]) -> None:
        self._scaler = Scaler.fit(matrix)
        scaled = self._scaler.apply(matrix)
        _, singular, vt = np.linalg.svd(scaled, full_matrices=False)
        eigenvalues = singular**2 / (scaled.shape[0] - 1)
        if self.components is not None:
            k = self.components
        else:
            share = np.cumsum(eigenvalues) / eigenvalues.sum()
            k = int(np.searchsorted(share, self.variance - 1e-12) + 1)
        k = max(1, min(k, int(np.count_nonzero(eigenvalues > 1e-12 * eigenvalues[0]))))
        self._loadings = vt[:k].T
        self._eigenvalues = eigenvalues[:k]

    @property
    def kept(self) -> int:
        """How many components the monitor keeps."""
        if self._loadings is None:
            msg = "PcaMonitor is not fitted"
            raise UsageError(msg)
        return int(self._loadings.shape[1])

    def _parts(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        assert self._loadings is not None
        assert self._eigenvalues is not None
        scores = x @ self._loadings
        residual = x - scores @ self._loadings.T
        return scores, residual

    def _score_scaled(self, x: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
        assert self._eigenvalues is not None
        scores, residual = self._parts(x)
        return {
            "t2": np.sum(scores**2 / self._eigenvalues, axis=1),
            "spe": np.sum(residual**2, axis=1),
        }

    def score(self, data: ArrayLike) -> dict[str, NDArray[np.float64]]:
        """T² and SPE of each sample."""
        return self._score_scaled(self._scaled(data))

    def _contributions_scaled(self, x: NDArray[np.float64], statistic: str) -> NDArray[np.float64]:
        assert self._loadings is not None
        assert self._eigenvalues is not None
        if statistic == "spe":
            return self._parts(x)[1] ** 2
        if statistic == "t2":
            m = (self._loadings / self._eigenvalues) @ self._loadings.T
            return _quadratic_parts(x, m)
        msg = f"PCA monitors have t2 and spe, not {statistic!r}"
        raise UsageError(msg)

    def contributions(self, data: ArrayLike, statistic: str) -> NDArray[np.float64]:
        """Each variable's part of ``statistic`` (``"t2"`` or ``"spe"``)."""
        return self._contributions_scaled(self._scaled(data), statistic)


class DynamicPcaMonitor:
    """PCA on each sample with its ``lags`` predecessors (the first ``lags`` score NaN)."""

    statistics: tuple[str, ...] = ("t2", "spe")

    def __init__(
        self, *, lags: int = 2, variance: float = 0.9, components: int | None = None
    ) -> None:
        if lags < 1:
            msg = f"dynamic PCA needs at least one lag, not {lags}"
            raise UsageError(msg)
        self.lags = lags
        self._pca = PcaMonitor(variance=variance, components=components)
        self._variables = 0

    def fit(self, normal: ArrayLike) -> None:
        """Learn the principal components of the lagged normal data."""
        matrix = as_matrix(normal, what="normal data")
        self._variables = matrix.shape[1]
        rows = lagged(matrix, self.lags)[self.lags :]
        self._pca.fit(rows)

    def _rows(self, data: ArrayLike) -> NDArray[np.float64]:
        return lagged(as_matrix(data), self.lags)

    def score(self, data: ArrayLike) -> dict[str, NDArray[np.float64]]:
        """T² and SPE of each sample with its history (NaN without)."""
        rows = self._rows(data)
        out = {name: np.full(rows.shape[0], np.nan) for name in self.statistics}
        scored = self._pca.score(rows[self.lags :])
        for name, values in scored.items():
            out[name][self.lags :] = values
        return out

    def contributions(self, data: ArrayLike, statistic: str) -> NDArray[np.float64]:
        """Each original variable's part of ``statistic``, summed over its lags."""
        rows = self._rows(data)
        out = np.full((rows.shape[0], self._variables), np.nan)
        parts = self._pca.contributions(rows[self.lags :], statistic)
        out[self.lags :] = _fold_lags(parts, self._variables)
        return out
