"""Generate src/andon/model/_unit_table.py, pint's answers for the common engineering units.

Building pint's unit registry (and importing pint and NumPy for it) costs a quarter of a
second, more than the rest of ``andon model validate``. Most plant models name only common
units, so ``andon.model.units`` first looks a unit up in this table of pint's own answers:
whether pint knows the unit, and the ``(scale, offset)`` of every conversion between two units
of the same dimensionality. Units of different dimensionalities never convert (pint raises
its dimensionality error). A unit outside the table, or a pint release other than the one
the table was made with, goes to pint itself.

The table is computed here by the same functions andon calls on pint, so it holds pint's
answers bit for bit. A test regenerates it and fails when the committed one differs.

Usage: python scripts/gen_unit_table.py [--check]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path
from typing import Any

from andon.model import units

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "src" / "andon" / "model" / "_unit_table.py"

COMMON_UNITS: tuple[str, ...] = (
    # temperature
    "degC", "degF", "degR", "K", "kelvin", "celsius", "fahrenheit",
    # length, thickness
    "m", "cm", "mm", "um", "nm", "km", "in", "inch", "ft",
    # velocity (vibration velocity, line and belt speeds)
    "m/s", "mm/s", "um/s", "in/s", "ft/s", "m/min", "mm/min", "m/h", "km/h", "ft/min",
    # acceleration
    "m/s^2", "m/s**2", "mm/s^2", "g0",
    # frequency, rotational speed, rates
    "Hz", "kHz", "MHz", "rpm", "1/s", "1/min", "1/h",
    # pressure
    "Pa", "hPa", "kPa", "MPa", "bar", "mbar", "psi", "atm", "mmHg", "inHg", "torr",
    # force, torque
    "N", "kN", "MN", "lbf", "N*m", "kN*m", "N m", "lbf*ft",
    # mass, mass flow
    "g", "mg", "kg", "t", "tonne", "lb", "kg/s", "kg/min", "kg/h", "g/s", "g/min", "t/h",
    "lb/h",
    # volume, volumetric flow
    "l", "L", "ml", "mL", "m^3", "m**3", "cm^3", "gal",
    "l/s", "l/min", "L/min", "l/h", "L/h", "ml/min", "m^3/s", "m^3/min", "m^3/h", "gal/min",
    # electricity
    "A", "mA", "kA", "V", "mV", "kV", "ohm", "kohm", "Mohm", "mohm",
    "W", "mW", "kW", "MW", "VA", "kVA", "MVA", "Ah", "mAh",
    "uS/cm", "mS/cm",
    # energy
    "J", "kJ", "MJ", "Wh", "kWh", "MWh", "GWh",
    # time
    "s", "ms", "us", "min", "h", "hour", "minute", "second", "day", "d",
    # ratios, concentrations, counts
    "dimensionless", "percent", "%", "ppm", "mg/g", "g/kg", "mg/kg", "count",
    # density, viscosity
    "kg/m^3", "g/cm^3", "g/l", "Pa*s", "mPa*s", "cP",
    # angle, light, sound
    "deg", "degree", "rad", "lx", "lm", "cd", "dB",
)  # fmt: skip
"""The units looked up without pint: common in plant models, each a unit pint knows."""

LOGARITHMIC: frozenset[str] = frozenset({"dB"})
"""Units of :data:`COMMON_UNITS` that pint converts along a logarithm, not affinely: the table
says pint knows them, and leaves their conversions to pint."""


def _outcome(source: str, target: str) -> tuple[float, float] | str:
    """Return pint's conversion from ``source`` to ``target``, or the kind of its error."""
    try:
        return units._pint_conversion(source, target)
    except units.UnitError as exc:
        return "mismatch" if "does not convert" in str(exc) else "unknown"


def table() -> tuple[str, dict[str, int | None], dict[tuple[str, str], tuple[float, float] | str]]:
    """Return the pint version, each unit's dimensionality group and the conversions in groups."""
    for unit in COMMON_UNITS:
        if not units._pint_is_unit(unit):
            msg = f"pint does not know {unit!r}: take it out of COMMON_UNITS"
            raise ValueError(msg)
    if len(set(COMMON_UNITS)) != len(COMMON_UNITS):
        msg = "COMMON_UNITS names a unit twice"
        raise ValueError(msg)
    ureg = units.registry()
    by_dimensionality: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    groups: dict[str, int | None] = {}
    for unit in COMMON_UNITS:
        if unit in LOGARITHMIC:
            groups[unit] = None
        else:
            # sorted: pint's containers keep the order their terms were met in (lbf, N)
            dimensionality = tuple(sorted(ureg.Unit(unit).dimensionality.items()))
            by_dimensionality[dimensionality].append(unit)
    conversions: dict[tuple[str, str], tuple[float, float] | str] = {}
    for number, (_, members) in enumerate(sorted(by_dimensionality.items())):
        for source in members:
            groups[source] = number
            for target in members:
                if source != target:
                    outcome = _outcome(source, target)
                    if isinstance(outcome, tuple) and not all(map(math.isfinite, outcome)):
                        msg = f"{source!r} -> {target!r} is not finite: {outcome}"
                        raise ValueError(msg)
                    conversions[source, target] = outcome
    return version("pint"), {unit: groups[unit] for unit in COMMON_UNITS}, conversions


HEADER = '''\
"""pint's answers for common engineering units, so that most models need no unit registry.

Generated by scripts/gen_unit_table.py from pint {pint}; do not edit by hand. ``GROUPS``
gives each unit pint knows here the number of its dimensionality: units of two different
groups never convert into each other; ``None`` (a logarithmic unit) leaves its conversions to
pint. ``CONVERSIONS`` gives, for every two different units of one group, pint's
``(scale, offset)`` or the kind of its error (``"mismatch"``, ``"unknown"``).
"""

from typing import Final

PINT_VERSION: Final = {quoted}
'''


def _quoted(text: str) -> str:
    """Return ``text`` as a Python string literal in double quotes, as ruff formats it."""
    return json.dumps(text)


def _value(outcome: tuple[float, float] | str) -> str:
    if isinstance(outcome, str):
        return _quoted(outcome)
    scale, offset = outcome
    return f"({scale!r}, {offset!r})"


def render() -> str:
    """Return the text of the table module for the installed pint."""
    pint_version, groups, conversions = table()
    lines = [
        HEADER.format(pint=pint_version, quoted=_quoted(pint_version)),
        "GROUPS: Final[dict[str, int | None]] = {",
    ]
    lines += [f"    {_quoted(unit)}: {number}," for unit, number in groups.items()]
    lines += ["}", "", "CONVERSIONS: Final[dict[tuple[str, str], tuple[float, float] | str]] = {"]
    lines += [
        f"    ({_quoted(s)}, {_quoted(t)}): {_value(outcome)},"
        for (s, t), outcome in conversions.items()
    ]
    lines += ["}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the table is stale")
    arguments = parser.parse_args(argv)
    text = render()
    if arguments.check:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run python scripts/gen_unit_table.py")
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
