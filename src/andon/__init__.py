"""andon: an open decision system for manufacturing operations.

The public Python API is deliberately short; each subpackage (``andon.model``,
``andon.records``, ``andon.store``, ...) hands on its own public names.
"""

from andon.errors import AndonError, ModelError, Problem
from andon.model import Model, load_model

__all__ = ["AndonError", "Model", "ModelError", "Problem", "__version__", "load_model"]

__version__ = "0.1.0"
