"""What a released engineering change was followed by: yield and cycle time, before and after.

A change decision (``release_engineering_change``) names the lines and equipment it touches
in its evidence. Once it is released (approved), :func:`change_outcome` reads the store over
two windows of the same length, one ending and one starting at the release:

- **yield** on the touched lines: units inspected there in the window, and those of them
  whose every test in the window passed (a unit that failed once and passed a retest
  counts as not passed);
- **cycle time** at the touched equipment: the mean of the units' ``cycle_time_s`` records
  (one per unit and station, as the cells and the simulator write them).

What it can attribute: that yield and cycle time on exactly these lines and equipment were
what they were before and after the release. What it cannot: that the change caused the
difference. Product mix, other changes, wear, maintenance and staffing move the same
figures; the outcome says so in its detail. ``success`` means "not worse after": yield did
not fall and cycle time did not grow, where each was measured on both sides. No money is
attributed (``realised_value`` is ``None``): the change's cost is an estimate of its own,
and a before/after difference is not its saving.

>>> from andon.proposals import Action
>>> from andon.store import open_store
>>> change_outcome(open_store("duckdb://:memory:"),
...                action=Action(kind="release_engineering_change", subject="acme/lyon"),
...                evidence={"lines": ["acme/lyon/assembly/a1"], "equipment": []},
...                released_at=0, now=3_600_000_000) is None  # an hour after: too early
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from andon.change.decision import RELEASE_CHANGE
from andon.errors import InputError, Problem
from andon.proposals import Action, Outcome
from andon.records import RecordKind
from andon.store import Store

__all__ = [
    "ATTRIBUTION",
    "CYCLE_TIME_PARAMETER",
    "ChangeOutcomeError",
    "WindowFigures",
    "change_outcome",
    "decision_outcome",
    "release_time",
    "touched",
    "window_figures",
]

_DAY_US: Final = 86_400_000_000

CYCLE_TIME_PARAMETER: Final = "cycle_time_s"
"""The unit-record parameter that holds a unit's cycle time at a station, in seconds."""

ATTRIBUTION: Final = (
    "before/after on the touched lines and equipment, windows of equal length either side "
    "of the release; not causal: product mix, other changes, wear, maintenance and staffing "
    "move the same figures"
)
"""What the outcome can and cannot say, recorded with every outcome."""


class ChangeOutcomeError(InputError):
    """The outcome of a change was asked of a decision that is not a released engineering
    change (another app's decision, or one not approved)."""

    code = "change.outcome"


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowFigures:
    """Yield and cycle time on the touched lines and equipment in ``[start_us, end_us)``."""

    start_us: int
    end_us: int
    inspected_units: int
    passed_units: int
    cycle_records: int
    cycle_time_s: float | None
    """The mean cycle time over ``cycle_records`` unit records, ``None`` without any."""

    @property
    def yield_share(self) -> float | None:
        """Passed over inspected units, ``None`` when no unit was inspected."""
        return self.passed_units / self.inspected_units if self.inspected_units else None

    def to_json(self) -> dict[str, Any]:
        """Return the figures as a JSON object."""
        return {
            "start_us": self.start_us,
            "end_us": self.end_us,
            "inspected_units": self.inspected_units,
            "passed_units": self.passed_units,
            "yield": self.yield_share,
            "cycle_records": self.cycle_records,
            "cycle_time_s": self.cycle_time_s,
        }


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(sorted({str(v) for v in value if isinstance(v, str) and v}))


def _within(paths: Iterable[str], site: str | None) -> tuple[str, ...]:
    if not site:
        return tuple(paths)
    return tuple(p for p in paths if p == site or p.startswith(site.rstrip("/") + "/"))


def _roots(paths: Sequence[str]) -> list[str]:
    """The paths not below another of them (so that no record is read twice)."""
    return [p for p in paths if not any(p != q and p.startswith(q + "/") for q in paths)]


def touched(evidence: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the lines and equipment a change decision's evidence names at its site.

    A change over several sites is one decision per site; each decision's evidence holds
    the whole impact and its ``site``, and measures only what lies there.
    """
    site = evidence.get("site")
    where = site if isinstance(site, str) else None
    return (
        _within(_strings(evidence.get("lines")), where),
        _within(_strings(evidence.get("equipment")), where),
    )


def _read(
    store: Store, kind: RecordKind, prefixes: Sequence[str], start: int, end: int
) -> pa.Table:
    parts = [
        store.records(kind, path_prefix=prefix, start=start, end=end) for prefix in _roots(prefixes)
    ]
    return pa.concat_tables(parts) if parts else pa.table({})


def window_figures(
    store: Store, *, lines: Sequence[str], equipment: Sequence[str], start_us: int, end_us: int
) -> WindowFigures:
    """Return yield on ``lines`` and cycle time at ``equipment`` (at ``lines`` when it names
    none) in ``[start_us, end_us)``."""
    inspected = passed = 0
    tests = _read(store, RecordKind.INSPECTION, lines, start_us, end_us)
    if tests.num_rows:
        failed = tests.filter(pc.invert(pc.fill_null(tests.column("passed"), fill_value=False)))
        every = set(tests.column("serial").to_pylist())
        inspected = len(every)
        passed = len(every - set(failed.column("serial").to_pylist()))
    cycle_records, cycle = 0, None
    made = _read(store, RecordKind.UNIT, equipment or lines, start_us, end_us)
    if made.num_rows:
        times = made.filter(pc.equal(made.column("parameter"), CYCLE_TIME_PARAMETER))
        values = pc.drop_null(times.column("value"))
        cycle_records = len(values)
        if cycle_records:
            cycle = float(pc.mean(values).as_py())
    return WindowFigures(
        start_us=start_us,
        end_us=end_us,
        inspected_units=inspected,
        passed_units=passed,
        cycle_records=cycle_records,
        cycle_time_s=cycle,
    )


RELEASED: Final = frozenset({"approved", "executed"})
"""The decision statuses of a released change."""


def release_time(*, kind: str, status: str, decided_at: int | None) -> int:
    """Return when a change decision was released (approved), or raise
    :class:`ChangeOutcomeError` for another decision or a change not released."""
    if kind != RELEASE_CHANGE.name:
        problem = Problem(
            code="change.not_a_change",
            message=f"its action is {kind!r}",
            expected=RELEASE_CHANGE.name,
        )
    elif str(status) not in RELEASED or decided_at is None:
        problem = Problem(
            code="change.not_released",
            message=f"the change is {status}",
            expected="approved or executed",
        )
    else:
        return decided_at
    raise ChangeOutcomeError("no outcome of a change that was not released", [problem])


def _not_worse(before: WindowFigures, after: WindowFigures) -> bool | None:
    judged: list[bool] = []
    if before.yield_share is not None and after.yield_share is not None:
        judged.append(after.yield_share >= before.yield_share)
    if before.cycle_time_s is not None and after.cycle_time_s is not None:
        judged.append(after.cycle_time_s <= before.cycle_time_s)
    return all(judged) if judged else None


def change_outcome(
    store: Store,
    *,
    action: Action,
    evidence: Mapping[str, Any],
    released_at: int,
    now: int,
    window_days: float = 7.0,
    min_days: float = 1.0,
) -> Outcome | None:
    """Return the outcome of a released change at ``now``, or ``None`` before ``min_days``.

    The windows are ``window_days`` long, or as long as has passed since the release when
    that is shorter. Raise :class:`ChangeOutcomeError` when ``action`` is not a change's.
    """
    if action.kind != RELEASE_CHANGE.name:
        release_time(kind=action.kind, status="", decided_at=None)
    span = min(now - released_at, int(window_days * _DAY_US))
    if span < min_days * _DAY_US:
        return None
    lines, equipment = touched(evidence)
    before = window_figures(
        store, lines=lines, equipment=equipment, start_us=released_at - span, end_us=released_at
    )
    after = window_figures(
        store, lines=lines, equipment=equipment, start_us=released_at, end_us=released_at + span
    )
    change: dict[str, float | None] = {
        "yield_change": None
        if before.yield_share is None or after.yield_share is None
        else after.yield_share - before.yield_share,
        "cycle_time_change_s": None
        if before.cycle_time_s is None or after.cycle_time_s is None
        else after.cycle_time_s - before.cycle_time_s,
    }
    return Outcome(
        measured_at=released_at + span,
        realised_value=None,
        success=_not_worse(before, after),
        detail={
            "released_at": released_at,
            "span_days": span / _DAY_US,
            "lines": list(lines),
            "equipment": list(equipment),
            "before": before.to_json(),
            "after": after.to_json(),
            **change,
            "attribution": ATTRIBUTION,
        },
    )


def decision_outcome(
    store: Store, record: Any, *, now: int, window_days: float = 7.0
) -> Outcome | None:
    """Return the outcome at ``now`` of a change decision ``record`` (a
    :class:`andon.decisions.DecisionRecord`), or ``None`` under a day after its release.

    Raise :class:`ChangeOutcomeError` when the record is not a released change.
    """
    released = release_time(
        kind=record.action.kind, status=str(record.status.value), decided_at=record.decided_at
    )
    return change_outcome(
        store,
        action=record.action,
        evidence=record.evidence,
        released_at=released,
        now=now,
        window_days=window_days,
    )
