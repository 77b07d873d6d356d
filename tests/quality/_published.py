"""Comparing with printed figures: to four significant figures, or to the printed precision
when the book prints fewer digits (a printed 0.049 carries two)."""

from __future__ import annotations

import math


def agrees(computed: float, printed: str) -> bool:
    """Whether ``computed`` agrees with the figure printed as ``printed``."""
    value = float(printed)
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    printed_tolerance = 0.5 * 10.0**-decimals
    significant_tolerance = 0.5 * 10.0 ** (math.floor(math.log10(abs(value))) - 3) if value else 0
    return abs(computed - value) <= max(printed_tolerance, significant_tolerance) * (1 + 1e-9)
