"""The example plant models shipped with andon, found from any folder.

A wheel carries them as ``andon/examples/<name>`` (``pyproject.toml`` force-includes the
repository's ``examples/``); a source checkout installed in development mode has them at the
repository's root. :func:`find_model` turns what a user typed (``examples/beverage``,
``beverage``, a path of their own) into a path that exists.

>>> find_model("examples/discrete").name
'discrete'
>>> sorted(EXAMPLE_NAMES)[:2]
['batch', 'battery']
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Final

from andon.errors import SimulationError

__all__ = ["EXAMPLE_NAMES", "examples_root", "find_model"]

EXAMPLE_NAMES: Final = frozenset({"batch", "battery", "beverage", "discrete", "smt"})
"""The example models andon ships."""

_PACKAGE: Final = Path(str(resources.files("andon")))


def examples_root() -> Path | None:
    """Return the folder of the shipped examples: the package's, else the checkout's."""
    for candidate in (_PACKAGE / "examples", _PACKAGE.parent.parent / "examples"):
        if (candidate / "discrete").is_dir():
            return candidate
    return None


def find_model(path: str | Path) -> Path:
    """Return the plant model at ``path``, or the shipped example it names.

    A path that exists is taken as it is (a user's own model comes first). Otherwise
    ``examples/NAME`` or ``NAME`` of a shipped example is the shipped one, wherever the
    command runs from. Raises :class:`~andon.errors.SimulationError` naming the examples
    when neither is found.
    """
    given = Path(path)
    if given.exists():
        return given
    parts = given.parts
    name = parts[-1] if parts and (len(parts) == 1 or parts[-2] == "examples") else None
    root = examples_root()
    if name in EXAMPLE_NAMES and root is not None and (root / name).exists():
        return root / name
    known = ", ".join(f"examples/{n}" for n in sorted(EXAMPLE_NAMES))
    msg = f"no plant model at {given}; give a model file or folder, or one of {known}"
    raise SimulationError(msg)
