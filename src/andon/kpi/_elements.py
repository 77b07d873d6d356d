"""Additive ISO 22400-2 time elements and quantities per (element path, period).

This is the mergeable state of every KPI: seconds and counts that add up across periods and
across equipment, so that a line's OEE is computed from the summed elements of its machines
and a month from its days. The work is columnar: state intervals are split against each
site's timeline with binary searches (numpy), and summed with one Polars group-by; there is
no Python loop per interval or per count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl

from andon.errors import KpiError
from andon.kpi._calendar import Period, Timeline, build_timeline
from andon.model import Model
from andon.model.calendar import Zone
from andon.records import EquipmentState, MaintenanceKind, OrderEvent
from andon.store.kpi_queries import StateSelection

__all__ = [
    "COUNT_ELEMENTS",
    "ELEMENT_COLUMNS",
    "TIME_ELEMENTS",
    "ElementInputs",
    "KpiSettings",
    "compute_elements",
    "constraint_cells",
    "with_roles",
]

# State classes of the time model (small ints for columns).
RUN, SETUP, DELAY, DOWN, PDOWN, OFF, UNKNOWN = range(7)
STATE_CLASS: Final[dict[str, int]] = {
    EquipmentState.RUNNING.value: RUN,
    EquipmentState.SETUP.value: SETUP,
    EquipmentState.IDLE.value: DELAY,
    EquipmentState.STARVED.value: DELAY,
    EquipmentState.BLOCKED.value: DELAY,
    EquipmentState.UNPLANNED_DOWN.value: DOWN,
    EquipmentState.PLANNED_DOWN.value: PDOWN,
    EquipmentState.OFFLINE.value: OFF,
}

TIME_ELEMENTS: Final[tuple[str, ...]] = (
    "calendar_work_s",
    "pot_s",
    "break_s",
    "planned_down_s",
    "pdot_s",
    "pbt_s",
    "apt_s",
    "aust_s",
    "adet_s",
    "adot_s",
    "offline_s",
    "unknown_state_s",
    "no_state_s",
    "minor_down_s",
    "minor_delay_s",
    "outside_running_s",
    "tbf_s",
    "ttf_s",
    "ttr_s",
    "cmt_s",
    "pmt_s",
    "aoet_s",
    "pri_pq_s",
    "pri_gq_s",
    "pri_sq_s",
    "pri_rq_s",
    "energy_kwh",
    "scrap_cost",
)
"""Additive float elements (seconds; ``energy_kwh`` in kWh; ``scrap_cost`` in the enterprise
currency); see docs/kpi.md for each."""

COUNT_ELEMENTS: Final[tuple[str, ...]] = (
    "fe",
    "gq",
    "sq",
    "rq",
    "pq",
    "out_gq",
    "out_pq",
    "pq_outside",
    "pq_no_state",
    "pq_no_pri",
    "iq",
    "fpq",
)
"""Additive integer elements (units and events); ``iq`` and ``fpq`` are units inspected at
an equipment and those that passed every test the first time (first pass yield)."""

ELEMENT_COLUMNS: Final[tuple[str, ...]] = TIME_ELEMENTS + COUNT_ELEMENTS

KEY_COLUMNS: Final[tuple[str, ...]] = ("path", "site", "period", "period_start", "period_end")


@dataclass(frozen=True, slots=True, kw_only=True)
class KpiSettings:
    """Choices of the time model that a plant may want to set differently."""

    minor_stop_s: float = 300.0
    """Unplanned stops (down, idle, starved, blocked) shorter than this are minor stops, s."""
    stale_after_s: float | None = None
    """A state lasts at most this long after its record, s, even when no newer state record
    follows (for feeds that repeat the state periodically); ``None``: until the next state
    record or the equipment's newest record of any kind, whichever is earlier."""
    silent_after_s: float = 900.0
    """An equipment without any record for longer than this before the end of the range is
    flagged ``data.stopped`` ("no data from ... since ..."), s."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ElementInputs:
    """Records for one computation, as Polars frames with ``ts``/``start``/``end`` in UTC.

    ``intervals`` follows ``andon.store.STATE_INTERVAL_SCHEMA``; the others the record kinds
    of ``andon.records`` (``counts``: count; ``inspections``: inspection; ``maintenance``;
    ``orders``; ``energy``).
    """

    intervals: pl.DataFrame
    counts: pl.DataFrame | None = None
    inspections: pl.DataFrame | None = None
    maintenance: pl.DataFrame | None = None
    orders: pl.DataFrame | None = None
    energy: pl.DataFrame | None = None


@dataclass(slots=True)
class _Issues:
    frames: list[pl.DataFrame] = field(default_factory=list)

    def add(self, frame: pl.DataFrame) -> None:
        if frame.height:
            self.frames.append(frame.select(ISSUE_COLUMNS))


ISSUE_COLUMNS: Final[tuple[str, ...]] = ("code", "path", "start", "end", "quantity", "message")


def _issue_frame(
    code: str,
    *,
    path: Sequence[str],
    start: Sequence[int | None],
    end: Sequence[int | None],
    quantity: Sequence[float],
    message: Sequence[str],
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "code": [code] * len(path),
            "path": list(path),
            "start": pl.Series(list(start), dtype=pl.Int64),
            "end": pl.Series(list(end), dtype=pl.Int64),
            "quantity": pl.Series(list(quantity), dtype=pl.Float64),
            "message": list(message),
        }
    )


def _as_micros(frame: pl.DataFrame, *names: str) -> pl.DataFrame:
    exprs = []
    for name in names:
        dtype = frame.schema[name]
        if isinstance(dtype, pl.Datetime):
            exprs.append(pl.col(name).dt.epoch("us").alias(name))
        else:
            exprs.append(pl.col(name).cast(pl.Int64))
    return frame.with_columns(exprs)


@dataclass(frozen=True, slots=True)
class _Pieces:
    """Parts of intervals after splitting at the timeline, as numpy columns."""

    row: npt.NDArray[np.int64]
    seg: npt.NDArray[np.int64]
    start: npt.NDArray[np.int64]
    end: npt.NDArray[np.int64]


def _split(
    bounds: npt.NDArray[np.int64], start: npt.NDArray[np.int64], end: npt.NDArray[np.int64]
) -> _Pieces:
    """Split intervals at every timeline boundary: two binary searches and a repeat."""
    n = bounds.size - 1
    i0 = np.clip(np.searchsorted(bounds, start, side="right") - 1, 0, n)
    i1 = np.clip(np.searchsorted(bounds, end, side="left"), 0, n)
    count = np.maximum(i1 - i0, 0)
    row = np.repeat(np.arange(start.size, dtype=np.int64), count)
    offset = np.arange(row.size, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    seg = i0[row] + offset
    piece_start = np.maximum(start[row], bounds[seg])
    piece_end = np.minimum(end[row], bounds[seg + 1])
    keep = piece_end > piece_start
    return _Pieces(row[keep], seg[keep], piece_start[keep], piece_end[keep])


def _segment_of(bounds: npt.NDArray[np.int64], ts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Segment holding the instant just before ``ts`` (a count covers the time before it)."""
    seg = np.searchsorted(bounds, ts, side="left") - 1
    return np.where((seg >= 0) & (seg < bounds.size - 1), seg, -1)


_STATE_NAMES: Final = tuple(STATE_CLASS)
_STATE_LOOKUP: Final = np.asarray([STATE_CLASS[name] for name in _STATE_NAMES], np.int8)


def _path_index(path: pl.Series, paths: list[str]) -> npt.NDArray[np.int64]:
    """Index of each row's path in ``paths`` (-1 when absent), by runs: stores sort by path."""
    runs = path.rle()
    index = {p: i for i, p in enumerate(paths)}
    values = np.asarray([index.get(v, -1) for v in runs.struct.field("value").to_list()])
    return np.repeat(values.astype(np.int64), runs.struct.field("len").to_numpy())


def _state_class(state: pl.Series) -> npt.NDArray[np.int8]:
    """State class of each row; a value andon does not know is UNKNOWN."""
    codes = state.cast(pl.Enum(_STATE_NAMES), strict=False).to_physical()
    known = codes.is_not_null().to_numpy()
    result = np.full(state.len(), UNKNOWN, np.int8)
    result[known] = _STATE_LOOKUP[codes.drop_nulls().to_numpy()]
    return result


@dataclass(frozen=True, slots=True)
class _StateColumns:
    """Sound state intervals as numpy columns, sorted by (equipment index, start)."""

    pid: npt.NDArray[np.int64]
    cls: npt.NDArray[np.int8]
    start: npt.NDArray[np.int64]
    end: npt.NDArray[np.int64]
    minor: npt.NDArray[np.bool_]
    first: npt.NDArray[np.int64]
    """Start of the run of one state class each interval belongs to (a stop's real start)."""


def _state_columns(
    intervals: pl.DataFrame,
    paths: list[str],
    settings: KpiSettings,
    issues: _Issues,
    model: Model,
) -> _StateColumns:
    """Check, order and classify state intervals; cut overlaps so no time counts twice."""
    frame = _as_micros(intervals.select("path", "state", "start", "end"), "start", "end")
    frame = frame.with_columns(
        pid=pl.Series(_path_index(frame["path"], paths)),
        cls=pl.Series(_state_class(frame["state"])),
    )
    outside = frame.filter(pl.col("pid") < 0)
    if outside.height:
        _flag_unknown_paths(
            outside, kind="state", ts="start", paths=paths, issues=issues, model=model
        )
        frame = frame.filter(pl.col("pid") >= 0)
    unknown_states = frame.filter(pl.col("cls") == UNKNOWN)
    if unknown_states.height:
        issues.add(
            unknown_states.group_by("path", "state").agg(
                code=pl.lit("state.unknown_value"),
                start=pl.col("start").min(),
                end=pl.col("end").max(),
                quantity=((pl.col("end") - pl.col("start")).sum() / 1e6).cast(pl.Float64),
                message=pl.format(
                    "state {} is not an andon state; its time is kept apart as unknown",
                    pl.col("state").first(),
                ),
            )
        )
    frame = frame.select("pid", "cls", "start", "end")
    pid, start = frame["pid"].to_numpy(), frame["start"].to_numpy()
    ordered = bool(
        np.all((pid[1:] > pid[:-1]) | ((pid[1:] == pid[:-1]) & (start[1:] >= start[:-1])))
    )
    if not ordered:
        frame = frame.sort("pid", "start", "end")
        pid, start = frame["pid"].to_numpy(), frame["start"].to_numpy()
    cls = frame["cls"].to_numpy()
    end = frame["end"].to_numpy().copy()
    same = pid[1:] == pid[:-1]
    overlap = np.nonzero(same & (start[1:] < end[:-1]))[0]
    if overlap.size:
        issues.add(
            pl.DataFrame(
                {
                    "code": "state.overlap",
                    "path": [paths[i] for i in pid[overlap]],
                    "start": start[overlap + 1],
                    "end": end[overlap],
                    "quantity": (end[overlap] - start[overlap + 1]) / 1e6,
                    "message": "state intervals of one equipment overlap; the later one is "
                    "kept and the earlier one cut at its start, so no time counts twice",
                }
            )
        )
        end[overlap] = start[overlap + 1]
    keep = end > start
    pid, cls, start, end = pid[keep], cls[keep], start[keep], end[keep]
    # A stop re-reported (same class, touching) is one stop: class it by the run's length.
    new_run = np.ones(pid.size, np.bool_)
    new_run[1:] = (pid[1:] != pid[:-1]) | (cls[1:] != cls[:-1]) | (start[1:] != end[:-1])
    run = np.cumsum(new_run) - 1
    run_start = start[new_run]
    run_end = np.maximum.reduceat(end, np.nonzero(new_run)[0]) if pid.size else end
    minor = (run_end - run_start)[run] < int(settings.minor_stop_s * 1_000_000)
    return _StateColumns(pid, cls, start, end, minor, run_start[run])


_CODES: Final = 3 * 7 * 2 * 2  # zone x class x minor x first
_CODE = np.arange(_CODES)
_C_FIRST = _CODE % 2
_C_MINOR = (_CODE // 2) % 2
_C_CLS = (_CODE // 4) % 7
_C_ZONE = _CODE // 28


def _mask(selection: StateSelection) -> npt.NDArray[np.bool_]:
    result = np.ones(_CODES, np.bool_)
    if selection.zone is not None:
        result &= selection.zone == _C_ZONE
    if selection.not_zone is not None:
        result &= selection.not_zone != _C_ZONE
    if selection.classes is not None:
        result &= np.isin(_C_CLS, selection.classes)
    if selection.minor is not None:
        result &= int(selection.minor) == _C_MINOR
    return result


_W = Zone.WORK
STATE_SELECTIONS: Final[dict[str, StateSelection]] = {
    "apt_s": StateSelection(zone=_W, classes=(RUN,)),
    "aust_s": StateSelection(zone=_W, classes=(SETUP,)),
    "adet_s": StateSelection(zone=_W, classes=(DELAY,)),
    "adot_s": StateSelection(zone=_W, classes=(DOWN,)),
    "planned_down_s": StateSelection(zone=_W, classes=(PDOWN,)),
    "offline_s": StateSelection(zone=_W, classes=(OFF,)),
    "unknown_state_s": StateSelection(zone=_W, classes=(UNKNOWN,)),
    "minor_down_s": StateSelection(zone=_W, classes=(DOWN,), minor=True),
    "minor_delay_s": StateSelection(zone=_W, classes=(DELAY,), minor=True),
    "break_s": StateSelection(zone=Zone.BREAK),
    "outside_running_s": StateSelection(classes=(RUN,), not_zone=_W),
    "work_covered_s": StateSelection(zone=_W),
    "tbf_s": StateSelection(classes=(RUN,)),
    "ttf_s": StateSelection(classes=(RUN, SETUP, DELAY)),
    "ttr_s": StateSelection(classes=(DOWN,), minor=False),
}
"""Which state time each state element sums; one definition for numpy and for SQL."""
_STATE_ELEMENTS: Final[dict[str, npt.NDArray[np.bool_]]] = {
    name: _mask(selection) for name, selection in STATE_SELECTIONS.items()
}
_STATE_MATRIX: Final = np.stack(list(_STATE_ELEMENTS.values()), axis=1).astype(np.float64)
_FE_MASK: Final = _mask(StateSelection(classes=(DOWN,), minor=False)) & (_C_FIRST == 1)


def _site_elements(
    timeline: Timeline,
    *,
    site_paths: list[str],
    first_pid: int,
    states: _StateColumns,
    counts: pl.DataFrame | None,
    pri: _Pri,
    issues: _Issues,
) -> pl.DataFrame:
    """Elements of one site's equipment: split, code and sum with one bincount."""
    bounds, zone, seg_period = timeline.bounds, timeline.zone, timeline.period
    n_eq, n_per = len(site_paths), max(len(timeline.period_label), 1)
    lo, hi = np.searchsorted(states.pid, [first_pid, first_pid + n_eq])
    pieces = _split(bounds, states.start[lo:hi], states.end[lo:hi])
    # flat = ((equipment * periods + period) * codes) + zone*28 + class*4 + minor*2 + first,
    # folded so that each piece needs three gathers.
    per_interval = (states.pid[lo:hi] - first_pid) * (n_per * _CODES) + (
        states.cls[lo:hi].astype(np.int64) * 4 + states.minor[lo:hi].astype(np.int64) * 2
    )
    per_segment = np.where(seg_period >= 0, seg_period * _CODES + zone.astype(np.int64) * 28, -1)
    segment_code = per_segment[pieces.seg]
    flat = (
        per_interval[pieces.row] + segment_code + (pieces.start == states.first[lo:hi][pieces.row])
    )
    seconds = (pieces.end - pieces.start).astype(np.float64) / 1e6
    valid = segment_code >= 0
    if not valid.all():
        flat, seconds = flat[valid], seconds[valid]
    size = n_eq * n_per * _CODES
    dur = np.bincount(flat, weights=seconds, minlength=size).reshape(n_eq * n_per, _CODES)
    events = np.bincount(flat, minlength=size).reshape(n_eq * n_per, _CODES)
    sums: dict[str, npt.NDArray[Any]] = {}
    state_sums = dur @ _STATE_MATRIX
    for i, name in enumerate(_STATE_ELEMENTS):
        sums[name] = state_sums[:, i]
    sums["fe"] = events @ _FE_MASK.astype(np.int64)
    if counts is not None and counts.height:
        count_cols = _count_elements(
            counts,
            timeline,
            site_paths=site_paths,
            first_pid=first_pid,
            states=states,
            pri=pri,
            issues=issues,
        )
        for name, values in count_cols.items():
            sums[name] = values.reshape(n_eq * n_per)
    return site_frame(timeline, site_paths=site_paths, sums=sums, issues=issues)


def site_frame(
    timeline: Timeline,
    *,
    site_paths: list[str],
    sums: dict[str, npt.NDArray[Any]],
    issues: _Issues,
) -> pl.DataFrame:
    """Rows per (equipment, period of the timeline) from sums indexed ``equipment * periods +
    period``: the state elements (``work_covered_s`` among them), ``fe`` and count elements
    when there were counts; the calendar time and the uncovered time (flagged) added here."""
    zone, seg_period = timeline.zone, timeline.period
    n_eq, n_per = len(site_paths), max(len(timeline.period_label), 1)
    seg_len = (timeline.bounds[1:] - timeline.bounds[:-1]).astype(np.float64) / 1e6
    in_range = seg_period >= 0
    calendar = np.bincount(
        seg_period[in_range],
        weights=seg_len[in_range] * (zone[in_range] == Zone.WORK),
        minlength=n_per,
    )
    present = np.unique(seg_period[in_range])
    eq_index = np.repeat(np.arange(n_eq), present.size)
    per_index = np.tile(present, n_eq)
    rows = eq_index * n_per + per_index
    # Typed columns: a site without any period in the range (no shift at the weekend, for
    # the shift period) gives no rows, and empty columns must still be numbers.
    columns: dict[str, pl.Series] = {
        "path": pl.Series([site_paths[i] for i in eq_index], dtype=pl.String),
        "site": pl.Series([timeline.site] * rows.size, dtype=pl.String),
        "pidx": pl.Series(per_index, dtype=pl.Int64),
        "calendar_work_s": pl.Series(calendar[per_index], dtype=pl.Float64),
    }
    for name, values in sums.items():
        dtype = pl.Int64 if name in COUNT_ELEMENTS else pl.Float64
        columns[name] = pl.Series(values[rows], dtype=dtype)
    result = pl.DataFrame(columns).with_columns(
        no_state_s=(pl.col("calendar_work_s") - pl.col("work_covered_s")).clip(0.0)
    )
    _flag_no_state(result, timeline, issues)
    return result.drop("work_covered_s")


def _flag_no_state(result: pl.DataFrame, timeline: Timeline, issues: _Issues) -> None:
    gaps = result.filter(pl.col("no_state_s") > 0.5)
    if not gaps.height:
        return
    per_start = pl.Series(timeline.period_start)
    per_end = pl.Series(np.minimum(timeline.period_end, timeline.bounds[-1]))
    summary = gaps.group_by("path").agg(
        quantity=pl.col("no_state_s").sum(),
        first=pl.col("pidx").min(),
        last=pl.col("pidx").max(),
    )
    issues.add(
        summary.select(
            code=pl.lit("state.no_data"),
            path=pl.col("path"),
            start=pl.Series(per_start.gather(summary["first"]).to_numpy()),
            end=pl.Series(per_end.gather(summary["last"]).to_numpy()),
            quantity=pl.col("quantity"),
            message=pl.lit(
                "planned busy time without any state record; KPIs use the time with states "
                "and show the gap as no_state_s"
            ),
        )
    )


@dataclass(frozen=True, slots=True)
class _Pri:
    """Planned run time per item by equipment index and product index, with the fallback."""

    products: list[str]
    table: npt.NDArray[np.float64]
    """Shape (equipment, products + 1); the last column is for products the model lacks."""
    scrap_cost: npt.NDArray[np.float64]
    last_cell: npt.NDArray[np.bool_]


def _pri(model: Model, paths: list[str]) -> _Pri:
    """Planned run time per item: the routing step's cycle time, else the equipment's."""
    products = sorted(model.products)
    root = model.root
    table = np.full((len(paths), len(products) + 1), np.nan)
    for i, path in enumerate(paths):
        info = model.equipment[path]
        fallback = info.ideal_cycle_time_s
        table[i, :] = np.nan if fallback is None else fallback
        line_key = info.line_path.removeprefix(root + "/")
        for j, product_id in enumerate(products):
            for routing in model.products[product_id].routings:
                if routing.line.strip("/") != line_key:
                    continue
                for step in routing.steps:
                    if step.cell == info.cell.id and step.cycle_time_s is not None:
                        table[i, j] = step.cycle_time_s
    scrap = np.asarray([model.products[p].scrap_cost for p in products] + [0.0])
    last = np.asarray(
        [
            bool(info.line.cells) and info.line.cells[-1].id == info.cell.id
            for info in (model.equipment[p] for p in paths)
        ]
    )
    return _Pri(products, table, scrap, last)


def _count_frame(
    counts: pl.DataFrame | None, paths: list[str], pri: _Pri, issues: _Issues, model: Model
) -> pl.DataFrame | None:
    """Count records with equipment and product indexes; strays flagged."""
    if counts is None or not counts.height:
        return None
    frame = _as_micros(counts.select("ts", "path", "product", "good", "scrap", "rework"), "ts")
    frame = frame.with_columns(
        pid=pl.col("path").cast(pl.Enum(paths), strict=False).to_physical().cast(pl.Int64),
        prod=(
            pl.col("product")
            .cast(pl.Enum(pri.products), strict=False)
            .to_physical()
            .cast(pl.Int64)
            .fill_null(len(pri.products))
            if pri.products
            else pl.lit(0, pl.Int64)
        ),
    )
    outside = frame.filter(pl.col("pid").is_null())
    if outside.height:
        _flag_unknown_paths(outside, kind="count", ts="ts", paths=paths, issues=issues, model=model)
    return frame.filter(pl.col("pid").is_not_null())


def _count_elements(
    counts: pl.DataFrame,
    timeline: Timeline,
    *,
    site_paths: list[str],
    first_pid: int,
    states: _StateColumns,
    pri: _Pri,
    issues: _Issues,
) -> dict[str, npt.NDArray[Any]]:
    """Quantities per (equipment, period) of a site, with pri-weighted seconds."""
    n_eq, n_per = len(site_paths), max(len(timeline.period_label), 1)
    pid = counts["pid"].to_numpy()
    frame = counts.filter(pl.Series((pid >= first_pid) & (pid < first_pid + n_eq)))
    eq = frame["pid"].to_numpy() - first_pid
    ts = frame["ts"].to_numpy()
    prod = frame["prod"].to_numpy()
    good = frame["good"].to_numpy().astype(np.float64)
    scrap = frame["scrap"].to_numpy().astype(np.float64)
    rework = frame["rework"].to_numpy().astype(np.float64)
    qty = good + scrap + rework
    seg = _segment_of(timeline.bounds, ts)
    pidx = np.where(seg >= 0, timeline.period[np.clip(seg, 0, None)], -1)
    zone = np.where(seg >= 0, timeline.zone[np.clip(seg, 0, None)], Zone.OFF)
    has_state = ~_in_gaps(states, first_pid, n_eq, eq, ts - 1)
    pri_s = pri.table[eq + first_pid, prod]
    no_pri = np.isnan(pri_s)
    pri_s = np.where(no_pri, 0.0, pri_s)
    ok = has_state & (zone == Zone.WORK) & (pidx >= 0)
    last = pri.last_cell[eq + first_pid]
    _flag_counts(
        frame, qty=qty, no_state=~has_state & (pidx >= 0), no_pri=no_pri & ok, issues=issues
    )
    key = np.where(pidx >= 0, eq * n_per + pidx, 0)
    size = n_eq * n_per

    def total(weights: npt.NDArray[Any], where: npt.NDArray[np.bool_]) -> npt.NDArray[Any]:
        # Weights times the mask: no copies of the key column per element.
        return np.bincount(key, weights=weights * where, minlength=size)

    in_range = pidx >= 0
    return {
        "gq": total(good, ok).astype(np.int64),
        "sq": total(scrap, ok).astype(np.int64),
        "rq": total(rework, ok).astype(np.int64),
        "pq": total(qty, ok).astype(np.int64),
        "out_gq": total(good, ok & last).astype(np.int64),
        "out_pq": total(qty, ok & last).astype(np.int64),
        "pq_outside": total(qty, in_range & has_state & ~ok).astype(np.int64),
        "pq_no_state": total(qty, in_range & ~has_state).astype(np.int64),
        "pq_no_pri": total(qty, ok & no_pri).astype(np.int64),
        "pri_pq_s": total(pri_s * qty, ok),
        "pri_gq_s": total(pri_s * good, ok),
        "pri_sq_s": total(pri_s * scrap, ok),
        "pri_rq_s": total(pri_s * rework, ok),
        "scrap_cost": total(pri.scrap_cost[prod] * scrap, ok),
    }


def _in_gaps(
    states: _StateColumns,
    first_pid: int,
    n_eq: int,
    eq: npt.NDArray[np.int64],
    probe: npt.NDArray[np.int64],
) -> npt.NDArray[np.bool_]:
    """Whether each (equipment, instant) lies where no state interval covers it.

    The uncovered time of an equipment is before its first interval, after its last, and
    in the holes between intervals: few spans, so each probe is one binary search over a
    short array of (equipment, time) keys.
    """
    lo, hi = np.searchsorted(states.pid, [first_pid, first_pid + n_eq])
    pid = states.pid[lo:hi] - first_pid
    start, end = states.start[lo:hi], states.end[lo:hi]
    if pid.size == 0:
        return np.ones(eq.size, np.bool_)
    hole = np.nonzero((pid[1:] == pid[:-1]) & (end[:-1] < start[1:]))[0]
    firsts = np.searchsorted(pid, np.arange(n_eq), side="left")
    lasts = np.searchsorted(pid, np.arange(n_eq), side="right") - 1
    has = firsts <= lasts
    base = min(int(start.min()), int(probe.min()) if probe.size else 0) - 1
    span = np.int64(1) << np.int64(50)  # 35 years of microseconds per equipment
    top = span - 1
    first_start = start[np.clip(firsts, 0, pid.size - 1)] - base
    last_end = end[np.clip(lasts, 0, pid.size - 1)] - base
    gap_pid = np.concatenate([pid[hole], np.arange(n_eq), np.arange(n_eq)])
    gap_lo = np.concatenate(
        [end[hole] - base, np.zeros(n_eq, np.int64), np.where(has, last_end, top)]
    )
    gap_hi = np.concatenate(
        [start[hole + 1] - base, np.where(has, first_start, top), np.full(n_eq, top)]
    )
    keep = gap_hi > gap_lo
    key_lo = gap_pid[keep] * span + gap_lo[keep]
    key_hi = gap_pid[keep] * span + gap_hi[keep]
    order = np.argsort(key_lo)
    key_lo, key_hi = key_lo[order], key_hi[order]
    needle = eq * span + (probe - base)
    j = np.searchsorted(key_lo, needle, side="right") - 1
    inside: npt.NDArray[np.bool_] = (j >= 0) & (needle < key_hi[np.clip(j, 0, None)])
    return inside


def _flag_counts(
    frame: pl.DataFrame,
    *,
    qty: npt.NDArray[np.float64],
    no_state: npt.NDArray[np.bool_],
    no_pri: npt.NDArray[np.bool_],
    issues: _Issues,
) -> None:
    for flags, code, text in (
        (
            no_state,
            "count.no_state",
            (
                "count records without a state of the equipment; their units are left out of "
                "PQ and shown as pq_no_state"
            ),
        ),
        (
            no_pri,
            "count.no_cycle_time",
            (
                "no ideal cycle time for the product on this equipment (routing step or class); "
                "effectiveness leaves these units out and shows them as pq_no_pri"
            ),
        ),
    ):
        if not flags.any():
            continue
        sub = frame.filter(pl.Series(flags)).with_columns(qty=pl.Series(qty[flags]))
        issues.add(
            sub.group_by("path").agg(
                code=pl.lit(code),
                start=pl.col("ts").min(),
                end=pl.col("ts").max(),
                quantity=pl.col("qty").sum(),
                message=pl.format(
                    "{} {} (products {})",
                    pl.len(),
                    pl.lit(text),
                    pl.col("product").unique().sort().str.join(","),
                ),
            )
        )


@dataclass(frozen=True, slots=True)
class Plan:
    """What one computation covers: equipment (sorted, each site's together), their sites,
    planned run times per item and each site's timeline."""

    paths: list[str]
    site_of: list[str]
    pri: _Pri
    timelines: dict[str, Timeline]

    def site_paths(self, site_path: str) -> tuple[int, list[str]]:
        """Return the index of the site's first equipment and the site's equipment."""
        first = self.site_of.index(site_path)
        return first, [p for p, s in zip(self.paths, self.site_of, strict=True) if s == site_path]


def plan(
    model: Model,
    *,
    start: int,
    end: int,
    period: Period,
    custom_bounds: tuple[int, ...] = (),
    path_prefix: str | None = None,
    site_ranges: dict[str, tuple[int, int]] | None = None,
    issues: _Issues,
) -> Plan:
    """Return the equipment, cycle times and timelines of a computation; flag the calendar."""
    prefix = None if path_prefix is None else path_prefix.rstrip("/")
    paths = sorted(
        p for p in model.equipment if prefix is None or p == prefix or p.startswith(prefix + "/")
    )
    if not paths:
        msg = f"no equipment at or below {path_prefix!r} in the model"
        raise KpiError(msg)
    site_of = ["/".join(p.split("/")[:2]) for p in paths]
    timelines: dict[str, Timeline] = {}
    for site_path in sorted(set(site_of)):
        site_start, site_end = (site_ranges or {}).get(site_path, (start, end))
        timeline = build_timeline(
            model.sites[site_path],
            site_path,
            start=site_start,
            end=site_end,
            period=period,
            custom_bounds=custom_bounds,
        )
        timelines[site_path] = timeline
        for problem in timeline.problems:
            issues.add(
                _issue_frame(
                    problem.code,
                    path=[site_path],
                    start=[None],
                    end=[None],
                    quantity=[0.0],
                    message=[problem.message],
                )
            )
    return Plan(paths, site_of, _pri(model, paths), timelines)


def finish(
    model: Model,
    the_plan: Plan,
    frames: list[pl.DataFrame],
    *,
    inspections: pl.DataFrame | None = None,
    maintenance: pl.DataFrame | None,
    orders: pl.DataFrame | None,
    energy: pl.DataFrame | None,
    end: int,
    issues: _Issues,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Add inspection, maintenance, order and energy elements to the sites' frames; label
    and sum."""
    timelines = the_plan.timelines
    extra = [
        _inspection_elements(inspections, timelines, the_plan.paths, issues, model),
        _maintenance_elements(maintenance, timelines, the_plan.paths, end),
        _order_elements(orders, timelines, end, model),
        _energy_elements(energy, timelines, model, issues),
    ]
    elements = pl.concat(
        [*frames, *[e for e in extra if e is not None and e.height]], how="diagonal_relaxed"
    )
    elements = with_roles(_finish(elements, timelines), model)
    quality = (
        pl.concat(issues.frames, how="vertical_relaxed")
        if issues.frames
        else pl.DataFrame(schema=_ISSUE_SCHEMA)
    )
    return elements, _issue_times(quality)


def compute_elements(
    model: Model,
    inputs: ElementInputs,
    *,
    start: int,
    end: int,
    period: Period,
    settings: KpiSettings | None = None,
    custom_bounds: tuple[int, ...] = (),
    path_prefix: str | None = None,
    site_ranges: dict[str, tuple[int, int]] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (elements per path and period, data-quality issues) for ``[start, end)``.

    Times are UTC microseconds; ``site_ranges`` gives a site its own range (whole local days
    when the caller asked for dates). Intervals may reach before ``start`` and after ``end`` (the
    caller fetches a margin so a stop cut by the range is still classed by its full length);
    only the part inside the range is counted.
    """
    settings = settings or KpiSettings()
    issues = _Issues()
    the_plan = plan(
        model,
        start=start,
        end=end,
        period=period,
        custom_bounds=custom_bounds,
        path_prefix=path_prefix,
        site_ranges=site_ranges,
        issues=issues,
    )
    paths = the_plan.paths
    states = _state_columns(inputs.intervals, paths, settings, issues, model)
    counts = _count_frame(inputs.counts, paths, the_plan.pri, issues, model)
    frames: list[pl.DataFrame] = []
    for site_path, timeline in the_plan.timelines.items():
        first_pid, site_paths = the_plan.site_paths(site_path)
        frames.append(
            _site_elements(
                timeline,
                site_paths=site_paths,
                first_pid=first_pid,
                states=states,
                counts=counts,
                pri=the_plan.pri,
                issues=issues,
            )
        )
    return finish(
        model,
        the_plan,
        frames,
        inspections=inputs.inspections,
        maintenance=inputs.maintenance,
        orders=inputs.orders,
        energy=inputs.energy,
        end=end,
        issues=issues,
    )


_ISSUE_SCHEMA: Final = {
    "code": pl.String,
    "path": pl.String,
    "start": pl.Int64,
    "end": pl.Int64,
    "quantity": pl.Float64,
    "message": pl.String,
}


def _issue_times(frame: pl.DataFrame) -> pl.DataFrame:
    return (
        frame.cast(_ISSUE_SCHEMA)  # type: ignore[arg-type]
        .with_columns(
            pl.from_epoch(pl.col("start"), time_unit="us").dt.replace_time_zone("UTC"),
            pl.from_epoch(pl.col("end"), time_unit="us").dt.replace_time_zone("UTC"),
        )
        .sort("code", "path", "start", nulls_last=False)
    )


def _flag_unknown_paths(
    frame: pl.DataFrame, *, kind: str, ts: str, paths: list[str], issues: _Issues, model: Model
) -> None:
    unknown = frame.filter(~pl.col("path").is_in(paths) & ~pl.col("path").is_in(model.equipment))
    if unknown.height:
        issues.add(
            unknown.group_by("path").agg(
                code=pl.lit(f"{kind}.unknown_path"),
                start=pl.col(ts).min(),
                end=pl.col(ts).max(),
                quantity=pl.len().cast(pl.Float64),
                message=pl.lit(f"{kind} records name an equipment the model does not have"),
            )
        )


def _spread(
    frame: pl.DataFrame, timelines: dict[str, Timeline], value_columns: dict[str, pl.Expr]
) -> pl.DataFrame | None:
    """Split (path, start, end, flags...) intervals over the timeline of each path's site."""
    parts = []
    for site_path, timeline in timelines.items():
        sub = frame.filter(
            (pl.col("path") == site_path) | pl.col("path").str.starts_with(site_path + "/")
        )
        if not sub.height:
            continue
        pieces = _split(timeline.bounds, sub["start"].to_numpy(), sub["end"].to_numpy())
        part = sub[pieces.row].with_columns(
            d=pl.Series((pieces.end - pieces.start).astype(np.float64) / 1e6),
            pidx=pl.Series(timeline.period[pieces.seg]),
            site=pl.lit(site_path),
        )
        part = part.filter(pl.col("pidx") >= 0)
        parts.append(part.group_by("path", "site", "pidx").agg(**value_columns))
    return pl.concat(parts, how="vertical_relaxed") if parts else None


def constraint_cells(model: Model) -> dict[str, str]:
    """Return the constraint (bottleneck) cell of each line: line path -> cell path.

    The constraint is the cell of producing equipment with the lowest ideal rate: the sum
    over its equipment of one over the slowest ideal cycle time it has (its own or its
    class's, or a routing step's at that cell). Parallel machines of a cell add their rates;
    of cells as slow, the one nearest the end of the line. A line whose producing equipment
    has no cycle time at all has no constraint.
    """
    steps: dict[tuple[str, str], float] = {}
    root = model.root
    for product in model.products.values():
        for routing in product.routings:
            for step in routing.steps:
                if step.cycle_time_s is not None:
                    key = (f"{root}/{routing.line.strip('/')}", step.cell)
                    steps[key] = max(steps.get(key, 0.0), step.cycle_time_s)
    rates: dict[str, dict[str, float]] = {}
    order: dict[str, int] = {}
    for info in model.equipment.values():
        if not info.produces:
            continue
        times = [
            t for t in (info.ideal_cycle_time_s, steps.get((info.line_path, info.cell.id))) if t
        ]
        if not times:
            continue
        cells = rates.setdefault(info.line_path, {})
        cells[info.cell_path] = cells.get(info.cell_path, 0.0) + 1.0 / max(times)
        order[info.cell_path] = [c.id for c in info.line.cells].index(info.cell.id)
    return {line: min(cells, key=lambda c: (cells[c], -order[c])) for line, cells in rates.items()}


def with_roles(elements: pl.DataFrame, model: Model) -> pl.DataFrame:
    """Return elements with each equipment row's ``role`` and ``constraint`` from the model.

    ``constraint`` is true for equipment in its line's constraint cell
    (:func:`constraint_cells`): a line's OEE elements are its constraint's. Rows of other
    elements (a line's orders, an area's meter) have no role (null). The computation
    functions attach both; elements read from the stored day state get them through
    :func:`andon.kpi.rollup` or this function.
    """
    roles = {path: info.role.value for path, info in model.equipment.items()}
    constraint = constraint_cells(model)
    at_constraint = {
        path: constraint.get(info.line_path) == info.cell_path
        for path, info in model.equipment.items()
    }
    return elements.with_columns(
        role=pl.col("path").replace_strict(roles, default=None, return_dtype=pl.String),
        constraint=pl.col("path").replace_strict(
            at_constraint, default=None, return_dtype=pl.Boolean
        ),
    )


def _maintenance_elements(
    maintenance: pl.DataFrame | None,
    timelines: dict[str, Timeline],
    paths: list[str],
    end: int,
) -> pl.DataFrame | None:
    """Corrective and preventive maintenance time from work orders, started to closed."""
    if maintenance is None or not maintenance.height:
        return None
    frame = _as_micros(maintenance.select("ts", "work_order", "path", "kind", "event"), "ts")
    frame = frame.filter(pl.col("path").is_in(paths))
    orders = frame.group_by("work_order").agg(
        path=pl.col("path").first(),
        kind=pl.col("kind").first(),
        start=pl.coalesce(
            pl.col("ts").filter(pl.col("event") == "started").min(),
            pl.col("ts").filter(pl.col("event") == "opened").min(),
        ),
        end=pl.col("ts").filter(pl.col("event") == "closed").max().fill_null(end),
    )
    corrective = [MaintenanceKind.FAILURE.value, MaintenanceKind.CORRECTIVE.value]
    orders = orders.filter(pl.col("start").is_not_null() & (pl.col("end") > pl.col("start")))
    return _spread(
        orders,
        timelines,
        {
            "cmt_s": pl.col("d").filter(pl.col("kind").is_in(corrective)).sum(),
            "pmt_s": pl.col("d").filter(~pl.col("kind").is_in(corrective)).sum(),
        },
    )


def _order_elements(
    orders: pl.DataFrame | None, timelines: dict[str, Timeline], end: int, model: Model
) -> pl.DataFrame | None:
    """Actual order execution time (AOET): started to completed, less held time, by order path."""
    if orders is None or not orders.height:
        return None
    frame = _as_micros(orders.select("ts", "seq", "order_id", "event", "path"), "ts").sort(
        "order_id", "ts", "seq"
    )
    frame = frame.with_columns(
        path=pl.col("path").drop_nulls().first().over("order_id"),
        next_ts=pl.col("ts").shift(-1).over("order_id"),
    ).filter(pl.col("path").is_not_null() & pl.col("path").is_in(list(model.elements)))
    active = [OrderEvent.STARTED.value, OrderEvent.UNHELD.value]
    running = frame.filter(pl.col("event").is_in(active)).select(
        "path", start=pl.col("ts"), end=pl.col("next_ts").fill_null(end)
    )
    running = running.filter(pl.col("end") > pl.col("start"))
    return _spread(running, timelines, {"aoet_s": pl.col("d").sum()})


def _inspection_elements(
    inspections: pl.DataFrame | None,
    timelines: dict[str, Timeline],
    paths: list[str],
    issues: _Issues,
    model: Model,
) -> pl.DataFrame | None:
    """Units inspected at each equipment and those right the first time, by period.

    A unit (serial) counts once per equipment, in the period of its first inspection there
    (an instant: the segment holding it); it passed first time when the first result of
    every test it had there passed (ISO 22400-2 first pass yield: good first-pass units
    over inspected units). A retest after a failure does not make it a first-pass unit.
    """
    if inspections is None or not inspections.height:
        return None
    frame = _as_micros(inspections.select("ts", "seq", "serial", "path", "test", "passed"), "ts")
    outside = frame.filter(~pl.col("path").is_in(paths))
    if outside.height:
        _flag_unknown_paths(
            outside, kind="inspection", ts="ts", paths=paths, issues=issues, model=model
        )
    first_results = (
        frame.filter(pl.col("path").is_in(paths))
        .sort("ts", "seq")
        .group_by("path", "serial", "test", maintain_order=True)
        .agg(ts=pl.col("ts").first(), passed=pl.col("passed").first())
    )
    units = first_results.group_by("path", "serial").agg(
        ts=pl.col("ts").min(), first_pass=pl.col("passed").all()
    )
    parts = []
    for site_path, timeline in timelines.items():
        sub = units.filter(pl.col("path").str.starts_with(site_path + "/"))
        if not sub.height:
            continue
        ts = sub["ts"].to_numpy()
        seg = np.searchsorted(timeline.bounds, ts, side="right") - 1
        inside = (seg >= 0) & (seg < timeline.bounds.size - 1)
        pidx = np.where(inside, timeline.period[np.clip(seg, 0, timeline.period.size - 1)], -1)
        sub = sub.with_columns(pidx=pl.Series(pidx), site=pl.lit(site_path)).filter(
            pl.col("pidx") >= 0
        )
        parts.append(
            sub.group_by("path", "site", "pidx").agg(
                iq=pl.len().cast(pl.Int64), fpq=pl.col("first_pass").sum().cast(pl.Int64)
            )
        )
    return pl.concat(parts, how="vertical_relaxed") if parts else None


def _energy_elements(
    energy: pl.DataFrame | None,
    timelines: dict[str, Timeline],
    model: Model,
    issues: _Issues,
) -> pl.DataFrame | None:
    """Energy per meter owner and period; a reading covers the interval ending at its ``ts``."""
    if energy is None or not energy.height:
        return None
    owners = {path: info.owner_path for path, info in model.meters.items()}
    frame = _as_micros(energy.select("ts", "path", "kwh"), "ts")
    unknown = frame.filter(~pl.col("path").is_in(list(owners)))
    if unknown.height:
        issues.add(
            unknown.group_by("path").agg(
                code=pl.lit("energy.unknown_meter"),
                start=pl.col("ts").min(),
                end=pl.col("ts").max(),
                quantity=pl.col("kwh").sum(),
                message=pl.lit("energy records of a meter the model does not have"),
            )
        )
    frame = frame.filter(pl.col("path").is_in(list(owners))).with_columns(
        path=pl.col("path").replace_strict(owners, return_dtype=pl.String)
    )
    parts = []
    for site_path, timeline in timelines.items():
        sub = frame.filter(
            (pl.col("path") == site_path) | pl.col("path").str.starts_with(site_path + "/")
        )
        if not sub.height:
            continue
        seg = _segment_of(timeline.bounds, sub["ts"].to_numpy())
        pidx = np.where(seg >= 0, timeline.period[np.clip(seg, 0, None)], -1)
        sub = sub.with_columns(pidx=pl.Series(pidx), site=pl.lit(site_path)).filter(
            pl.col("pidx") >= 0
        )
        parts.append(sub.group_by("path", "site", "pidx").agg(energy_kwh=pl.col("kwh").sum()))
    return pl.concat(parts, how="vertical_relaxed") if parts else None


_LABEL_SCHEMA: Final = {
    "site": pl.String,
    "pidx": pl.Int64,
    "period": pl.String,
    "period_start": pl.Int64,
    "period_end": pl.Int64,
}


def _finish(elements: pl.DataFrame, timelines: dict[str, Timeline]) -> pl.DataFrame:
    """Sum rows per (path, period), fill every element, derive PDOT/POT/PBT, label periods."""
    for name in TIME_ELEMENTS:
        if name not in elements.columns:
            elements = elements.with_columns(pl.lit(0.0).alias(name))
    for name in COUNT_ELEMENTS:
        if name not in elements.columns:
            elements = elements.with_columns(pl.lit(0, pl.Int64).alias(name))
    elements = elements.with_columns(
        [pl.col(n).cast(pl.Float64).fill_null(0.0) for n in TIME_ELEMENTS]
        + [pl.col(n).cast(pl.Int64).fill_null(0) for n in COUNT_ELEMENTS]
    )
    elements = elements.group_by("path", "site", "pidx").agg(
        [pl.col(n).sum() for n in ELEMENT_COLUMNS]
    )
    elements = elements.with_columns(
        pdot_s=pl.col("break_s") + pl.col("planned_down_s"),
        pbt_s=pl.col("apt_s")
        + pl.col("aust_s")
        + pl.col("adet_s")
        + pl.col("adot_s")
        + pl.col("offline_s")
        + pl.col("unknown_state_s"),
    ).with_columns(pot_s=pl.col("pbt_s") + pl.col("pdot_s"))
    labels = pl.concat(
        [
            pl.DataFrame(
                {
                    "site": [site] * len(t.period_label),
                    "pidx": np.arange(len(t.period_label), dtype=np.int64),
                    "period": list(t.period_label),
                    "period_start": t.period_start,
                    "period_end": t.period_end,
                },
                schema=_LABEL_SCHEMA,
            )
            for site, t in timelines.items()
        ]
    )
    elements = elements.join(labels, on=["site", "pidx"], how="left").drop("pidx")
    elements = elements.with_columns(
        pl.from_epoch("period_start", time_unit="us").dt.replace_time_zone("UTC"),
        pl.from_epoch("period_end", time_unit="us").dt.replace_time_zone("UTC"),
    )
    return elements.select(*KEY_COLUMNS, *ELEMENT_COLUMNS).sort("path", "period_start")
