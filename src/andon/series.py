"""Downsampling of time series for charts: largest-triangle-three-buckets and min-max.

A year of one-minute samples is half a million points; a chart is at most a few thousand
pixels wide. The console sends at most :data:`MAX_POINTS` points per series, chosen on the
server so that the shape a person sees (peaks, steps, trends) survives.

Both methods are vectorised with numpy: no Python loop per point or per bucket.

* :func:`minmax` keeps, in each of ``n_out / 2`` equal-count buckets, the lowest and the
  highest point, in time order. Every extreme survives, which is what an alarm chart needs.
* :func:`lttb` is largest-triangle-three-buckets (Steinarsson, *Downsampling Time Series for
  Visual Representation*, 2013): in each bucket it keeps the point that spans the largest
  triangle with the point kept in the previous bucket and the mean of the next bucket. The
  classic form is sequential; here the previous bucket's point comes from a first pass that
  uses the previous bucket's mean, and a second pass refines it with the points the first
  pass kept, so that the whole runs as a few array operations.

>>> import numpy as np
>>> x = np.arange(10_000, dtype=np.float64)
>>> y = np.sin(x / 300.0)
>>> xs, ys = lttb(x, y, 500)
>>> len(xs), float(xs[0]), float(xs[-1])
(500, 0.0, 9999.0)
>>> len(minmax(x, y, 500)[0]) <= 500
True
"""

from __future__ import annotations

from typing import Final, Literal

import numpy as np
import numpy.typing as npt

__all__ = ["MAX_POINTS", "Method", "downsample", "lttb", "minmax"]

MAX_POINTS: Final = 5_000
"""The most points the console sends for one series."""

Method = Literal["lttb", "minmax"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _clean(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    if xs.shape != ys.shape or xs.ndim != 1:
        msg = f"x and y must be 1-D arrays of one length, got {xs.shape} and {ys.shape}"
        raise ValueError(msg)
    keep = np.isfinite(xs) & np.isfinite(ys)
    if not keep.all():
        xs, ys = xs[keep], ys[keep]
    return xs, ys


def _bucket_starts(n: int, buckets: int, first: int = 0) -> IntArray:
    """Start index of each of ``buckets`` nearly equal-count buckets over ``[first, n)``."""
    edges = np.linspace(first, n, buckets + 1)
    return np.floor(edges[:-1]).astype(np.int64)


def _first_argmax(values: FloatArray, starts: IntArray) -> IntArray:
    """Index of the first maximum of ``values`` within each bucket starting at ``starts``."""
    bucket_max = np.maximum.reduceat(values, starts)
    bucket_of = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(values))))
    hits = np.flatnonzero(values >= bucket_max[bucket_of])
    _, first = np.unique(bucket_of[hits], return_index=True)
    return hits[first].astype(np.int64)


def minmax_indices(y: FloatArray, n_out: int) -> IntArray:
    """Indices kept by :func:`minmax`: the lowest and highest of each bucket, sorted."""
    n = len(y)
    if n <= n_out:
        return np.arange(n, dtype=np.int64)
    buckets = max(n_out // 2, 1)
    starts = _bucket_starts(n, buckets)
    high = _first_argmax(y, starts)
    low = _first_argmax(-y, starts)
    return np.unique(np.concatenate([low, high]))


def minmax(x: npt.ArrayLike, y: npt.ArrayLike, n_out: int) -> tuple[FloatArray, FloatArray]:
    """Return at most ``n_out`` points: the minimum and maximum of each bucket, in order."""
    if n_out < 2:
        msg = f"n_out must be at least 2, got {n_out}"
        raise ValueError(msg)
    xs, ys = _clean(x, y)
    keep = minmax_indices(ys, n_out)
    return xs[keep], ys[keep]


def lttb_indices(x: FloatArray, y: FloatArray, n_out: int) -> IntArray:
    """Indices kept by :func:`lttb`, first and last point included."""
    n = len(x)
    if n <= n_out or n_out < 3:
        return np.arange(n, dtype=np.int64) if n <= n_out else np.array([0, n - 1])
    inner = n_out - 2
    starts = _bucket_starts(n - 1, inner, first=1)
    ends = np.append(starts[1:], n - 1)
    sizes = ends - starts
    bucket_of = np.repeat(np.arange(inner), sizes)
    sum_x = np.add.reduceat(x[1 : n - 1], starts - 1)
    sum_y = np.add.reduceat(y[1 : n - 1], starts - 1)
    mean_x, mean_y = sum_x / sizes, sum_y / sizes
    # C: the mean of the next bucket; the last bucket looks at the last point.
    next_x = np.append(mean_x[1:], x[-1])
    next_y = np.append(mean_y[1:], y[-1])
    # A, first pass: the mean of the previous bucket; the first bucket looks at point 0.
    prev_x = np.insert(mean_x[:-1], 0, x[0])
    prev_y = np.insert(mean_y[:-1], 0, y[0])
    px, py = x[1 : n - 1], y[1 : n - 1]
    chosen = np.empty(inner, dtype=np.int64)
    for _ in range(2):
        ax, ay = prev_x[bucket_of], prev_y[bucket_of]
        cx, cy = next_x[bucket_of], next_y[bucket_of]
        # Twice the triangle's area; the constant factor does not change the argmax.
        area = np.abs((ax - cx) * (py - ay) - (ax - px) * (cy - ay))
        chosen = _first_argmax(area, starts - 1) + 1
        # A, second pass: the point the first pass kept in the previous bucket.
        prev_x = np.insert(x[chosen[:-1]], 0, x[0])
        prev_y = np.insert(y[chosen[:-1]], 0, y[0])
    return np.concatenate([[0], chosen, [n - 1]]).astype(np.int64)


def lttb(x: npt.ArrayLike, y: npt.ArrayLike, n_out: int) -> tuple[FloatArray, FloatArray]:
    """Return at most ``n_out`` points chosen by largest-triangle-three-buckets."""
    if n_out < 3:
        msg = f"n_out must be at least 3, got {n_out}"
        raise ValueError(msg)
    xs, ys = _clean(x, y)
    keep = lttb_indices(xs, ys, n_out)
    return xs[keep], ys[keep]


def downsample(
    x: npt.ArrayLike, y: npt.ArrayLike, *, max_points: int = MAX_POINTS, method: str = "lttb"
) -> tuple[FloatArray, FloatArray]:
    """Return the series itself when short enough, else at most ``max_points`` of its points."""
    if max_points > MAX_POINTS:
        msg = f"max_points must be at most {MAX_POINTS}, got {max_points}"
        raise ValueError(msg)
    if method == "minmax":
        return minmax(x, y, max_points)
    if method == "lttb":
        return lttb(x, y, max_points)
    msg = f"unknown downsampling method {method!r}; use 'lttb' or 'minmax'"
    raise ValueError(msg)
