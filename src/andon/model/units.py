"""Engineering units through pint: parse a unit, and convert between two units linearly."""

from __future__ import annotations

from functools import cache

import pint

__all__ = ["UnitError", "conversion", "is_unit", "registry"]


class UnitError(ValueError):
    """A unit is unknown, or two units do not convert into each other."""


@cache
def registry() -> pint.UnitRegistry:  # type: ignore[type-arg]
    """Return the one unit registry andon uses (offset units such as degC allowed)."""
    return pint.UnitRegistry(autoconvert_offset_to_baseunit=True)


def is_unit(text: str) -> bool:
    """Return whether pint understands ``text`` as a unit."""
    try:
        registry().Unit(text)
    except (
        pint.errors.UndefinedUnitError,
        pint.errors.DefinitionSyntaxError,
        ValueError,
        AttributeError,
        TypeError,
    ):
        return False
    return True


@cache
def conversion(source: str, target: str) -> tuple[float, float]:
    """Return ``(scale, offset)`` such that ``value_in_target = value_in_source * scale + offset``.

    Every conversion andon meets (degF to degC, psi to bar, in/s to mm/s) is affine, so two
    points determine it; the pair is then applied to whole Arrow columns at once.
    """
    if source == target:
        return 1.0, 0.0
    ureg = registry()
    try:
        zero = ureg.Quantity(0.0, source).to(target).magnitude
        one = ureg.Quantity(1.0, source).to(target).magnitude
    except pint.errors.DimensionalityError as exc:
        msg = f"{source!r} does not convert to {target!r}"
        raise UnitError(msg) from exc
    except (
        pint.errors.UndefinedUnitError,
        pint.errors.DefinitionSyntaxError,
        ValueError,
        AttributeError,
        TypeError,
    ) as exc:
        msg = f"unknown unit in {source!r} -> {target!r}"
        raise UnitError(msg) from exc
    return float(one - zero), float(zero)
