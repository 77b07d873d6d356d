"""The newest fitted artifact of an app, read from its table of versioned JSON artifacts.

An app's ``fit`` appends a row (``version``, ``trained_until``, ``artifact`` as JSON) to a
table of its own; ``propose`` and the surfaces use the newest row trained before ``now``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import polars as pl

from andon.errors import StoreError
from andon.store.base import Store

__all__ = ["newest_artifact"]


def newest_artifact(
    store: Store, table: str, *, now: int, cached: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Return the newest artifact trained until ``now`` as ``version``, ``trained_until``
    and the parsed ``artifact``; ``cached`` (an earlier answer) is given back, without parsing
    the JSON again, while its version is still the newest. ``None`` before the first fit."""
    try:
        frame = pl.DataFrame(pl.from_arrow(store.read_table(table)))
    except StoreError:
        return None
    rows = frame.filter(pl.col("trained_until") <= now).sort(["trained_until", "version"])
    if rows.height == 0:
        return None
    last = rows.row(rows.height - 1, named=True)
    if cached.get("version") == last["version"]:
        return dict(cached)
    return {
        "version": str(last["version"]),
        "trained_until": int(last["trained_until"]),
        "artifact": json.loads(last["artifact"]),
    }
