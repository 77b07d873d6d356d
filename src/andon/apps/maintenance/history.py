"""From stored records to the rows the risk model learns from: one row per asset and hour.

Condition samples are averaged per equipment and step (an hour by default) into a wide grid;
the equipment's running state gives operating hours; work orders give, for each failure mode,
the last restoration (the end of a repair or a preventive intervention) and the next failure.
Each row then knows its age in operating hours since restoration and, when the next failure
was seen before ``until``, its remaining life; otherwise the row is censored. Each life (the
span between two restorations of one mode on one asset) is its own unit for the rolling
features, so a repair resets the trend as it resets the machine.

Everything here is a pure function of Polars frames, apart from :func:`load_history`, which
asks the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import polars as pl

from andon.model import Model
from andon.records import MaintenanceEvent, MaintenanceKind, RecordKind
from andon.store.base import Store
from andon.store.queries import stopped_steps, tag_step_sums
from andon.time import HOUR_US

__all__ = [
    "HOUR_US",
    "ConditionSteps",
    "History",
    "class_grid",
    "condition_grid",
    "condition_steps",
    "life_rows",
    "load_history",
    "load_maintenance",
    "restorations_and_failures",
]


@dataclass(frozen=True, slots=True)
class History:
    """The store's records an app needs, as frames with ``ts`` in integer microseconds."""

    samples: pl.DataFrame
    maintenance: pl.DataFrame
    states: pl.DataFrame
    inventory: pl.DataFrame
    start: int
    end: int


def _micros(table: object) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if "ts" in frame.columns and frame.schema["ts"] != pl.Int64:
        frame = frame.with_columns(pl.col("ts").dt.epoch("us").cast(pl.Int64))
    return frame


def load_history(store: Store, model: Model, *, start: int, end: int) -> History:
    """Read samples, work orders, states and stock of the model's enterprise in ``[start, end)``."""
    root = model.root
    samples = _micros(store.samples(path_prefix=root, start=start, end=end))
    maintenance = _micros(
        store.records(RecordKind.MAINTENANCE, path_prefix=root, start=None, end=end)
    )
    states = _micros(store.records(RecordKind.STATE, path_prefix=root, start=start, end=end))
    inventory = _micros(store.records(RecordKind.INVENTORY, path_prefix=root, start=None, end=end))
    return History(samples, maintenance, states, inventory, start, end)


def load_maintenance(store: Store, model: Model, *, end: int) -> pl.DataFrame:
    """Read the work-order records of the model's enterprise before ``end``."""
    return _micros(
        store.records(RecordKind.MAINTENANCE, path_prefix=model.root, start=None, end=end)
    )


@dataclass(frozen=True, slots=True)
class ConditionSteps:
    """Condition samples summed by the store per tag and step, and the stopped steps.

    ``sums``: ``tag`` (row of ``tags``), ``t`` (step start, µs), ``n``, ``total`` and
    ``last_us`` (see :func:`~andon.store.queries.tag_step_sums`); ``tags``: ``tag``,
    ``equipment``, ``name``, ``__scale`` and ``__offset`` (the tag's value as a share of
    its range: ``value * scale + offset``); ``stopped``: ``equipment``, ``t`` of the
    steps whose start finds the equipment in a state other than running.
    """

    sums: pl.DataFrame
    tags: pl.DataFrame
    stopped: pl.DataFrame
    start: int
    end: int
    step_us: int


def condition_steps(
    store: Store,
    model: Model,
    *,
    start: int,
    end: int,
    step_us: int = HOUR_US,
    running_only: bool = True,
    scales: pl.DataFrame | None = None,
) -> ConditionSteps:
    """Ask the store for the per tag and step sums of the model's tags in ``[start, end)``.

    The same sums :func:`condition_grid` takes from every sample, computed in the store's
    engine: what leaves it is one row per tag and step, whatever the sample rate.
    ``scales`` (``path``, ``__scale``, ``__offset``) turns a tag's values into shares of its
    range; tags it does not list keep their values.
    """
    equipment = list(model.equipment)
    position = {path: i for i, path in enumerate(equipment)}
    tag_paths = [p for p, info in model.tags.items() if info.equipment_path in position]
    owners = [model.tags[p].equipment_path for p in tag_paths]
    tags = pl.DataFrame(
        {
            "tag": list(range(len(tag_paths))),
            "path": tag_paths,
            "equipment": owners,
            "name": [model.tags[p].definition.name for p in tag_paths],
        },
        schema={"tag": pl.Int64, "path": pl.Utf8, "equipment": pl.Utf8, "name": pl.Utf8},
    )
    if scales is not None:
        tags = tags.join(scales, on="path", how="left")
    else:
        tags = tags.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("__scale"),
            pl.lit(None, dtype=pl.Float64).alias("__offset"),
        )
    sums = _micros(
        tag_step_sums(
            store,
            tags=tag_paths,
            tag_equipment=[position[o] for o in owners],
            equipment=equipment,
            start=start,
            end=end,
            step_us=step_us,
            counted_state="running" if running_only else None,
        )
    )
    stopped = _micros(
        stopped_steps(
            store,
            equipment=equipment,
            start=start,
            end=end,
            step_us=step_us,
            counted_state="running",
        )
    )
    names = pl.DataFrame(
        {"__eid": list(range(len(equipment))), "equipment": equipment},
        schema={"__eid": pl.Int64, "equipment": pl.Utf8},
    )
    return ConditionSteps(
        sums=sums.select(
            pl.col("tag").cast(pl.Int64),
            (pl.col("step").cast(pl.Int64) * step_us).alias("t"),
            pl.col("n").cast(pl.Int64),
            pl.col("total").cast(pl.Float64),
            pl.col("last_us").cast(pl.Int64),
        ),
        tags=tags.drop("path"),
        stopped=stopped.select(
            pl.col("equipment").cast(pl.Int64).alias("__eid"),
            (pl.col("step").cast(pl.Int64) * step_us).alias("t"),
        )
        .join(names, on="__eid", how="left")
        .select("equipment", "t"),
        start=start,
        end=end,
        step_us=step_us,
    )


def class_grid(steps: ConditionSteps, equipment: list[str]) -> pl.DataFrame:
    """Return :func:`condition_grid` of some equipment, with ``__running`` as
    :func:`running_fraction` adds it, from the store's sums.

    One row per equipment and step; a tag column for each tag of these equipment that has
    a good sample in the range.
    """
    first = (steps.start // steps.step_us) * steps.step_us
    grid_steps = pl.DataFrame(
        {"t": pl.int_range(first, steps.end, steps.step_us, eager=True, dtype=pl.Int64)}
    )
    assets = pl.DataFrame({"equipment": equipment}, schema={"equipment": pl.Utf8})
    tags = steps.tags.filter(pl.col("equipment").is_in(equipment))
    sums = steps.sums.join(tags, on="tag", how="inner")
    grid = assets.join(grid_steps, how="cross")
    means = sums.filter(pl.col("n") > 0).select(
        "equipment",
        "t",
        "name",
        pl.when(pl.col("__scale").is_not_null())
        .then((pl.col("total") / pl.col("n")) * pl.col("__scale") + pl.col("__offset"))
        .otherwise(pl.col("total") / pl.col("n"))
        .alias("value"),
    )
    seen = sums.select("name").unique().sort("name")["name"].to_list()
    if not means.is_empty():
        wide = means.pivot(on="name", index=["equipment", "t"], values="value")
        grid = grid.join(wide, on=["equipment", "t"], how="left")
    absent = [name for name in seen if name not in grid.columns]
    if absent:
        grid = grid.with_columns([pl.lit(None, dtype=pl.Float64).alias(n) for n in absent])
    last = sums.group_by(["equipment", "t"]).agg(pl.col("last_us").max().alias("__last_sample"))
    stopped = steps.stopped.filter(pl.col("equipment").is_in(equipment)).with_columns(
        pl.lit(0.0).alias("__running")
    )
    return (
        grid.join(last, on=["equipment", "t"], how="left")
        .join(stopped, on=["equipment", "t"], how="left")
        .sort(["equipment", "t"])
        .with_columns(
            pl.col("__last_sample").forward_fill().over("equipment"),
            pl.col("__running").fill_null(1.0),
        )
    )


def condition_grid(
    samples: pl.DataFrame,
    *,
    start: int,
    end: int,
    step_us: int = HOUR_US,
    equipment: list[str] | None = None,
    states: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Return one row per equipment and step with the mean of each tag (missing stays null).

    Columns: ``equipment``, ``t`` (step start, µs), one column per tag name, and
    ``__last_sample`` (the newest sample time of the equipment up to that step).
    Samples of bad quality are left out: a bad value is no evidence. With ``states`` (the
    canonical state records), only samples taken while the equipment was running count
    towards the means: a tag idles at another level than it runs, so mixing states would
    drown a slow drift; ``__last_sample`` still counts every sample (the tag is alive).
    """
    first = (start // step_us) * step_us
    steps = pl.DataFrame({"t": pl.int_range(first, end, step_us, eager=True, dtype=pl.Int64)})
    assets = pl.DataFrame({"equipment": equipment or []}, schema={"equipment": pl.Utf8})
    if samples.is_empty():
        return assets.join(steps, how="cross").with_columns(
            pl.lit(None, dtype=pl.Int64).alias("__last_sample")
        )
    good = samples.filter(pl.col("quality") != "bad").filter(pl.col("value").is_not_null())
    parts = good.with_columns(
        pl.col("path").str.replace(r"/[^/]+$", "").alias("equipment"),
        pl.col("path").str.extract(r"/([^/]+)$", 1).alias("tag"),
        ((pl.col("ts") // step_us) * step_us).alias("t"),
    )
    valued = parts
    if states is not None and not states.is_empty():
        marks = states.select(
            pl.col("path").alias("equipment"), pl.col("ts").alias("__state_ts"), "state"
        ).sort("__state_ts")
        valued = (
            parts.sort("ts")
            .join_asof(
                marks,
                left_on="ts",
                right_on="__state_ts",
                by="equipment",
                strategy="backward",
                check_sortedness=False,
            )
            .filter(pl.col("state").is_null() | (pl.col("state") == "running"))
            .drop(["__state_ts", "state"])
        )
    means = valued.group_by(["equipment", "t", "tag"]).agg(pl.col("value").mean())
    if means.is_empty():
        wide = pl.DataFrame(schema={"equipment": pl.Utf8, "t": pl.Int64})
    else:
        wide = means.pivot(on="tag", index=["equipment", "t"], values="value")
    tags = parts.select("tag").unique()["tag"].to_list()
    absent = [tag for tag in tags if tag not in wide.columns]
    if absent:
        wide = wide.with_columns([pl.lit(None, dtype=pl.Float64).alias(tag) for tag in absent])
    seen = pl.concat([wide.select("equipment"), assets]).unique()
    grid = seen.join(steps, how="cross")
    out = grid.join(wide, on=["equipment", "t"], how="left").sort(["equipment", "t"])
    last = parts.group_by(["equipment", "t"]).agg(pl.col("ts").max().alias("__last_sample"))
    out = out.join(last, on=["equipment", "t"], how="left")
    return out.with_columns(pl.col("__last_sample").forward_fill().over("equipment"))


def restorations_and_failures(
    maintenance: pl.DataFrame, mode: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (restorations, failures) of one failure mode as ``equipment, ts`` frames.

    A restoration is a closed work order for the mode (failure repair, corrective or
    preventive) or a preventive order with no mode (an overhaul restores every mode). A
    failure is the first event of a failure work order of the mode.
    """
    empty = pl.DataFrame(schema={"equipment": pl.Utf8, "ts": pl.Int64})
    if maintenance.is_empty():
        return empty, empty
    restoring = (
        MaintenanceKind.FAILURE.value,
        MaintenanceKind.CORRECTIVE.value,
        MaintenanceKind.PREVENTIVE.value,
    )
    of_mode = (pl.col("failure_mode") == mode) | (
        pl.col("failure_mode").is_null() & (pl.col("kind") == MaintenanceKind.PREVENTIVE.value)
    )
    restorations = (
        maintenance.filter(of_mode.fill_null(value=False))
        .filter(pl.col("kind").is_in(restoring))
        .filter(pl.col("event") == MaintenanceEvent.CLOSED.value)
        .select(pl.col("path").alias("equipment"), "ts")
        .sort(["equipment", "ts"])
    )
    failures = (
        maintenance.filter(pl.col("failure_mode") == mode)
        .filter(pl.col("kind") == MaintenanceKind.FAILURE.value)
        .group_by(["path", "work_order"])
        .agg(pl.col("ts").min())
        .select(pl.col("path").alias("equipment"), "ts")
        .sort(["equipment", "ts"])
    )
    return restorations, failures


def running_fraction(states: pl.DataFrame, grid: pl.DataFrame) -> pl.DataFrame:
    """Add ``__running`` (1 when the equipment was running at the step start, else 0).

    Without state records the asset is taken as running: calendar hours stand in for
    operating hours, and the age is then an upper bound.
    """
    if states.is_empty() or grid.is_empty():
        return grid.with_columns(pl.lit(1.0).alias("__running"))
    marks = (
        states.select(pl.col("path").alias("equipment"), "ts", "state")
        .sort(["equipment", "ts"])
        .with_columns((pl.col("state") == "running").cast(pl.Float64).alias("__running"))
        .drop("state")
    )
    joined = grid.sort(["equipment", "t"]).join_asof(
        marks.sort("ts"),
        left_on="t",
        right_on="ts",
        by="equipment",
        strategy="backward",
        check_sortedness=False,
    )
    return joined.drop("ts").with_columns(pl.col("__running").fill_null(1.0))


def life_rows(
    grid: pl.DataFrame,
    maintenance: pl.DataFrame,
    mode: str,
    *,
    until: int,
    installed_at: int | None = None,
    origins: Mapping[str, int] | None = None,
) -> pl.DataFrame:
    """Label each grid row with its life, age and remaining life for one failure mode.

    Adds ``life`` (equipment and the restoration that began it), ``age_h`` (operating hours
    since the restoration, or since the start of records), ``rul_h`` (calendar hours to the
    next failure, or to ``until`` when none was seen), ``observed`` (that failure was seen)
    and drops rows inside a repair (after a failure, before its restoration). ``origins``
    gives, per equipment, when the life in progress before any restoration on record began
    (the model's installation or last restoration date); ``installed_at`` the same for all.
    The calendar hours before the first step of a life count at the equipment's running
    share over the steps on record (all of them without state records: an upper bound),
    not as run throughout: a machine installed years before its records began ran on its
    shifts, not round the clock.
    """
    restorations, failures = restorations_and_failures(maintenance, mode)
    rows = grid.sort(["equipment", "t"])
    if "__running" not in rows.columns:
        rows = rows.with_columns(pl.lit(1.0).alias("__running"))
    rows = _nearest_event(rows, restorations, name="__restored", strategy="backward")
    rows = _nearest_event(rows, failures, name="__failed_before", strategy="backward")
    rows = _nearest_event(rows, failures, name="__failed_next", strategy="forward")
    if origins:
        known = pl.DataFrame(
            {"equipment": list(origins), "__origin": [int(v) for v in origins.values()]},
            schema={"equipment": pl.Utf8, "__origin": pl.Int64},
        )
        rows = rows.join(known, on="equipment", how="left")
    else:
        rows = rows.with_columns(pl.lit(None, dtype=pl.Int64).alias("__origin"))
    fallback = pl.col("t").min().over("equipment") if installed_at is None else pl.lit(installed_at)
    in_repair = pl.col("__failed_before").is_not_null() & (
        pl.col("__restored").is_null() | (pl.col("__failed_before") > pl.col("__restored"))
    )
    rows = rows.filter(~in_repair.fill_null(value=False))
    start_of_life = pl.col("__restored").fill_null(pl.col("__origin")).fill_null(fallback)
    rows = rows.with_columns(
        pl.concat_str([pl.col("equipment"), start_of_life.cast(pl.Utf8)], separator="@").alias(
            "life"
        ),
    )
    # A life that began before the first step carries the hours it had already run, at
    # the share of the steps on record that the equipment ran.
    share = pl.col("__running").mean().over("equipment")
    carried = ((pl.col("t").min().over("life") - start_of_life) / HOUR_US).clip(0.0) * share
    rows = rows.with_columns(
        (pl.col("__running").cum_sum().over("life") + carried).alias("age_h"),
        pl.when(pl.col("__failed_next").is_not_null())
        .then((pl.col("__failed_next") - pl.col("t")) / HOUR_US)
        .otherwise((until - pl.col("t")) / HOUR_US)
        .alias("rul_h"),
        pl.col("__failed_next").is_not_null().alias("observed"),
    )
    return rows.drop(["__restored", "__failed_before", "__failed_next", "__origin"])


def _nearest_event(
    rows: pl.DataFrame, events: pl.DataFrame, *, name: str, strategy: Literal["backward", "forward"]
) -> pl.DataFrame:
    """Add ``name``: the time of each row's equipment's event at or before (``backward``) or
    at or after (``forward``) the row's ``t``; null where there is none."""
    key = f"{name}_key"
    right = events.rename({"ts": name}).with_columns(pl.col(name).alias(key))
    joined = rows.join_asof(
        right.sort(["equipment", key]),
        left_on="t",
        right_on=key,
        by="equipment",
        strategy=strategy,
        check_sortedness=False,
    )
    return joined.drop(key, strict=False)
