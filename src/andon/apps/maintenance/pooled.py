"""One risk model for every class and failure mode: rows made comparable across the fleet.

A plant has many (class, failure mode) pairs and few failures of each; one model per pair
learns from three or four failures at best. Pooled, every failure teaches every mode: each
mode's condition tags go into the same signal slots as a share of the tag's valid range (in
the class's unit, so that a tag reported in another unit reads the same), and the mode is
described by features of its own (its MTBF, the age as a share of it, a stable code of the
class and mode) so that the trees can still tell modes apart where the data says they differ.

Pure functions of Polars frames and the plant model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import polars as pl

from andon.apps.maintenance.features import FeatureSpec
from andon.apps.maintenance.history import life_rows
from andon.model import Model
from andon.model.schema import FailureMode
from andon.time import HOUR_US

__all__ = [
    "SIGNAL_SLOTS",
    "STATIC_COLUMNS",
    "mode_code",
    "normalise_samples",
    "pooled_rows",
    "pooled_spec",
    "tag_scales",
]

SIGNAL_SLOTS = ("sig0", "sig1", "sig2")
"""Condition tags of a mode, by name order, as shares of their range; a mode shows up to three."""

STATIC_COLUMNS = ("mode_code", "mtbf_h", "age_share", "signal_count")


def mode_code(equipment_class: str, failure_mode: str) -> float:
    """Return a stable number for a class and mode (the same at fit and at predict time)."""
    digest = hashlib.sha256(f"{equipment_class}/{failure_mode}".encode()).hexdigest()
    return float(int(digest[:6], 16) % 100_000)


def tag_scales(model: Model) -> pl.DataFrame:
    """Return ``path``, ``__scale``, ``__offset`` of each tag with a valid range.

    A value in the tag's class unit is the share ``value * __scale + __offset`` of its range.
    """
    paths: list[str] = []
    scale: list[float] = []
    offset: list[float] = []
    for path, info in model.tags.items():
        lo, hi = info.definition.min, info.definition.max
        if lo is None or hi is None or hi <= lo:
            continue
        span = hi - lo
        # share = (class value - lo) / span
        paths.append(path)
        scale.append(1.0 / span)
        offset.append(-lo / span)
    return pl.DataFrame(
        {"path": paths, "__scale": scale, "__offset": offset},
        schema={"path": pl.Utf8, "__scale": pl.Float64, "__offset": pl.Float64},
    )


def normalise_samples(samples: pl.DataFrame, model: Model) -> pl.DataFrame:
    """Return samples with ``value`` as a share of the tag's valid range.

    The samples are the store's, in their tag's class unit (the contracts converted them on
    the way in), so they are not converted again. Tags without a range in the model keep
    their value (they still carry a trend).
    """
    if samples.is_empty():
        return samples
    joined = samples.join(tag_scales(model), on="path", how="left")
    return joined.with_columns(
        pl.when(pl.col("__scale").is_not_null())
        .then(pl.col("value") * pl.col("__scale") + pl.col("__offset"))
        .otherwise(pl.col("value"))
        .alias("value")
    ).drop(["__scale", "__offset"])


def pooled_spec(windows: tuple[int, ...]) -> FeatureSpec:
    """Return the feature spec of the pooled model."""
    return FeatureSpec(
        signals=SIGNAL_SLOTS,
        windows=windows,
        unit_column="life",
        time_column="hour",
        age_column="age_h",
        ewm_spans=(max(windows),),
        static_columns=STATIC_COLUMNS,
        # Each mode's tags standardised within the mode and turned to rise with wear, so
        # that "far along its own range" means the same for every mode.
        regime_columns=("mode_code",),
        orient_by="age_share",
        # ``propose`` reads a week of history, not whole lives: features that need the
        # start of the life in view would differ between fit and propose.
        drift=False,
        observed_rows=False,
    )


def pooled_rows(
    grid: pl.DataFrame,
    maintenance: pl.DataFrame,
    equipment_class: str,
    mode: FailureMode,
    *,
    until: int,
    origins: Mapping[str, int] | None = None,
) -> pl.DataFrame:
    """Return one mode's life rows with its tags in the shared slots and its descriptors.

    ``origins``: when each equipment's life in progress began, where no restoration on
    record says (see :func:`~andon.apps.maintenance.history.life_rows`).
    """
    rows = life_rows(grid, maintenance, mode.id, until=until, origins=origins)
    signals = sorted(tag for tag in mode.signals)[: len(SIGNAL_SLOTS)]
    slots = []
    for i, slot in enumerate(SIGNAL_SLOTS):
        if i < len(signals) and signals[i] in rows.columns:
            slots.append(pl.col(signals[i]).cast(pl.Float64).alias(slot))
        else:
            slots.append(pl.lit(None, dtype=pl.Float64).alias(slot))
    code = mode_code(equipment_class, mode.id)
    return rows.select(
        "equipment",
        "t",
        (pl.lit(f"{mode.id}|") + pl.col("life")).alias("life"),
        (pl.col("t") / HOUR_US).alias("hour"),
        pl.col("age_h").cast(pl.Float64),
        pl.col("rul_h").cast(pl.Float64),
        "observed",
        pl.col("__last_sample")
        if "__last_sample" in rows.columns
        else pl.lit(None).alias("__last_sample"),
        *slots,
        pl.lit(code).alias("mode_code"),
        pl.lit(float(mode.mtbf_h)).alias("mtbf_h"),
        (pl.col("age_h").cast(pl.Float64) / float(mode.mtbf_h)).alias("age_share"),
        pl.lit(float(len(signals))).alias("signal_count"),
        pl.lit(mode.id).alias("failure_mode"),
        pl.lit(equipment_class).alias("equipment_class"),
    )
