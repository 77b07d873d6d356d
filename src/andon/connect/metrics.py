"""Counters of a connector: received, written, quarantined by reason, buffer depth, lag.

One :class:`Metrics` is shared by the threads of a connector; :meth:`Metrics.snapshot`
returns plain numbers that ``andon ingest status`` prints and that an agent writes beside
its buffer so that another process can read them.

>>> metrics = Metrics()
>>> metrics.received(messages=2, payload_bytes=100)
>>> metrics.quarantined({"unknown_path": 3})
>>> metrics.snapshot()["quarantined_by_reason"]
{'unknown_path': 3}
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

__all__ = ["Metrics"]


class Metrics:
    """Thread-safe counters and gauges of one connector process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._reasons: Counter[str] = Counter()
        self._gauges: dict[str, float] = {}
        self._started = time.time()

    def received(self, *, messages: int, payload_bytes: int = 0) -> None:
        """Count messages taken from a source."""
        with self._lock:
            self._counts["received_messages"] += messages
            self._counts["received_bytes"] += payload_bytes

    def decoded(self, *, records: int, rejected: int) -> None:
        """Count records decoded and messages rejected by a decoder."""
        with self._lock:
            self._counts["decoded_records"] += records
            self._counts["rejected_messages"] += rejected

    def written(self, *, records: int, duplicates: int) -> None:
        """Count records the store took and those it already had."""
        with self._lock:
            self._counts["written_records"] += records
            self._counts["duplicate_records"] += duplicates

    def quarantined(self, reasons: Mapping[str, int]) -> None:
        """Count quarantined rows by reason code."""
        with self._lock:
            for reason, count in reasons.items():
                self._reasons[reason] += count
                self._counts["quarantined_records"] += count

    def add(self, name: str, amount: int = 1) -> None:
        """Add to a named counter (retries, reconnects, dropped, rebirths, ...)."""
        with self._lock:
            self._counts[name] += amount

    def gauge(self, name: str, value: float) -> None:
        """Set a gauge (buffer depth, buffer bytes, lag seconds)."""
        with self._lock:
            self._gauges[name] = value

    def count(self, name: str) -> int:
        """Return a counter's value."""
        with self._lock:
            return self._counts[name]

    def snapshot(self) -> dict[str, Any]:
        """Return every counter and gauge as plain JSON-ready values."""
        with self._lock:
            data: dict[str, Any] = dict(self._counts)
            data.update(self._gauges)
            data["quarantined_by_reason"] = dict(sorted(self._reasons.items()))
            data["uptime_s"] = round(time.time() - self._started, 3)
        return data
