"""What the plant pages show: the tree with live states, and one equipment's page.

Each function reads the store through its typed methods and returns plain values for a
template; nothing here knows about HTTP.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute
from markupsafe import Markup

from andon.model import EquipmentInfo, Model
from andon.records import RecordKind
from andon.series import MAX_POINTS
from andon.store.base import Store
from andon.store.queries import latest_time as _latest_time
from andon.store.queries import sample_buckets
from andon.time import DAY_US, HOUR_US
from andon.web._charts import LineSeries, band_chart, line_chart, state_timeline

__all__ = [
    "EquipmentPage",
    "TreeNode",
    "current_states",
    "equipment_page",
    "latest_time",
    "live_clock",
    "plant_tree",
    "state_shares",
]


LIVE_KINDS = (RecordKind.SAMPLE, RecordKind.STATE, RecordKind.COUNT, RecordKind.ENERGY)
"""The record kinds whose newest time is the console's "now" (a plant's pulse)."""


def latest_time(store: Store) -> int | None:
    """Return the newest time of any live record (sample, state, count, energy) in the store.

    A source that sends only samples, or a machine that runs for hours without a state
    change, still moves the console's "now" forward.
    """
    times = [t for kind in LIVE_KINDS if (t := _latest_time(store, kind)) is not None]
    return max(times) if times else None


def live_clock(store: Store, *, stale_after_us: int = DAY_US) -> Callable[[], int | None]:
    """Return the "now" of a live plant: the wall clock, unless the store's newest record is
    older than ``stale_after_us`` (a replayed or stopped plant), then that record's time."""

    def now() -> int | None:
        wall = int(time.time() * 1_000_000)
        newest = latest_time(store)
        if newest is None or newest >= wall - stale_after_us:
            return wall
        return newest

    return now


@dataclass(frozen=True, slots=True, kw_only=True)
class TreeNode:
    """One element of the ISA-95 tree, with its children and, for equipment, its state."""

    path: str
    name: str
    level: str
    state: str | None = None
    children: tuple[TreeNode, ...] = ()
    detail: str = ""


def current_states(store: Store, *, now: int, path_prefix: str | None = None) -> dict[str, str]:
    """Return the state each equipment is in at ``now`` (equipment path -> state).

    Only the last week's state records are read (a time range the store prunes cheaply); an
    equipment with no state change in a week shows no state rather than a stale guess.
    """
    table = store.records(
        RecordKind.STATE, path_prefix=path_prefix, start=now - 7 * DAY_US, end=now + 1
    )
    if table.num_rows == 0:
        return {}
    frame = pl.from_arrow(table.select(["ts", "seq", "path", "state"]))
    assert isinstance(frame, pl.DataFrame)
    last = frame.group_by("path").agg(pl.col("state").sort_by(["ts", "seq"]).last())
    return dict(zip(last["path"].to_list(), last["state"].to_list(), strict=True))


def plant_tree(model: Model, states: Mapping[str, str], *, sites: set[str] | None) -> TreeNode:
    """Return the enterprise tree down to equipment, limited to ``sites`` when given."""
    root = model.root
    site_nodes: list[TreeNode] = []
    for site in model.plant.sites:
        site_path = f"{root}/{site.id}"
        if sites is not None and site_path not in sites:
            continue
        areas = []
        for area in site.areas:
            area_path = f"{site_path}/{area.id}"
            lines = []
            for line in area.lines:
                line_path = f"{area_path}/{line.id}"
                cells = []
                for cell in line.cells:
                    cell_path = f"{line_path}/{cell.id}"
                    equipment = tuple(
                        TreeNode(
                            path=f"{cell_path}/{eq.id}",
                            name=eq.id,
                            level="equipment",
                            state=states.get(f"{cell_path}/{eq.id}"),
                            detail=f"{eq.class_} · criticality {eq.criticality.value}",
                        )
                        for eq in cell.equipment
                    )
                    cells.append(
                        TreeNode(path=cell_path, name=cell.id, level="cell", children=equipment)
                    )
                lines.append(
                    TreeNode(path=line_path, name=line.id, level="line", children=tuple(cells))
                )
            areas.append(
                TreeNode(path=area_path, name=area.id, level="area", children=tuple(lines))
            )
        site_nodes.append(
            TreeNode(
                path=site_path,
                name=site.name or site.id,
                level="site",
                children=tuple(areas),
                detail=site.timezone,
            )
        )
    return TreeNode(
        path=root,
        name=model.plant.enterprise.name or root,
        level="enterprise",
        children=tuple(site_nodes),
    )


def _intervals(store: Store, path: str, *, start: int, end: int) -> pl.DataFrame:
    """Return state intervals (path, state, start, end) of equipment below ``path`` in a window.

    Built from the state records of the window and the day before it (a time range the
    store prunes cheaply), so that a page costs the same with a week or a year of history;
    a state entered more than a day before the window shows from the first change in it.
    """
    table = store.records(RecordKind.STATE, path_prefix=path, start=start - DAY_US, end=end)
    frame = pl.from_arrow(table.select(["ts", "seq", "path", "state"]))
    assert isinstance(frame, pl.DataFrame)
    lo = pl.lit(start).cast(pl.Datetime("us", "UTC"))
    hi = pl.lit(end).cast(pl.Datetime("us", "UTC"))
    return (
        frame.sort(["path", "ts", "seq"])
        .with_columns(stop=pl.col("ts").shift(-1).over("path"))
        .with_columns(
            start=pl.max_horizontal(pl.col("ts"), lo),
            end=pl.min_horizontal(pl.col("stop").fill_null(hi), hi),
        )
        .filter(pl.col("end") > pl.col("start"))
        .select("path", "state", "start", "end")
    )


def state_shares(frame: pl.DataFrame) -> list[tuple[str, float]]:
    """Return each state's share of the time in a frame of state intervals, largest first."""
    if frame.height == 0:
        return []
    shares = (
        frame.with_columns(((pl.col("end") - pl.col("start")).dt.total_microseconds()).alias("us"))
        .group_by("state")
        .agg(pl.col("us").sum())
        .sort("us", descending=True)
    )
    total = float(shares["us"].sum()) or 1.0
    return [
        (str(s), float(us) / total)
        for s, us in zip(shares["state"].to_list(), shares["us"].to_list(), strict=True)
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class TagView:
    """A tag of the equipment with its latest value and where it sits in its valid range."""

    name: str
    unit: str
    value: float | None
    when: int | None
    low: float | None
    high: float | None

    @property
    def fraction(self) -> float | None:
        """Where the latest value sits between the tag's valid minimum and maximum (0..1)."""
        if self.value is None or self.low is None or self.high is None or self.high <= self.low:
            return None
        return float(min(max((self.value - self.low) / (self.high - self.low), 0.0), 1.0))


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkOrder:
    """A work order folded from its maintenance events."""

    work_order: str
    kind: str
    failure_mode: str
    opened: int | None
    closed: int | None
    parts: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PartView:
    """A spare part the equipment's repairs use, with the site's stock."""

    part: str
    description: str
    per_repair: int
    failure_modes: str
    on_hand: int | None
    on_order: int | None
    lead_time_days: float
    unit_cost: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Utility:
    """What an asset without state records shows instead: its hours with readings and the
    energy of the meters that measure it."""

    reporting_h: float
    meters: list[tuple[str, str, float, bool]]
    """Meter path, medium, kWh in the window, and whether the meter is shared with others."""
    running_equivalent_h: float | None
    """Electricity over the running power: hours at full running power (an estimate)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EquipmentPage:
    """Everything the equipment page shows."""

    info: EquipmentInfo
    window: tuple[int, int]
    timeline: Markup
    shares: list[tuple[str, float]]
    trends: list[tuple[str, Markup, int]]
    tags: list[TagView]
    work_orders: list[WorkOrder]
    parts: list[PartView]
    state: str | None
    utility: Utility | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _work_orders(store: Store, path: str, *, limit: int = 30) -> list[WorkOrder]:
    table = store.records(RecordKind.MAINTENANCE, path_prefix=path)
    if table.num_rows == 0:
        return []
    frame = pl.from_arrow(
        table.select(["ts", "work_order", "kind", "event", "failure_mode", "parts"])
    )
    assert isinstance(frame, pl.DataFrame)
    frame = frame.with_columns(pl.col("ts").dt.epoch("us").alias("us"))
    folded = (
        frame.group_by("work_order")
        .agg(
            pl.col("kind").first(),
            pl.col("failure_mode").drop_nulls().first(),
            pl.col("us").filter(pl.col("event") == "opened").min().alias("opened"),
            pl.col("us").filter(pl.col("event") == "closed").max().alias("closed"),
            pl.col("parts").drop_nulls().last(),
            pl.col("us").min().alias("first"),
        )
        .sort("first", descending=True)
        .head(limit)
    )
    orders = []
    for row in folded.iter_rows(named=True):
        parts = ""
        if row["parts"]:
            try:
                used = json.loads(row["parts"])
                parts = ", ".join(f"{k} x {v}" for k, v in used.items())
            except (ValueError, AttributeError):
                parts = str(row["parts"])
        orders.append(
            WorkOrder(
                work_order=row["work_order"],
                kind=row["kind"],
                failure_mode=row["failure_mode"] or "",
                opened=row["opened"],
                closed=row["closed"],
                parts=parts,
            )
        )
    return orders


def _parts(store: Store, model: Model, info: EquipmentInfo) -> list[PartView]:
    needed: dict[str, tuple[int, list[str]]] = {}
    for mode in info.equipment_class.failure_modes:
        for part, qty in mode.parts.items():
            count, modes = needed.get(part, (0, []))
            needed[part] = (max(count, qty), [*modes, mode.id])
    if not needed:
        return []
    site_path = info.site_path
    stock: dict[str, tuple[int, int]] = {}
    table = store.records(RecordKind.INVENTORY, path_prefix=site_path)
    if table.num_rows:
        frame = pl.from_arrow(table.select(["ts", "seq", "part", "on_hand", "on_order"]))
        assert isinstance(frame, pl.DataFrame)
        last = frame.sort(["ts", "seq"]).group_by("part").agg(pl.all().last())
        for row in last.iter_rows(named=True):
            stock[row["part"]] = (int(row["on_hand"]), int(row["on_order"]))
    views = []
    for part_id, (qty, modes) in sorted(needed.items()):
        spare = model.parts.get(part_id)
        on_hand, on_order = stock.get(part_id, (None, None))
        if on_hand is None and spare is not None:
            on_hand = spare.stock.get(info.site.id)
        views.append(
            PartView(
                part=part_id,
                description=spare.description if spare else "",
                per_repair=qty,
                failure_modes=", ".join(modes),
                on_hand=on_hand,
                on_order=on_order,
                lead_time_days=spare.lead_time_days if spare else 0.0,
                unit_cost=spare.unit_cost if spare else 0.0,
            )
        )
    return views


BAND_BUCKETS = 240
"""Buckets of a long window's min-max band: one per three pixels of the chart."""


def _trends(
    store: Store, model: Model, path: str, *, start: int, end: int
) -> tuple[list[tuple[str, Markup, int]], dict[str, tuple[float | None, int | None]]]:
    """Return each tag's trend (label, chart, samples) and its newest value in the window.

    The store folds the window's samples per tag into :data:`BAND_BUCKETS` buckets
    (:func:`andon.store.queries.sample_buckets`): a tag with few samples is drawn raw (its
    samples read again, few), a longer one as a min-max band with its mean line; a week
    of a one-minute tag is 10,080 points, which drawn raw are noise. The newest value is
    the newest in the window: the store's latest values would scan the tag's history.
    """
    bucket = max((end - start) // BAND_BUCKETS, 1)
    table = sample_buckets(store, path_prefix=path, start=start, end=end, bucket_us=bucket)
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    trends: list[tuple[str, Markup, int]] = []
    latest: dict[str, tuple[float | None, int | None]] = {}
    for (tag_path,), group in frame.group_by(["path"], maintain_order=True):
        tag = model.tags.get(str(tag_path))
        unit = tag.definition.unit if tag else ""
        name = str(tag_path).rsplit("/", 1)[-1]
        label = name + (f" ({unit})" if unit else "")
        rows = int(group["rows"].sum())
        chart = _trend(store, str(tag_path), group, rows, name, unit, (start, end), bucket)
        trends.append((label, chart, rows))
        valued = group.filter(pl.col("last_us").is_not_null())
        if valued.height:
            newest = valued.row(valued["last_us"].arg_max() or 0, named=True)
            latest[str(tag_path)] = (float(newest["last_value"]), int(newest["last_us"]))
    return trends, latest


def _reporting_hours(store: Store, path: str, *, start: int, end: int) -> list[int]:
    """Return the hours (since the epoch) in which any tag below ``path`` reported."""
    table = sample_buckets(store, path_prefix=path, start=start, end=end, bucket_us=HOUR_US)
    return sorted({(start + b * HOUR_US) // HOUR_US for b in table.column("bucket").to_pylist()})


def _trend(  # noqa: PLR0917 - private, one caller
    store: Store,
    tag_path: str,
    buckets: pl.DataFrame,
    rows: int,
    name: str,
    unit: str,
    window: tuple[int, int],
    bucket: int,
) -> Markup:
    start, end = window
    if rows <= MAX_POINTS:
        raw = store.samples(tags=[tag_path], start=start, end=end)
        series = LineSeries(
            name=name,
            x=pa.compute.cast(raw.column("ts"), pa.int64()).to_numpy().astype(np.float64),
            y=raw.column("value").to_numpy(zero_copy_only=False).astype(np.float64),
            unit=unit,
        )
        return line_chart([series])
    folded = buckets.filter(pl.col("n") > 0).sort("bucket")
    x = (start + (folded["bucket"].to_numpy() + 0.5) * bucket).astype(np.float64)
    return band_chart(
        x=x,
        mean=folded["mean"].to_numpy().astype(np.float64),
        low=folded["low"].to_numpy().astype(np.float64),
        high=folded["high"].to_numpy().astype(np.float64),
        name=name,
        unit=unit,
        time_axis=True,
    )


def _utility(
    store: Store, model: Model, info: EquipmentInfo, hours: list[int], *, start: int, end: int
) -> Utility:
    path = info.path
    meters: list[tuple[str, str, float, bool]] = []
    electricity = 0.0
    for meter_path, meter in model.meters.items():
        owner = meter.owner_path
        if owner != path and not path.startswith(owner + "/"):
            continue
        table = store.records(RecordKind.ENERGY, path_prefix=meter_path, start=start, end=end)
        kwh = float(pa.compute.sum(table.column("kwh")).as_py() or 0.0) if table.num_rows else 0.0
        meters.append((meter_path, meter.meter.medium, kwh, owner != path))
        if owner == path and meter.meter.medium == "electricity":
            electricity += kwh
    running_kw = info.equipment_class.power_kw.running
    return Utility(
        reporting_h=float(len(set(hours))),
        meters=meters,
        running_equivalent_h=electricity / running_kw if electricity and running_kw else None,
    )


def equipment_page(store: Store, model: Model, path: str, *, now: int, days: int) -> EquipmentPage:
    """Return the equipment page of ``path`` over the ``days`` before ``now``."""
    info = model.equipment[path]
    # The window ends just after ``now`` so that the newest record (the one that set now)
    # is inside it: the store's ranges exclude their end.
    start, end = now - days * DAY_US, now + 1
    frame = _intervals(store, path, start=start, end=end)
    timeline = state_timeline(
        frame["path"].to_list(),
        frame["state"].to_list(),
        frame["start"].dt.epoch("us").to_numpy(),
        frame["end"].dt.epoch("us").to_numpy(),
        window=(start, end),
    )
    trends, latest_by_tag = _trends(store, model, path, start=start, end=end)
    tags = []
    for definition in info.equipment_class.tags:
        value, when = latest_by_tag.get(f"{path}/{definition.name}", (None, None))
        tags.append(
            TagView(
                name=definition.name,
                unit=definition.unit,
                value=value,
                when=when,
                low=definition.min,
                high=definition.max,
            )
        )
    state = str(frame.sort("start")["state"][-1]) if frame.height else None
    utility = None
    if frame.height == 0:  # no states: a utility, judged by the hours it reported in
        hours = _reporting_hours(store, path, start=start, end=end)
        utility = _utility(store, model, info, hours, start=start, end=end)
    return EquipmentPage(
        info=info,
        window=(start, end),
        timeline=timeline,
        shares=state_shares(frame),
        trends=trends,
        tags=tags,
        work_orders=_work_orders(store, path),
        parts=_parts(store, model, info),
        state=state,
        utility=utility,
    )
