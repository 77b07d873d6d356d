"""No invented time: how far each equipment's data reaches, and feeds that stopped.

A state record says what an equipment entered; it does not say how long that lasted once
the data stops. A state lasts at most until the equipment's newest record of any kind
(state, count, sample of one of its tags, unit or inspection at it), and at most
``KpiSettings.stale_after_s`` after its own record when that bound is set; after that the
time has no state (``no_state_s``), and an equipment silent for longer than
``KpiSettings.silent_after_s`` before the end of the range is flagged ``data.stopped``.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from andon.errors import KpiError, StoreError
from andon.model import Model
from andon.store.base import Store
from andon.time import to_iso

__all__ = ["STOPPED_CODE", "clip_intervals", "newest_by_equipment", "stopped_feeds"]

STOPPED_CODE: Final = "data.stopped"
"""Issue code of an equipment whose feed stopped before the end of the range."""


def _owner(path: str, model: Model) -> str | None:
    if path in model.equipment:
        return path
    tag = model.tags.get(path)
    if tag is not None:
        return tag.equipment_path
    parent = path.rsplit("/", 1)[0]
    return parent if parent in model.equipment else None


def newest_by_equipment(
    store: Store, model: Model, *, prefix: str, since: int | None
) -> dict[str, int]:
    """Return each equipment's newest record time (UTC microseconds) at or after ``since``.

    Equipment without any record since then is absent.
    """
    try:
        table = store.newest_records(path_prefix=prefix, since=since)
    except StoreError as exc:
        msg = f"cannot read the newest records: {exc}"
        raise KpiError(msg) from exc
    newest: dict[str, int] = {}
    for path, ts in zip(
        table.column("path").to_pylist(), table.column("ts").to_pylist(), strict=True
    ):
        owner = _owner(str(path), model)
        if owner is not None and int(ts) > newest.get(owner, -(2**62)):
            newest[owner] = int(ts)
    return newest


def clip_intervals(
    intervals: pl.DataFrame,
    model: Model,
    *,
    newest: dict[str, int],
    lo: int,
    stale_us: int | None,
) -> pl.DataFrame:
    """Cut fetched state intervals where no record supports them (the Polars path).

    The same rule as the store's element statement: an interval of a model equipment ends
    at the equipment's newest record (``lo`` when it has none since ``lo``) and at most
    ``stale_us`` after its start; then every interval is clipped to start at ``lo``.
    """
    if not intervals.height:
        return intervals
    micros = pl.col("start").dt.epoch("us")
    end = pl.col("end").dt.epoch("us")
    known = pl.col("path").is_in(list(model.equipment))
    until = pl.col("path").replace_strict(newest, default=lo, return_dtype=pl.Int64)
    bounded = pl.min_horizontal(end, until)
    if stale_us is not None:
        bounded = pl.min_horizontal(bounded, micros + stale_us)
    frame = intervals.with_columns(
        _s=pl.when(known).then(pl.max_horizontal(micros, pl.lit(lo))).otherwise(micros),
        _e=pl.when(known).then(bounded).otherwise(end),
    ).filter(pl.col("_e") > pl.col("_s"))
    dtype = intervals.schema["start"]
    return frame.with_columns(
        start=pl.from_epoch("_s", time_unit="us").cast(dtype),
        end=pl.from_epoch("_e", time_unit="us").cast(dtype),
    ).drop("_s", "_e")


def stopped_feeds(
    newest: dict[str, int], paths: list[str], *, end: int, silent_us: int
) -> pl.DataFrame:
    """Return ``data.stopped`` issues: equipment silent for more than ``silent_us`` before
    ``end``, each with the time of its newest record."""
    rows = [(p, newest[p]) for p in paths if p in newest and end - newest[p] > silent_us]
    return pl.DataFrame(
        {
            "code": [STOPPED_CODE] * len(rows),
            "path": [p for p, _ in rows],
            "start": pl.Series([ts for _, ts in rows], dtype=pl.Int64),
            "end": pl.Series([end] * len(rows), dtype=pl.Int64),
            "quantity": pl.Series([(end - ts) / 1e6 for _, ts in rows], dtype=pl.Float64),
            "message": [f"no data from {p} since {to_iso(ts)}" for p, ts in rows],
        }
    )
