"""Keeping the stored KPI state current: refresh the trailing days on a schedule.

The stored day elements (:data:`~andon.kpi.STATE_TABLE`) are how andon serves KPIs over
long ranges: like a materialised view, a week or a year is a sum of stored days. A day
changes while it runs and when records arrive late, so a running andon (the runtime behind
``andon serve`` and ``andon demo``) refreshes the days of a trailing window every so often;
:func:`~andon.kpi.refresh` stores a new revision only for days whose elements changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from andon.kpi._elements import KpiSettings
from andon.kpi._state import refresh
from andon.model import Model
from andon.store.base import Store
from andon.time import HOUR_US as _HOUR_US

__all__ = ["StateRefresher"]


@dataclass(slots=True, kw_only=True)
class StateRefresher:
    """Refreshes the stored day elements of the last ``lookback_h`` every ``every_h``.

    The first run covers everything since ``since`` (the history a runtime starts with).
    Times are UTC microseconds on the caller's clock, simulated or not.

    >>> keeper = StateRefresher(every_h=1.0)
    >>> keeper.due(now=0)
    True
    """

    every_h: float = 1.0
    """Hours between two refreshes."""
    lookback_h: float = 48.0
    """Hours before now whose days are recomputed: records later than this are not seen
    until their range is refreshed (:func:`~andon.kpi.refresh` over
    :func:`~andon.kpi.late_range`)."""
    settings: KpiSettings | None = None
    last_us: int | None = None
    """When the last refresh ran; ``None`` before the first."""

    def due(self, *, now: int) -> bool:
        """Return whether a refresh is due at ``now``."""
        return self.last_us is None or now - self.last_us >= int(self.every_h * _HOUR_US)

    def run(
        self, store: Store, model: Model, *, now: int, since: int | None = None
    ) -> pl.DataFrame:
        """Refresh the trailing window (or everything since ``since`` the first time);
        return the day rows that changed, as :func:`~andon.kpi.refresh` does."""
        first = self.last_us is None
        start = now - int(self.lookback_h * _HOUR_US)
        if first and since is not None:
            start = min(start, since)
        self.last_us = now
        moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=now)
        return refresh(
            store, model, start=start, end=now, settings=self.settings, computed_at=moment
        )
