"""SQL of the condition queries (:mod:`andon.store.queries`), for DuckDB and PostgreSQL.

Months of condition samples are summed per tag and time step in the database engine, so
that one row per tag and step leaves the store instead of one per sample:

1. each equipment's state intervals from its state records in the range (each lasts until
   the next record of its equipment, by ``ts`` then ``seq``); the intervals in a state
   other than the counted one are cut into pieces by step, for an equality join;
2. every good, valued sample of a listed tag is joined to the piece of its equipment and
   step that holds it, if any: a sample in no piece was taken while the equipment was in
   the counted state (or before its first state record in the range) and counts towards
   the step's sum; every sample counts towards the step's newest sample time.

Placeholders are ``?`` in both dialects (the PostgreSQL store translates them for psycopg).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from andon.store._kpi_sql import _div, _Params, _series, _table, _ts, _us

__all__ = ["stopped_steps_sql", "tag_step_sums_sql"]


def _pieces(
    dialect: str,
    p: _Params,
    *,
    equipment: Sequence[str],
    start: int,
    end: int,
    step_us: int,
    counted_state: str,
) -> str:
    """Return the CTEs ``eqmap``, ``st``, ``stopped`` and ``pieces`` (equipment ``eid``,
    step ``h``, interval ``[a, b)`` in µs) of the intervals outside the counted state."""
    eqmap = _table(
        dialect, p, [("epath", "text", equipment), ("eid", "int", range(len(equipment)))]
    )
    us = _us(dialect, "s.ts")
    steps = _series(dialect, _div(dialect, "a", step_us), _div(dialect, "b - 1", step_us))
    return f"""eqmap AS ({eqmap}),
st AS (
    SELECT m.eid, {us} AS a,
        lead({us}) OVER (PARTITION BY s.path ORDER BY s.ts, s.seq) AS b, s.state
    FROM rec_state s JOIN eqmap m ON m.epath = s.path
    WHERE s.ts >= {_ts(dialect, p(start))} AND s.ts < {_ts(dialect, p(end))}
),
stopped AS (
    SELECT eid, a, coalesce(b, {p(end)}::BIGINT) AS b FROM st WHERE state <> {p(counted_state)}
),
pieces AS (
    SELECT eid, a, b, {steps} AS h
    FROM stopped WHERE b > a
)"""


def tag_step_sums_sql(
    dialect: str,
    *,
    tags: Sequence[str],
    tag_equipment: Sequence[int],
    equipment: Sequence[str],
    start: int,
    end: int,
    step_us: int,
    counted_state: str | None,
) -> tuple[str, list[Any]]:
    """Return the statement of per tag and step sums, and its parameters.

    Columns: ``tag`` (position in ``tags``), ``step`` (``ts // step_us``), ``n`` and
    ``total`` (count and sum of the values counted: all, or with ``counted_state`` only
    those taken in that state) and ``last_us`` (the newest sample of the step, any state).
    """
    p = _Params()
    us = _us(dialect, "s.ts")
    tagmap = _table(
        dialect,
        p,
        [("tpath", "text", tags), ("tid", "int", range(len(tags))), ("teid", "int", tag_equipment)],
    )
    step = _div(dialect, us, step_us)
    if counted_state is None:
        ctes = f"WITH tagmap AS ({tagmap})"
        join, counted = "", "TRUE"
    else:
        pieces = _pieces(
            dialect,
            p,
            equipment=equipment,
            start=start,
            end=end,
            step_us=step_us,
            counted_state=counted_state,
        )
        ctes = f"WITH tagmap AS ({tagmap}),\n{pieces}"
        join = (
            f"LEFT JOIN pieces p ON p.eid = t.teid AND p.h = {step} AND {us} >= p.a AND {us} < p.b"
        )
        counted = "p.eid IS NULL"
    sql = f"""{ctes}
SELECT t.tid AS tag, {step} AS step,
    count(*) FILTER (WHERE {counted}) AS n,
    sum(s.value) FILTER (WHERE {counted}) AS total,
    max({us}) AS last_us
FROM rec_sample s JOIN tagmap t ON t.tpath = s.path
{join}
WHERE s.ts >= {_ts(dialect, p(start))} AND s.ts < {_ts(dialect, p(end))}
    AND s.quality <> 'bad' AND s.value IS NOT NULL
GROUP BY t.tid, {step}"""
    return sql, p.values


def stopped_steps_sql(
    dialect: str,
    *,
    equipment: Sequence[str],
    start: int,
    end: int,
    step_us: int,
    counted_state: str,
) -> tuple[str, list[Any]]:
    """Return the statement of the steps whose start finds the equipment in another state.

    Columns: ``equipment`` (position in ``equipment``) and ``step``; a step not listed
    starts in the counted state or before the equipment's first state record in the range.
    """
    p = _Params()
    pieces = _pieces(
        dialect,
        p,
        equipment=equipment,
        start=start,
        end=end,
        step_us=step_us,
        counted_state=counted_state,
    )
    sql = f"""WITH {pieces}
SELECT DISTINCT eid AS equipment, h AS step FROM pieces WHERE a <= h * {int(step_us)}"""
    return sql, p.values
