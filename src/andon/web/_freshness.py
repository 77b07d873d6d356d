"""Feeds that stopped, as the console flags them: "no data from <path> since <time>".

The rule and the words are the KPIs' (:mod:`andon.kpi._freshness`): an equipment without
any record of its own feed (state, count, sample of one of its tags, unit, inspection) for
longer than ``KpiSettings.silent_after_s`` before the console's now is a ``data.stopped``
issue. Pages that compute KPIs take the flags from the KPI run itself
(:func:`from_run`); the equipment page asks the store for its newest record
(:func:`stopped_below`), reading only the window it shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from andon.errors import AndonError
from andon.kpi import KpiRun, KpiSettings
from andon.kpi._freshness import newest_by_equipment, stopped_feeds
from andon.model import Model
from andon.store.base import Store

__all__ = ["StoppedFeed", "from_run", "stopped_below", "visible"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoppedFeed:
    """An equipment whose data stopped: its path, its newest record's time, the message."""

    path: str
    since: int
    """UTC microseconds of the equipment's newest record."""
    message: str
    """``no data from <path> since <time>``, as the KPIs word it."""


def _feeds(issues: pl.DataFrame) -> list[StoppedFeed]:
    if not issues.height:
        return []
    start = issues["start"]
    micros = start.dt.epoch("us") if start.dtype != pl.Int64 else start
    return [
        StoppedFeed(path=str(path), since=int(since), message=str(message))
        for path, since, message in zip(
            issues["path"].to_list(), micros.to_list(), issues["message"].to_list(), strict=True
        )
    ]


def from_run(run: KpiRun) -> list[StoppedFeed]:
    """Return the ``data.stopped`` issues of a KPI run, by path."""
    return sorted(_feeds(run.stopped()), key=lambda f: f.path)


def stopped_below(
    store: Store,
    model: Model,
    path: str,
    *,
    now: int,
    since: int,
    settings: KpiSettings | None = None,
) -> list[StoppedFeed]:
    """Return the equipment at or below ``path`` whose data stopped before ``now``.

    Records from ``since`` on are read (the window a page shows); an equipment silent over
    all of it is looked up once more over its whole history, as the KPIs do. An equipment
    that never sent anything is not a stopped feed (it was never connected).
    """
    settings = settings or KpiSettings()
    prefix = path.rstrip("/")
    paths = sorted(p for p in model.equipment if p == prefix or p.startswith(prefix + "/"))
    if not paths:
        return []
    try:
        newest = newest_by_equipment(store, model, prefix=prefix, since=since)
        if any(p not in newest for p in paths):
            older = newest_by_equipment(store, model, prefix=prefix, since=None)
            newest = {**older, **newest}
    except AndonError:
        return []
    silent_us = int(settings.silent_after_s * 1_000_000)
    return _feeds(stopped_feeds(newest, paths, end=now, silent_us=silent_us))


def visible(feeds: list[StoppedFeed], can_see: Callable[[str], bool]) -> list[StoppedFeed]:
    """Return the flags of the equipment a user may see."""
    return [f for f in feeds if can_see(f.path)]
