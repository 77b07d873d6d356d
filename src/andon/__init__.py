"""andon: an open decision system for manufacturing operations.

The public Python API is deliberately short; each subpackage (``andon.model``,
``andon.records``, ``andon.store``, ...) hands on its own public names.

``Model`` and ``load_model`` are imported on first use (PEP 562), so that a program that needs
only a part of andon, such as ``andon --help``, does not pay for pint and the model schema.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from andon.errors import AndonError, ModelError, Problem

if TYPE_CHECKING:
    from andon.model import Model, load_model

__all__ = ["AndonError", "Model", "ModelError", "Problem", "__version__", "load_model"]

__version__ = "0.1.0"

_LAZY = {"Model": "andon.model", "load_model": "andon.model"}


def __getattr__(name: str) -> Any:
    """Import ``Model`` and ``load_model`` from :mod:`andon.model` when first asked for."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    msg = f"module 'andon' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
