"""Canonical JSON and clocks shared by decision records, the audit chain and the API."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

__all__ = ["canonical", "digest", "loads_object", "now_us"]


def canonical(value: Any) -> str:
    """Return the canonical JSON text of a value: sorted keys, no spaces, UTF-8 kept.

    The audit chain hashes this text, so two equal values always give the same bytes.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def digest(value: Any) -> str:
    """Return the SHA-256 hex digest of a value's canonical JSON (an evidence snapshot id)."""
    return hashlib.sha256(canonical(value).encode()).hexdigest()


def loads_object(text: str | None) -> dict[str, Any]:
    """Return a JSON object stored as text, or an empty one for ``None``."""
    if not text:
        return {}
    value = json.loads(text)
    return dict(value) if isinstance(value, Mapping) else {"value": value}


def now_us() -> int:
    """Return the current UTC time in microseconds since the epoch."""
    return time.time_ns() // 1_000
