"""The causes of delay: what each unit waited for at each step, in hours, and the bottleneck.

A unit's wait before a step is the time from its previous event (its release, the
genealogy ``consumed`` link, or its previous station) to its record at the station. That
interval is set against what the station was doing meanwhile (its state records) and
against the holds of the unit's order (``held`` to ``unheld``), and split into causes:

- ``hold``: the unit's order was held (it comes first: a held unit waits whatever the
  station does); the rest of the wait is split by the station's states in the same
  proportions as over the whole interval;
- ``down`` (``unplanned_down``), ``planned down``, ``changeover`` (``setup``), ``blocked``
  (the station could not pass work on: the limit is downstream), ``starved`` and ``idle``
  (the station had nothing: the unit was on its way, or upstream was slow), ``no shift``
  (``offline``), ``no state`` (no state record covers the time);
- the station's ``running`` time split in two: ``processing``, the unit's own share, taken
  as the station's quick passage (the 10th percentile of running time per wait at that
  station, so no cycle time is needed from the model), and ``queue``, the rest: the station
  was working on the units ahead of this one.

Everything is computed on columns: each station's time in each state up to any instant is
a cumulative sum over its state intervals, read at both ends of every wait with one as-of
join per end, so no interval is compared with another in Python.

An order's own wait before its first unit, from ``released`` to ``started``, is its
``line queue``: the line was busy with the orders before it.

The bottleneck of a line is found by the active period method (Roser, Nakano and Tanaka,
2001): the cell whose stations were active (running, down, planned down or in changeover,
neither starved, blocked nor idle) for the largest share of their staffed time; a station
that is never waited for by its neighbours is the one that limits the line. What limits it
is the cause that, removed, would move the bottleneck: the largest of its ``down``,
``planned down`` and ``changeover`` times without which it would be less active than the
line's next cell; where none would, its ``capacity`` (its running time). Beside it,
``own_h``: the hours units waited at the station for the station's own reasons (``queue``,
``down``, ``planned down``, ``changeover``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl

from andon.apps.flow.export import unit_orders
from andon.store import Store
from andon.store import flow_queries as fq

__all__ = ["BOTTLENECK_CAUSES", "STATE_CAUSES", "DelayReport", "delays", "delays_of"]

STATE_CAUSES: Final = {
    "unplanned_down": "down",
    "planned_down": "planned down",
    "setup": "changeover",
    "blocked": "blocked",
    "starved": "starved",
    "idle": "idle",
    "offline": "no shift",
    "running": "running",
}
"""Equipment state to the cause of a wait it explains."""

BOTTLENECK_CAUSES: Final = ("queue", "down", "planned down", "changeover")
"""The causes of a unit's wait that belong to the station itself."""

ACTIVE: Final = ("capacity", "down", "planned down", "changeover")
"""What keeps a station active (running, down, planned down, in changeover): the active
period method's states; ``capacity`` is its running time."""

_QUICK: Final = 0.1
_H: Final = 3_600_000_000.0


@dataclass(frozen=True, kw_only=True)
class DelayReport:
    """The causes of delay of a range of time.

    ``waits``: one row per unit step: ``serial``, ``order_id``, ``station``, ``start_us``,
    ``end_us``, ``wait_h`` and one column of hours per cause. ``causes``: ``station``,
    ``cause``, ``hours``, ``steps`` (steps that lost time to it), ``share`` (of all hours
    lost), most hours first, ``processing`` left out. ``orders``: ``order_id``, ``cause``,
    ``hours``: its units' hours per cause, and ``line queue``, its wait from release to
    start. ``stations`` (those units visited): ``station``, its ``cell`` and ``line``
    (the parents in the ISA-95 path), its hours active per cause (``capacity_active_h``,
    ``down_active_h``, ``planned down_active_h``, ``changeover_active_h``), its
    ``active_share`` of staffed time, the hours units lost there to each of
    :data:`BOTTLENECK_CAUSES` and their sum ``own_h``; the most active first. ``lines``:
    per line, the ``bottleneck`` cell (the highest active share of its stations' staffed
    time together), ``limited_by``, ``active_share``, ``own_h``, ``lost_h``,
    ``units_per_h`` and ``lost_value`` (null without prices). ``bottleneck`` and
    ``limited_by``: the most active station of all and its largest active cause (None
    without states).
    """

    waits: pl.DataFrame
    causes: pl.DataFrame
    orders: pl.DataFrame
    stations: pl.DataFrame
    lines: pl.DataFrame
    bottleneck: str | None
    limited_by: str | None


def _cumulative(states: pl.DataFrame, end: int) -> pl.DataFrame:
    """Each state interval with the station's time in every cause before it starts."""
    ordered = states.sort("path", "ts_us").with_columns(
        pl.col("ts_us").shift(-1).over("path").fill_null(end).alias("next_us"),
        pl.col("state").replace_strict(STATE_CAUSES, default="no state").alias("cause"),
    )
    length = pl.col("next_us") - pl.col("ts_us")
    columns = []
    for cause in sorted(set(STATE_CAUSES.values())):
        own = pl.when(pl.col("cause") == cause).then(length).otherwise(0)
        columns.append((own.cum_sum().over("path") - own).alias(f"_c_{cause}"))
    return ordered.with_columns(columns).select("path", "ts_us", "cause", *_names("_c_"))


def _names(prefix: str) -> list[str]:
    return [f"{prefix}{cause}" for cause in sorted(set(STATE_CAUSES.values()))]


def _at(waits: pl.DataFrame, cumulative: pl.DataFrame, column: str, tag: str) -> pl.DataFrame:
    """Read each station's cumulative time per cause at the instant ``column``."""
    found = waits.sort(column).join_asof(
        cumulative.rename({"ts_us": "_from", "path": "station"}).sort("_from"),
        left_on=column,
        right_on="_from",
        by="station",
        strategy="backward",
        check_sortedness=False,
    )
    return found.with_columns(
        [
            (
                pl.col(f"_c_{cause}").fill_null(0)
                + pl.when(pl.col("cause") == cause)
                .then(pl.col(column) - pl.col("_from"))
                .otherwise(0)
            ).alias(f"{tag}{cause}")
            for cause in sorted(set(STATE_CAUSES.values()))
        ]
    ).drop("_from", "cause", *_names("_c_"))


def _hold_us(waits: pl.DataFrame, orders: pl.DataFrame, end: int) -> pl.DataFrame:
    """Add ``hold_us``: the time of each wait during which its order was held."""
    marks = (
        orders.filter(pl.col("event").is_in(["held", "unheld"]))
        .sort("order_id", "ts_us")
        .with_columns(
            (pl.col("event") == "held").alias("held"),
            pl.col("ts_us").shift(-1).over("order_id").fill_null(end).alias("_next"),
        )
    )
    marks = marks.with_columns(
        pl.when(pl.col("held")).then(pl.col("_next") - pl.col("ts_us")).otherwise(0).alias("_len")
    ).with_columns((pl.col("_len").cum_sum().over("order_id") - pl.col("_len")).alias("_before"))
    marks = marks.select("order_id", pl.col("ts_us").alias("_from"), "held", "_before")
    result = waits
    for column, tag in (("start_us", "_h0"), ("end_us", "_h1")):
        result = (
            result.sort(column)
            .join_asof(
                marks.sort("_from"),
                left_on=column,
                right_on="_from",
                by="order_id",
                strategy="backward",
                check_sortedness=False,
            )
            .with_columns(
                (
                    pl.col("_before").fill_null(0)
                    + pl.when(pl.col("held")).then(pl.col(column) - pl.col("_from")).otherwise(0)
                ).alias(tag)
            )
            .drop("_from", "held", "_before")
        )
    return result.with_columns((pl.col("_h1") - pl.col("_h0")).alias("hold_us")).drop("_h0", "_h1")


def _steps(visits: pl.DataFrame, links: pl.DataFrame, orders: pl.DataFrame) -> pl.DataFrame:
    """One row per unit step: ``serial``, ``order_id``, ``station``, ``product``,
    ``start_us``, ``end_us``."""
    released = (
        links.filter(pl.col("relation") == "consumed")
        .group_by(pl.col("child").alias("serial"))
        .agg(pl.col("ts_us").min().alias("released_us"))
    )
    steps = (
        visits.sort("serial", "ts_us", "path")
        .with_columns(pl.col("ts_us").shift(1).over("serial").alias("start_us"))
        .join(released, on="serial", how="left")
        .with_columns(
            pl.col("start_us").fill_null(pl.col("released_us")),
            pl.col("ts_us").alias("end_us"),
            pl.col("path").alias("station"),
        )
        .filter(pl.col("start_us").is_not_null() & (pl.col("end_us") >= pl.col("start_us")))
    )
    owners = unit_orders(visits, links, orders)
    return steps.join(owners, on="serial", how="left").select(
        "serial", "order_id", "station", "product", "start_us", "end_us"
    )


def delays_of(
    *,
    visits: pl.DataFrame,
    links: pl.DataFrame,
    orders: pl.DataFrame,
    states: pl.DataFrame,
    end: int,
    unit_prices: Mapping[str, float] | None = None,
) -> DelayReport:
    """Return the causes of delay from the flow tables (the columns of
    :mod:`andon.store.flow_queries`); ``end`` closes the last state of each station;
    ``unit_prices`` (product to the price of a unit) values the bottleneck's lost hours."""
    steps = _steps(visits, links, orders)
    cumulative = _cumulative(states, end)
    read = _at(_at(steps, cumulative, "start_us", "_a_"), cumulative, "end_us", "_b_")
    read = _hold_us(read, orders, end)
    wait = pl.col("end_us") - pl.col("start_us")
    free = pl.when(wait > 0).then((wait - pl.col("hold_us")) / wait).otherwise(0.0)
    causes = sorted(set(STATE_CAUSES.values()))
    spans = {c: (pl.col(f"_b_{c}") - pl.col(f"_a_{c}")) for c in causes}
    covered = pl.sum_horizontal(list(spans.values()))
    hours = read.with_columns(
        *[(spans[c] * free / _H).alias(c) for c in causes],
        ((wait - covered).clip(0) * free / _H).alias("no state"),
        (pl.col("hold_us") / _H).alias("hold"),
        (wait / _H).alias("wait_h"),
    ).drop(*_names("_a_"), *_names("_b_"), "hold_us")
    quick = hours.group_by("station").agg(
        pl.col("running").quantile(_QUICK, interpolation="linear").alias("_quick")
    )
    hours = (
        hours.join(quick, on="station", how="left")
        .with_columns(
            pl.min_horizontal("running", "_quick").alias("processing"),
            (pl.col("running") - pl.min_horizontal("running", "_quick")).alias("queue"),
        )
        .drop("running", "_quick")
        .sort("serial", "start_us", "station")
    )
    prices = pl.DataFrame(
        {"product": list(unit_prices or {}), "_price": list((unit_prices or {}).values())},
        schema={"product": pl.String(), "_price": pl.Float64()},
    )
    hours = hours.join(prices, on="product", how="left")
    return _report(hours, _activity(states, end), _line_queue(orders))


def _line_queue(orders: pl.DataFrame) -> pl.DataFrame:
    """Each order's wait from its release to its start: ``order_id``, ``cause`` (``line
    queue``: the line was busy with the orders before it), ``hours``."""
    firsts = orders.group_by("order_id", "event").agg(pl.col("ts_us").min())
    released = firsts.filter(pl.col("event") == "released").select("order_id", "ts_us")
    started = firsts.filter(pl.col("event") == "started").select(
        "order_id", pl.col("ts_us").alias("_start")
    )
    return (
        released.join(started, on="order_id")
        .select(
            "order_id",
            pl.lit("line queue").alias("cause"),
            ((pl.col("_start") - pl.col("ts_us")).clip(0) / _H).alias("hours"),
        )
        .filter(pl.col("hours") > 0)
    )


def _report(waits: pl.DataFrame, activity: pl.DataFrame, line_queue: pl.DataFrame) -> DelayReport:
    names = ["hold", "queue", *sorted(set(STATE_CAUSES.values()) - {"running"}), "no state"]
    long = waits.unpivot(
        index=["serial", "order_id", "station"], on=names, variable_name="cause", value_name="hours"
    ).filter(pl.col("hours") > 0)
    causes = (
        long.group_by("station", "cause")
        .agg(pl.col("hours").sum(), pl.len().cast(pl.Int64).alias("steps"))
        .with_columns((pl.col("hours") / pl.col("hours").sum()).alias("share"))
        .sort(["hours", "station", "cause"], descending=[True, False, False])
    )
    units = (
        long.filter(pl.col("order_id").is_not_null())
        .group_by("order_id", "cause")
        .agg(pl.col("hours").sum())
    )
    orders = pl.concat([line_queue, units]).sort(
        ["order_id", "hours", "cause"], descending=[False, True, False]
    )
    own = list(BOTTLENECK_CAUSES)
    lost = waits.group_by("station").agg(
        *[pl.col(c).sum() for c in own],
        pl.len().cast(pl.Int64).alias("visits"),
        pl.col("_price").sum().alias("_value"),
        pl.col("_price").count().alias("_priced"),
    )
    stations = (
        activity.join(lost, on="station", how="inner")
        .with_columns(
            pl.sum_horizontal(own).alias("own_h"),
            _parent(pl.col("station")).alias("cell"),
        )
        .with_columns(_parent(pl.col("cell")).alias("line"))
        .sort(["active_share", "station"], descending=[True, False], nulls_last=True)
    )
    active = [f"{c}_active_h" for c in ACTIVE]
    cells = (
        stations.group_by("line", "cell")
        .agg(pl.col("own_h", "staffed_h", "visits", "_value", "_priced", *active).sum())
        .with_columns(
            pl.when(pl.col("staffed_h") > 0)
            .then(pl.sum_horizontal(active) / pl.col("staffed_h"))
            .alias("active_share")
        )
        .sort(["line", "active_share", "cell"], descending=[False, True, False], nulls_last=True)
    )
    lines = _line_bottlenecks(cells.filter(pl.col("active_share").is_not_null()))
    bottleneck = limited_by = None
    if stations.height and stations["active_share"][0] is not None:
        first = stations.row(0, named=True)
        bottleneck = str(first["station"])
        limited_by = max(ACTIVE, key=lambda c: first[f"{c}_active_h"])
    return DelayReport(
        waits=waits,
        causes=causes,
        orders=orders,
        stations=stations,
        lines=lines,
        bottleneck=bottleneck,
        limited_by=limited_by,
    )


def _line_bottlenecks(cells: pl.DataFrame) -> pl.DataFrame:
    """The most active cell of each line and what limits it: the largest of its down,
    planned down and changeover times whose removal would leave it less active than the
    line's next cell (the cause that, gone, moves the bottleneck), else ``capacity``.

    An hour the bottleneck is not running is an hour of the line's output: ``lost_h``
    (its down, planned down and changeover hours) times ``units_per_h`` (the units it
    passed per running hour) times the mean price of those units is ``lost_value``."""
    firsts = cells.group_by("line", maintain_order=True).agg(
        pl.all().first(), pl.col("active_share").slice(1, 1).first().alias("_next")
    )
    causes = [c for c in ACTIVE if c != "capacity"]
    movers = [
        pl.when(
            (pl.col("active_share") - pl.col(f"{c}_active_h") / pl.col("staffed_h"))
            < pl.col("_next").fill_null(0.0)
        )
        .then(pl.col(f"{c}_active_h"))
        .otherwise(0.0)
        .alias(f"_{c}")
        for c in causes
    ]
    moved = firsts.with_columns(movers).with_columns(
        pl.sum_horizontal([f"{c}_active_h" for c in causes]).alias("lost_h"),
        pl.when(pl.col("capacity_active_h") > 0)
        .then(pl.col("visits") / pl.col("capacity_active_h"))
        .alias("units_per_h"),
    )
    value = pl.when(pl.col("_priced") > 0).then(pl.col("_value") / pl.col("_priced"))
    best = pl.max_horizontal([f"_{c}" for c in causes])
    limit = pl.lit("capacity")
    for c in reversed(causes):
        limit = pl.when((pl.col(f"_{c}") == best) & (best > 0)).then(pl.lit(c)).otherwise(limit)
    return moved.with_columns(limit.alias("limited_by")).select(
        "line",
        pl.col("cell").alias("bottleneck"),
        "limited_by",
        "active_share",
        "own_h",
        "lost_h",
        "units_per_h",
        (pl.col("lost_h") * pl.col("units_per_h") * value).alias("lost_value"),
    )


def _activity(states: pl.DataFrame, end: int) -> pl.DataFrame:
    """Per station, the hours in each active state and its active share of the time it was
    staffed (neither off shift nor without a state record)."""
    ordered = states.sort("path", "ts_us").with_columns(
        ((pl.col("ts_us").shift(-1).over("path").fill_null(end) - pl.col("ts_us")) / _H).alias(
            "_h"
        ),
        pl.col("state").replace_strict(STATE_CAUSES, default="no state").alias("_cause"),
    )
    shown = dict(zip(("running", "down", "planned down", "changeover"), ACTIVE, strict=True))
    hours = [
        pl.col("_h").filter(pl.col("_cause") == cause).sum().alias(f"{name}_active_h")
        for cause, name in shown.items()
    ]
    staffed = pl.col("_h").filter(~pl.col("_cause").is_in(["no shift", "no state"])).sum()
    return (
        ordered.group_by(pl.col("path").alias("station"))
        .agg(*hours, staffed.alias("_staffed"))
        .with_columns(
            pl.when(pl.col("_staffed") > 0)
            .then(pl.sum_horizontal([f"{c}_active_h" for c in ACTIVE]) / pl.col("_staffed"))
            .alias("active_share")
        )
        .rename({"_staffed": "staffed_h"})
    )


def _parent(path: pl.Expr) -> pl.Expr:
    parts = path.str.split("/")
    return parts.list.slice(0, parts.list.len() - 1).list.join("/")


def _frame(table: object) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    if not isinstance(frame, pl.DataFrame):  # pragma: no cover - a table gives a frame
        raise TypeError("expected a table")
    return frame


def delays(
    store: Store, *, start: int, end: int, unit_prices: Mapping[str, float] | None = None
) -> DelayReport:
    """Return the causes of delay of the units seen in ``[start, end)`` (``unit_prices``:
    product to the price of a unit, to value the bottlenecks' lost hours)."""
    return delays_of(
        visits=_frame(fq.unit_visits(store, start=start, end=end)),
        links=_frame(fq.genealogy(store, start=start, end=end)),
        orders=_frame(fq.orders(store, start=start, end=end)),
        states=_frame(fq.states(store, start=start, end=end)),
        end=end,
        unit_prices=unit_prices,
    )
