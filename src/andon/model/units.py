"""Engineering units through pint: parse a unit, and convert between two units linearly.

pint (with NumPy, which it imports) and its unit registry cost a quarter of a second to load,
more than the rest of loading a plant model. Common units are therefore first looked up in
``andon.model._unit_table``, pint's own answers computed ahead by ``scripts/gen_unit_table.py``
with the pint release installed: a model that names only those units loads without importing
pint. Any other unit, or another pint release than the table's, goes to pint itself, so the
answers are pint's either way.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from andon.model import _unit_table

if TYPE_CHECKING:
    import pint

__all__ = ["UnitError", "conversion", "is_unit", "registry"]


class UnitError(ValueError):
    """A unit is unknown, or two units do not convert into each other."""


@cache
def registry() -> pint.UnitRegistry:  # type: ignore[type-arg]
    """Return the one unit registry andon uses (offset units such as degC allowed)."""
    import pint  # noqa: PLC0415 - a quarter of a second, paid only when a unit needs it

    return pint.UnitRegistry(autoconvert_offset_to_baseunit=True)


@cache
def _table_holds() -> bool:
    """Return whether the unit table was computed with the pint release installed."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("pint") == _unit_table.PINT_VERSION
    except PackageNotFoundError:
        return False


def is_unit(text: str) -> bool:
    """Return whether pint understands ``text`` as a unit."""
    if text in _unit_table.GROUPS and _table_holds():
        return True
    return _pint_is_unit(text)


def _pint_is_unit(text: str) -> bool:
    """Return whether pint's registry parses ``text`` as a unit."""
    import pint  # noqa: PLC0415

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
    groups = _unit_table.GROUPS
    source_group = groups.get(source)
    target_group = groups.get(target)
    if source_group is not None and target_group is not None and _table_holds():
        if source_group != target_group:
            raise _mismatch(source, target)
        outcome = _unit_table.CONVERSIONS[source, target]
        if outcome == "mismatch":
            raise _mismatch(source, target)
        if isinstance(outcome, str):
            raise _unknown(source, target)
        return outcome
    return _pint_conversion(source, target)


def _pint_conversion(source: str, target: str) -> tuple[float, float]:
    """Return pint's ``(scale, offset)`` from ``source`` to ``target``; see :func:`conversion`."""
    import pint  # noqa: PLC0415

    if source == target:
        return 1.0, 0.0
    ureg = registry()
    try:
        zero = ureg.Quantity(0.0, source).to(target).magnitude
        one = ureg.Quantity(1.0, source).to(target).magnitude
    except pint.errors.DimensionalityError as exc:
        raise _mismatch(source, target) from exc
    except (
        pint.errors.UndefinedUnitError,
        pint.errors.DefinitionSyntaxError,
        ValueError,
        AttributeError,
        TypeError,
    ) as exc:
        raise _unknown(source, target) from exc
    return float(one - zero), float(zero)


def _mismatch(source: str, target: str) -> UnitError:
    return UnitError(f"{source!r} does not convert to {target!r}")


def _unknown(source: str, target: str) -> UnitError:
    return UnitError(f"unknown unit in {source!r} -> {target!r}")
