"""Canonical variate analysis (CVA) for monitoring dynamic processes (Larimore 1990; Russell,
Chiang and Braatz 2000; Odiowei and Cao 2010).

The past vector ``p_t = [x_t, ..., x_(t-past+1)]`` and the future vector
``f_t = [x_(t+1), ..., x_(t+future)]`` of scaled normal data give the covariances Σpp,
Σff and Σfp. The SVD of ``Σff^(-1/2) Σfp Σpp^(-1/2) = U D Vᵀ`` orders the directions of
the whitened past ``p̃ = Σpp^(-1/2) p`` by how much of the future they predict. The first
``states`` are the canonical states ``z = V_kᵀ p̃``: T² is ``zᵀz``. The rest of the whitened
past is the residual ``r = p̃ - V_k z``: Q is ``rᵀr``. Monitoring needs only the past, so a
sample is scored as it arrives. Contributions use ``T² = pᵀ M p`` with
``M = Σpp^(-1/2) V_k V_kᵀ Σpp^(-1/2)`` (and its complement for Q), summed over lags.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from andon.apps.quality.multivariate._base import Scaler, as_matrix, lagged
from andon.errors import UsageError

__all__ = ["CvaMonitor"]


def _inverse_root(cov: NDArray[np.float64], ridge: float) -> NDArray[np.float64]:
    values, vectors = np.linalg.eigh(cov)
    floor = ridge * float(values.max())
    values = np.maximum(values, 0.0) + floor
    result: NDArray[np.float64] = (vectors / np.sqrt(values)) @ vectors.T
    return result


class CvaMonitor:
    """CVA T² (canonical states) and Q (residual of the whitened past)."""

    statistics: tuple[str, ...] = ("t2", "q")

    def __init__(
        self, *, past: int = 3, future: int = 3, states: int | None = None, ridge: float = 1e-6
    ) -> None:
        if past < 1 or future < 1:
            msg = f"CVA needs at least one past and one future lag, not {past} and {future}"
            raise UsageError(msg)
        self.past = past
        self.future = future
        self.states = states
        self.ridge = ridge
        self._scaler: Scaler | None = None
        self._project: NDArray[np.float64] | None = None
        self._whiten: NDArray[np.float64] | None = None
        self.correlations: NDArray[np.float64] = np.empty(0)
        """The canonical correlations of past and future, largest first."""

    def fit(self, normal: ArrayLike) -> None:
        """Learn the canonical variates of the normal data's past and future."""
        matrix = as_matrix(normal, what="normal data")
        n, variables = matrix.shape
        if n - self.past - self.future <= self.past * variables:
            msg = (
                f"{n} normal samples are too few for CVA with {self.past} past and "
                f"{self.future} future lags of {variables} variables"
            )
            raise UsageError(msg)
        self._scaler = Scaler.fit(matrix)
        scaled = self._scaler.apply(matrix)
        history = lagged(scaled, self.past - 1)  # p_t: x_t back to x_(t-past+1)
        ahead = lagged(scaled[::-1], self.future - 1)[::-1]  # x_t .. x_(t+future-1)
        rows = np.arange(self.past - 1, n - self.future)
        p = history[rows]
        f = ahead[rows + 1]
        count = rows.size - 1
        spp = p.T @ p / count
        sff = f.T @ f / count
        sfp = f.T @ p / count
        whiten = _inverse_root(spp, self.ridge)
        h = _inverse_root(sff, self.ridge) @ sfp @ whiten
        _, d, vt = np.linalg.svd(h, full_matrices=True)
        self.correlations = d
        k = self.states if self.states is not None else int(np.count_nonzero(d > 0.5)) or 1
        k = min(k, vt.shape[0] - 1)
        self._whiten = whiten
        self._project = vt[:k].T
        self.states = k

    def _whitened(self, data: ArrayLike) -> NDArray[np.float64]:
        if self._scaler is None or self._whiten is None:
            msg = "CvaMonitor is not fitted"
            raise UsageError(msg)
        matrix = as_matrix(data)
        rows = lagged(self._scaler.apply(matrix), self.past - 1)
        result: NDArray[np.float64] = rows @ self._whiten
        return result

    def score(self, data: ArrayLike) -> dict[str, NDArray[np.float64]]:
        """T² and Q of each sample with its past (NaN without)."""
        assert self._project is not None
        whitened = self._whitened(data)
        states = whitened @ self._project
        t2 = np.sum(states**2, axis=1)
        q = np.sum(whitened**2, axis=1) - t2
        return {"t2": t2, "q": np.maximum(q, 0.0) if np.all(np.isfinite(q)) else q}

    def contributions(self, data: ArrayLike, statistic: str) -> NDArray[np.float64]:
        """Each original variable's part of ``statistic``, summed over its lags."""
        if self._scaler is None or self._whiten is None or self._project is None:
            msg = "CvaMonitor is not fitted"
            raise UsageError(msg)
        if statistic not in self.statistics:
            msg = f"CVA has t2 and q, not {statistic!r}"
            raise UsageError(msg)
        matrix = as_matrix(data)
        rows = lagged(self._scaler.apply(matrix), self.past - 1)
        kept = self._whiten @ self._project
        m_t2 = kept @ kept.T
        m = m_t2 if statistic == "t2" else self._whiten @ self._whiten - m_t2
        parts = rows * (rows @ m)
        n, variables = matrix.shape
        result: NDArray[np.float64] = parts.reshape(n, self.past, variables).sum(axis=1)
        return result
