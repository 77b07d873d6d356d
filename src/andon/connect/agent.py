"""The edge agent's status file: where it is, and writing it so that a reader never sees half.

An edge (:class:`andon.runtime.edge.EdgeRuntime`) writes its counters as JSON beside its
buffer every second, ``<buffer>.status.json``, which ``andon edge status`` and
``andon ingest status --buffer`` read from another process.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["status_path_for", "write_status"]


def status_path_for(buffer_path: Path) -> Path:
    """Return where an agent with this buffer writes its status.

    >>> status_path_for(Path("site/buffer.db")).as_posix()
    'site/buffer.db.status.json'
    """
    return buffer_path.with_name(buffer_path.name + ".status.json")


def write_status(path: Path, status: dict[str, Any]) -> None:
    """Replace the status file at ``path`` with ``status`` in one rename (atomic on POSIX)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(status, indent=2, sort_keys=True))
    temporary.replace(path)
