"""Meters that stop balancing with their sub-meters.

A meter measures everything below it, so its energy is at least the sum of its sub-meters
(meters of the same medium owned by elements below its owner, none of them below another
of those), and what is left (base load, losses, utilities and equipment without a
sub-meter) follows the sub-meters as it did before. An hour where the sub-meters exceed
their parent by more than 2 %, or where the remainder leaves the band its reference fit
gives (the first half of the hours; the larger of 5 robust standard deviations and 10 % of
the parent's median hour), is flagged; runs of flagged hours give one flag each.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from andon.apps.energy.quality import DataQualityFlag
from andon.model import Model
from andon.time import HOUR_US

__all__ = ["imbalance_hours", "meter_balance", "sub_meters"]

_EXCESS: Final = 0.02
_BAND_MAD: Final = 5.0
_BAND_SHARE: Final = 0.10


def sub_meters(model: Model) -> dict[str, tuple[str, ...]]:
    """Return each meter's direct sub-meters (same medium, nearest below its owner)."""
    infos = model.meters
    out: dict[str, tuple[str, ...]] = {}
    for path, info in infos.items():
        owner = info.owner_path + "/"
        below = [
            p
            for p, other in infos.items()
            if p != path
            and other.meter.medium == info.meter.medium
            and (other.owner_path + "/").startswith(owner)
            and other.owner_path != info.owner_path
        ]
        direct = [
            p
            for p in below
            if not any(
                q != p
                and (infos[p].owner_path + "/").startswith(infos[q].owner_path + "/")
                and infos[p].owner_path != infos[q].owner_path
                for q in below
            )
        ]
        if direct:
            out[path] = tuple(sorted(direct))
    return out


def _runs(hours: np.ndarray) -> list[tuple[int, int]]:
    """Return the runs of consecutive hours as (first, last)."""
    if hours.size == 0:
        return []
    breaks = np.nonzero(np.diff(hours) > 1)[0]
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [hours.size - 1]])
    return [(int(hours[s]), int(hours[e])) for s, e in zip(starts, ends, strict=True)]


def _unmetered(model: Model, parent: str, children: tuple[str, ...]) -> list[str]:
    """Return the equipment below ``parent``'s owner that none of its sub-meters measures."""
    owner = model.meters[parent].owner_path + "/"
    below = [model.meters[c].owner_path + "/" for c in children]
    return [
        p
        for p in model.equipment
        if (p + "/").startswith(owner) and not any((p + "/").startswith(b) for b in below)
    ]


def _reference_fit(joined: pl.DataFrame) -> np.ndarray:
    """Return the remainder each hour should have, as the first half of the hours say.

    The remainder is fitted by least squares on the sub-meters' sum (losses, and utilities
    that follow production) and on the modelled energy of unmetered equipment, over the
    first half of the hours (at least a day): a meter that stops balancing is one that
    balances otherwise than it did.
    """
    x = np.column_stack(
        [
            np.ones(joined.height),
            joined["sub_kwh"].to_numpy(),
            joined["modelled"].to_numpy(),
        ]
    )
    y = joined["rest_kwh"].to_numpy()
    ref = max(24, joined.height // 2)
    coef, *_ = np.linalg.lstsq(x[:ref], y[:ref], rcond=None)
    return np.asarray(x @ coef, dtype=float)


def imbalance_hours(
    model: Model, meter_hours: pl.DataFrame, equipment_hours: pl.DataFrame
) -> pl.DataFrame:
    """Return per parent meter and hour its mean power, its sub-meters' sum, the remainder
    (kWh per hour) and whether the hour is flagged (``meter``, ``hour``, ``kwh``,
    ``sub_kwh``, ``rest_kwh``, ``flagged``). Hours not metered alike by the parent and
    every sub-meter are left out. The remainder is judged after taking off the modelled
    energy of the equipment below the parent that no sub-meter measures, so that their
    production hours are no imbalance."""
    frames = []
    for parent, children in sorted(sub_meters(model).items()):
        top = meter_hours.filter(pl.col("meter") == parent).select("hour", "kwh", "seconds")
        subs = (
            meter_hours.filter(pl.col("meter").is_in(children))
            .group_by("hour")
            .agg(
                pl.col("kwh").sum().alias("sub_kwh"),
                pl.len().alias("n"),
                pl.col("seconds").min().alias("sub_s"),
                pl.col("seconds").max().alias("sub_s_max"),
            )
            .filter(pl.col("n") == len(children))
        )
        # Compared as mean power, over hours that every meter covered alike: a partial hour
        # (the range's edge, a gap) is no imbalance.
        joined = (
            top.join(subs, on="hour")
            .filter(
                (pl.col("sub_s") == pl.col("seconds")) & (pl.col("sub_s_max") == pl.col("seconds"))
            )
            .with_columns(
                rest_kwh=(pl.col("kwh") - pl.col("sub_kwh")) * 3600.0 / pl.col("seconds"),
                kwh=pl.col("kwh") * 3600.0 / pl.col("seconds"),
                sub_kwh=pl.col("sub_kwh") * 3600.0 / pl.col("seconds"),
            )
        )
        if joined.height < 24:
            continue
        modelled = (
            equipment_hours.filter(pl.col("path").is_in(_unmetered(model, parent, children)))
            .group_by("hour")
            .agg(pl.col("kwh").sum().alias("modelled"))
        )
        joined = joined.join(modelled, on="hour", how="left").with_columns(
            pl.col("modelled").fill_null(0.0)
        )
        joined = joined.sort("hour")
        expected = _reference_fit(joined)
        resid = joined["rest_kwh"].to_numpy() - expected
        reference = resid[: max(24, joined.height // 2)]
        median = float(np.median(reference))
        mad = float(np.median(np.abs(reference - median))) * 1.4826
        band = max(_BAND_MAD * mad, _BAND_SHARE * float(np.median(joined["kwh"].to_numpy())))
        frames.append(
            joined.with_columns(
                meter=pl.lit(parent),
                flagged=(pl.col("sub_kwh") > (1 + _EXCESS) * pl.col("kwh"))
                | pl.Series(np.abs(resid - median) > band),
            ).select("meter", "hour", "kwh", "sub_kwh", "rest_kwh", "flagged")
        )
    if not frames:
        return pl.DataFrame(
            schema={
                "meter": pl.Utf8,
                "hour": pl.Int64,
                "kwh": pl.Float64,
                "sub_kwh": pl.Float64,
                "rest_kwh": pl.Float64,
                "flagged": pl.Boolean,
            }
        )
    return pl.concat(frames).sort(["meter", "hour"])


def meter_balance(
    model: Model, meter_hours: pl.DataFrame, equipment_hours: pl.DataFrame
) -> list[DataQualityFlag]:
    """Return one ``meter_imbalance`` flag per run of hours a meter does not balance."""
    table = imbalance_hours(model, meter_hours, equipment_hours)
    flags = []
    for parent in table["meter"].unique(maintain_order=True).to_list():
        mine = table.filter((pl.col("meter") == parent) & pl.col("flagged"))
        usual = float(
            table.filter((pl.col("meter") == parent) & ~pl.col("flagged"))["rest_kwh"].median()  # type: ignore[arg-type]
            or 0.0
        )
        for first, last in _runs(mine["hour"].to_numpy()):
            run = mine.filter(pl.col("hour").is_between(first, last))
            mean = float(run["rest_kwh"].to_numpy().mean())
            flags.append(
                DataQualityFlag(
                    code="meter_imbalance",
                    where=parent,
                    start_us=first * HOUR_US,
                    end_us=(last + 1) * HOUR_US,
                    count=run.height,
                    detail=(f"parent less sub-meters {mean:.2f} kWh/h against a usual {usual:.2f}"),
                )
            )
    return flags
