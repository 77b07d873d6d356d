# ruff: noqa: RUF002, RUF003 - σ, λ and χ are the statistics' own symbols
"""Control chart constants: d2, d3 and c4, and the factors A2, A3, B3, B4, D3, D4 from them.

d2 and d3 are the mean and the standard deviation of the range of n standard normal values
(E[R] = d2 σ, sd[R] = d3 σ), computed by numerical integration for n = 2..25 (a test
recomputes them); they agree with the tables of ASTM E2587 and Montgomery's *Introduction to
Statistical Quality Control* (Appendix VI) to the printed three decimals. c4 is exact:
E[s] = c4 σ.

>>> round(A2(5), 3), round(D4(5), 3), round(A3(5), 3), round(B4(5), 3)
(0.577, 2.114, 1.427, 2.089)
"""

from __future__ import annotations

import math

from andon.errors import UsageError

__all__ = ["A2", "A3", "B3", "B4", "D3", "D4", "MAX_SUBGROUP", "c4", "d2", "d3"]

MAX_SUBGROUP = 25
"""The largest subgroup the range constants are tabulated for."""

_D2_D3: dict[int, tuple[float, float]] = {
    2: (1.128379, 0.852502),
    3: (1.692569, 0.888368),
    4: (2.058751, 0.879808),
    5: (2.325929, 0.864082),
    6: (2.534413, 0.848040),
    7: (2.704357, 0.833205),
    8: (2.847201, 0.819831),
    9: (2.970026, 0.807834),
    10: (3.077505, 0.797051),
    11: (3.172873, 0.787315),
    12: (3.258455, 0.778478),
    13: (3.335980, 0.770416),
    14: (3.406763, 0.763023),
    15: (3.471827, 0.756211),
    16: (3.531983, 0.749908),
    17: (3.587884, 0.744052),
    18: (3.640064, 0.738591),
    19: (3.688963, 0.733481),
    20: (3.734950, 0.728686),
    21: (3.778336, 0.724173),
    22: (3.819385, 0.719915),
    23: (3.858323, 0.715887),
    24: (3.895348, 0.712068),
    25: (3.930629, 0.708441),
}


def _range_constants(n: int) -> tuple[float, float]:
    found = _D2_D3.get(n)
    if found is None:
        msg = f"range constants exist for subgroups of 2 to {MAX_SUBGROUP}, not {n}"
        raise UsageError(msg)
    return found


def d2(n: int) -> float:
    """Mean range of ``n`` standard normal values."""
    return _range_constants(n)[0]


def d3(n: int) -> float:
    """Standard deviation of the range of ``n`` standard normal values."""
    return _range_constants(n)[1]


def c4(n: int) -> float:
    """E[s] / σ for samples of ``n`` normal values (exact)."""
    if n < 2:
        msg = f"c4 needs a sample of at least 2, not {n}"
        raise UsageError(msg)
    return math.sqrt(2.0 / (n - 1)) * math.exp(math.lgamma(n / 2) - math.lgamma((n - 1) / 2))


def A2(n: int) -> float:  # noqa: N802 - the textbook's name
    """X̄ chart half-width per unit of R̄: 3 / (d2 √n)."""
    return 3.0 / (d2(n) * math.sqrt(n))


def D3(n: int) -> float:  # noqa: N802
    """R chart lower limit per unit of R̄."""
    return max(0.0, 1.0 - 3.0 * d3(n) / d2(n))


def D4(n: int) -> float:  # noqa: N802
    """R chart upper limit per unit of R̄."""
    return 1.0 + 3.0 * d3(n) / d2(n)


def A3(n: int) -> float:  # noqa: N802
    """X̄ chart half-width per unit of s̄: 3 / (c4 √n)."""
    return 3.0 / (c4(n) * math.sqrt(n))


def B3(n: int) -> float:  # noqa: N802
    """S chart lower limit per unit of s̄."""
    c = c4(n)
    return max(0.0, 1.0 - 3.0 * math.sqrt(1.0 - c * c) / c)


def B4(n: int) -> float:  # noqa: N802
    """S chart upper limit per unit of s̄."""
    c = c4(n)
    return 1.0 + 3.0 * math.sqrt(1.0 - c * c) / c
