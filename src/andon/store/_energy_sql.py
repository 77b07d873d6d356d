"""SQL of the energy queries (:mod:`andon.store.energy_queries`), for DuckDB and PostgreSQL.

Months of meter readings and state records are summed per hour in the database engine, so
that one row per (meter, hour) and per (equipment, hour, state) leaves the store:

1. meter readings are checked against their neighbour (the previous reading of the same
   meter, by ``ts`` then ``seq``) and against the meter's 90th percentile: a negative energy (a
   counter that reset or rolled over upstream), a non-positive interval, a gap, an overlap,
   or a spike (a rollover differenced as a huge positive value) flag the reading; flagged
   readings are left out of the hourly sums and listed with what and where;
2. state intervals (each lasts until the next record of its equipment; the newest record
   before the range gives the state at its start) are clipped to the range and cut at hour
   boundaries;
3. tariffs and counts are summed per hour.

An hour is ``ts_us // 3600e6``; a meter reading belongs to the hour its interval ends in
(``(ts_us - 1) // 3600e6``), which for intervals of an hour or less that start on the hour
is the hour it measured. Placeholders are ``?`` in both dialects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from andon.store._kpi_sql import _div, _Params, _series, _table, _ts, _us
from andon.time import HOUR_US

__all__ = [
    "SPIKE_FACTOR",
    "count_hours_sql",
    "meter_flags_sql",
    "meter_hours_sql",
    "state_hours_sql",
    "tariff_hours_sql",
]

SPIKE_FACTOR: Final = 10.0
"""A reading above this many times its meter's 90th percentile power (and above 1 kWh) is a
spike: a machine's running power is within a few times its usual hours' power, a counter
rolled over and differenced is orders of magnitude off."""

_GAP: Final = 1.5
"""A reading more than this many intervals after the previous one leaves a gap."""
_OVERLAP: Final = 0.5
"""A reading less than this many intervals after the previous one overlaps it."""


def _checked(dialect: str, p: _Params, *, meters: Sequence[str], start: int, end: int) -> str:
    """Return the CTEs ``mmap``, ``rd`` and ``checked`` (one row per reading with its flag)."""
    mmap = _table(dialect, p, [("mpath", "text", meters), ("mid", "int", range(len(meters)))])
    us = _us(dialect, "e.ts")
    return f"""mmap AS ({mmap}),
rd AS (
    SELECT m.mid, {us} AS us, e.kwh, e.interval_s,
        lag({us}) OVER (PARTITION BY e.path ORDER BY e.ts, e.seq) AS prev_us
    FROM rec_energy e JOIN mmap m ON m.mpath = e.path
    WHERE e.ts >= {_ts(dialect, p(start))} AND e.ts < {_ts(dialect, p(end))}
),
med AS (
    SELECT mid, percentile_cont(0.9) WITHIN GROUP (ORDER BY kwh * 3600.0 / interval_s) AS kw
    FROM rd WHERE kwh >= 0 AND interval_s > 0 GROUP BY mid
),
checked AS (
    SELECT rd.mid, rd.us, rd.kwh, rd.interval_s, rd.prev_us,
        CASE
            WHEN rd.interval_s <= 0 THEN 'negative_interval'
            WHEN rd.kwh < 0 THEN 'counter_reset'
            WHEN rd.kwh > 1.0 AND rd.kwh * 3600.0 / rd.interval_s
                > {SPIKE_FACTOR} * greatest(med.kw, 0.001) THEN 'counter_rollover'
            WHEN rd.prev_us IS NOT NULL
                AND rd.us - rd.prev_us > {_GAP} * rd.interval_s * 1000000 THEN 'gap'
            WHEN rd.prev_us IS NOT NULL
                AND rd.us - rd.prev_us < {_OVERLAP} * rd.interval_s * 1000000 THEN 'overlap'
            ELSE NULL
        END AS flag
    FROM rd LEFT JOIN med ON med.mid = rd.mid
)"""


def meter_hours_sql(
    dialect: str, *, meters: Sequence[str], start: int, end: int
) -> tuple[str, list[Any]]:
    """Return the statement of per meter and hour sums of the readings that passed the checks.

    Columns: ``meter`` (position in ``meters``), ``hour``, ``kwh``, ``seconds`` (metered
    seconds summed), ``readings``. A reading after a gap counts (only the missing time is
    flagged); a reading flagged otherwise is left out.
    """
    p = _Params()
    ctes = _checked(dialect, p, meters=meters, start=start, end=end)
    hour = _div(dialect, "us - 1", HOUR_US)
    sql = f"""WITH {ctes}
SELECT mid AS meter, {hour} AS hour, sum(kwh) AS kwh, sum(interval_s) AS seconds,
    count(*) AS readings
FROM checked WHERE flag IS NULL OR flag = 'gap'
GROUP BY mid, {hour}"""
    return sql, p.values


def meter_flags_sql(
    dialect: str, *, meters: Sequence[str], start: int, end: int
) -> tuple[str, list[Any]]:
    """Return the statement of the flagged readings.

    Columns: ``meter``, ``ts_us``, ``flag``, ``kwh``, ``interval_s``, ``prev_us``.
    """
    p = _Params()
    ctes = _checked(dialect, p, meters=meters, start=start, end=end)
    sql = f"""WITH {ctes}
SELECT mid AS meter, us AS ts_us, flag, kwh, interval_s, prev_us
FROM checked WHERE flag IS NOT NULL
ORDER BY mid, us"""
    return sql, p.values


def state_hours_sql(
    dialect: str, *, equipment: Sequence[str], start: int, end: int
) -> tuple[str, list[Any]]:
    """Return the statement of per equipment, hour, state and reason seconds in the range.

    Columns: ``equipment`` (position in ``equipment``), ``hour``, ``state``, ``reason``
    (empty string for none), ``seconds``, ``starts`` (intervals of that state entered in
    the hour). Time before an equipment's first state record is not listed.
    """
    p = _Params()
    eqmap = _table(
        dialect, p, [("epath", "text", equipment), ("eid", "int", range(len(equipment)))]
    )
    us = _us(dialect, "s.ts")
    lo, hi = int(start), int(end)
    hours = _series(dialect, _div(dialect, "a", HOUR_US), _div(dialect, "b - 1", HOUR_US))
    sql = f"""WITH eqmap AS ({eqmap}),
st AS (
    SELECT m.eid, {us} AS a0,
        lead({us}) OVER (PARTITION BY s.path ORDER BY s.ts, s.seq) AS b0,
        s.state, coalesce(s.reason, '') AS reason
    FROM rec_state s JOIN eqmap m ON m.epath = s.path
    WHERE s.ts < {_ts(dialect, p(hi))}
),
clipped AS (
    SELECT eid, a0, greatest(a0, {lo}::BIGINT) AS a,
        least(coalesce(b0, {hi}::BIGINT), {hi}::BIGINT) AS b, state, reason
    FROM st WHERE coalesce(b0, {hi}::BIGINT) > {lo}::BIGINT
),
pieces AS (
    SELECT eid, a0, a, b, state, reason, {hours} AS h FROM clipped WHERE b > a
)
SELECT eid AS equipment, h AS hour, state, reason,
    sum(least(b, (h + 1) * {HOUR_US}) - greatest(a, h * {HOUR_US})) / 1000000.0 AS seconds,
    sum(CASE WHEN a0 >= h * {HOUR_US} AND a0 < (h + 1) * {HOUR_US} THEN 1 ELSE 0 END)
        AS starts
FROM pieces
GROUP BY eid, h, state, reason"""
    return sql, p.values


def tariff_hours_sql(
    dialect: str, *, sites: Sequence[str], start: int, end: int
) -> tuple[str, list[Any]]:
    """Return the statement of each site's tariff per hour (the mean of the hour's records).

    Columns: ``site`` (position in ``sites``), ``hour``, ``price_per_kwh``,
    ``gco2e_per_kwh``, ``records``.
    """
    p = _Params()
    smap = _table(dialect, p, [("spath", "text", sites), ("sid", "int", range(len(sites)))])
    hour = _div(dialect, _us(dialect, "t.ts"), HOUR_US)
    sql = f"""WITH smap AS ({smap})
SELECT m.sid AS site, {hour} AS hour, avg(t.price_per_kwh) AS price_per_kwh,
    avg(t.gco2e_per_kwh) AS gco2e_per_kwh, count(*) AS records
FROM rec_tariff t JOIN smap m ON m.spath = t.site
WHERE t.ts >= {_ts(dialect, p(start))} AND t.ts < {_ts(dialect, p(end))}
GROUP BY m.sid, {hour}"""
    return sql, p.values


def count_hours_sql(
    dialect: str, *, equipment: Sequence[str], start: int, end: int
) -> tuple[str, list[Any]]:
    """Return the statement of per equipment, product and hour counts.

    Columns: ``equipment`` (position in ``equipment``), ``product``, ``hour``, ``good``,
    ``scrap``. A count belongs to the hour before its ``ts`` (it counts what was made up to
    then).
    """
    p = _Params()
    eqmap = _table(
        dialect, p, [("epath", "text", equipment), ("eid", "int", range(len(equipment)))]
    )
    hour = _div(dialect, f"{_us(dialect, 'c.ts')} - 1", HOUR_US)
    sql = f"""WITH eqmap AS ({eqmap})
SELECT m.eid AS equipment, c.product, {hour} AS hour,
    sum(c.good)::BIGINT AS good, sum(c.scrap)::BIGINT AS scrap
FROM rec_count c JOIN eqmap m ON m.epath = c.path
WHERE c.ts > {_ts(dialect, p(start))} AND c.ts <= {_ts(dialect, p(end))}
GROUP BY m.eid, c.product, {hour}"""
    return sql, p.values
