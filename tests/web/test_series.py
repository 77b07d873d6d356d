"""Downsampling keeps the shape of a series within the point budget."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from andon.series import MAX_POINTS, downsample, lttb, minmax


def reference_lttb(x: np.ndarray, y: np.ndarray, n_out: int) -> np.ndarray:
    """Textbook sequential LTTB, one bucket at a time, to compare against."""
    n = len(x)
    edges = np.floor(np.linspace(1, n - 1, n_out - 1)).astype(int)
    kept = [0]
    for b in range(n_out - 2):
        lo, hi = edges[b], edges[b + 1]
        if b + 2 < len(edges):
            nlo, nhi = edges[b + 1], edges[b + 2]
            cx, cy = x[nlo:nhi].mean(), y[nlo:nhi].mean()
        else:
            cx, cy = x[-1], y[-1]
        ax, ay = x[kept[-1]], y[kept[-1]]
        area = np.abs((ax - cx) * (y[lo:hi] - ay) - (ax - x[lo:hi]) * (cy - ay))
        kept.append(lo + int(np.argmax(area)))
    kept.append(n - 1)
    return np.array(kept)


def test_lttb_keeps_ends_and_budget() -> None:
    x = np.arange(100_000, dtype=float)
    y = np.random.default_rng(1).normal(size=x.size).cumsum()
    xs, ys = lttb(x, y, 1000)
    assert len(xs) == 1000
    assert xs[0] == 0
    assert xs[-1] == 99_999
    assert np.all(np.diff(xs) > 0)
    assert set(ys) <= set(y)


def test_lttb_keeps_a_lone_spike() -> None:
    x = np.arange(50_000, dtype=float)
    y = np.zeros_like(x)
    y[31_337] = 9.0
    xs, ys = lttb(x, y, 200)
    assert 31_337.0 in xs
    assert ys.max() == 9.0


def test_lttb_keeps_what_the_sequential_algorithm_keeps() -> None:
    rng = np.random.default_rng(7)
    x = np.sort(rng.uniform(0, 1e6, 20_000))
    y = np.sin(x / 3e4) + rng.normal(scale=0.05, size=x.size)
    y[rng.integers(0, x.size, 30)] += 5.0
    fast = np.searchsorted(x, lttb(x, y, 500)[0])
    slow = reference_lttb(x, y, 500)
    # The same spikes survive, and the drawn line strays from the data about as little.
    assert (y[fast] > 3).sum() == (y[slow] > 3).sum() >= 25

    def stray(kept: np.ndarray) -> float:
        return float(np.abs(np.interp(x, x[kept], y[kept]) - y).mean())

    assert stray(fast) <= 1.5 * stray(slow)


def test_minmax_keeps_every_extreme() -> None:
    x = np.arange(10_000, dtype=float)
    y = np.random.default_rng(3).normal(size=x.size)
    xs, ys = minmax(x, y, 100)
    assert len(xs) <= 100
    assert ys.max() == y.max()
    assert ys.min() == y.min()
    assert np.all(np.diff(xs) > 0)


def test_short_series_pass_through_and_nan_is_dropped() -> None:
    x = np.arange(10, dtype=float)
    y = x.copy()
    y[4] = np.nan
    xs, _ys = downsample(x, y)
    assert len(xs) == 9
    assert 4.0 not in xs


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="max_points"):
        downsample([1.0], [1.0], max_points=MAX_POINTS + 1)
    with pytest.raises(ValueError, match="one length"):
        lttb([1.0, 2.0], [1.0], 10)
    with pytest.raises(ValueError, match="unknown downsampling"):
        downsample([1.0], [1.0], method="mean")  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=0, max_value=3000),
    n_out=st.integers(min_value=3, max_value=400),
    seed=st.integers(min_value=0, max_value=10),
)
def test_budget_holds_for_any_length(n: int, n_out: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0, 1000, n))
    y = rng.normal(size=n)
    for method in ("lttb", "minmax"):
        xs, ys = downsample(x, y, max_points=n_out, method=method)  # type: ignore[arg-type]
        assert len(xs) <= max(n_out, 0)
        assert len(xs) == len(ys)
        assert len(xs) == min(n, len(xs))
        assert np.all(np.diff(xs) >= 0)
