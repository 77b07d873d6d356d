"""SQL of the KPI layer's queries (:mod:`andon.store.kpi_queries`), for DuckDB and PostgreSQL.

One builder per query, shared by both stores; only the dialect's spelling differs. The
element statement does in the database engine what :mod:`andon.kpi` does in numpy on
fetched intervals, with the same semantics, so that only one row per (equipment, period)
leaves the store:

1. state intervals from the state records (each lasts until the next record of its
   equipment, by ``ts`` then ``seq``), clipped to the fetch range;
2. runs of one state class, for the minor-stop threshold and the failure events. One window
   pass gives each interval its neighbours; an interval whose neighbours are of another class
   is a run by itself (the common case), and only the others go through the run windows;
3. each interval is placed on its site's timeline (shift, break, period segments computed by
   the caller and sent as arrays) by an equality join on an hour bucket, and cut where it
   crosses a segment boundary;
4. conditional sums per (equipment, period) of integer microseconds (summed as doubles,
   which is exact below 2**53 us, about 285 years) and of count quantities.

Placeholders are ``?`` in both dialects (the PostgreSQL store translates them for psycopg).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from andon.store.kpi_queries import COUNT_SUMS, ElementQuery, StateSelection
from andon.time import HOUR_US

__all__ = [
    "BUCKET_US",
    "POSTGRES_SESSION",
    "element_sums_sql",
    "flagged_counts_sql",
    "newest_records_sql",
    "selection_sql",
    "unknown_records_sql",
]

BUCKET_US: Final = HOUR_US
"""Width of the hour buckets that turn the segment lookup into an equality join."""


POSTGRES_SESSION: Final[tuple[str, ...]] = (
    "SET LOCAL jit = off",
    "SET LOCAL work_mem = '512MB'",
    "SET LOCAL enable_mergejoin = off",
)
"""Settings for the element statements' transaction on PostgreSQL: its JIT compiles them
for longer than they run, its default 4 MB of sort memory spills the interval sort to disk,
and it cannot see how many rows the array parameters hold, so it picks merge joins that
sort millions of rows to join them with a few thousand."""


def selection_sql(selection: StateSelection) -> str:
    """Return the condition on the ``zone``, ``cls`` and ``minor`` columns of a piece."""
    parts = ["TRUE"]
    if selection.zone is not None:
        parts.append(f"zone = {int(selection.zone)}")
    if selection.not_zone is not None:
        parts.append(f"zone <> {int(selection.not_zone)}")
    if selection.classes is not None:
        parts.append(f"cls IN ({', '.join(str(int(c)) for c in selection.classes)})")
    if selection.minor is not None:
        parts.append("minor" if selection.minor else "NOT minor")
    return " AND ".join(parts)


@dataclass(slots=True)
class _Params:
    values: list[Any] = field(default_factory=list)

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return "?"


def _us(dialect: str, column: str) -> str:
    if dialect == "postgres":
        # date_part() is a double: within 0.13 us of the instant until about 2255, so
        # rounding to int8 gives the exact microsecond, and it costs far less than the
        # numeric that extract() returns.
        return f"(date_part('epoch', {column}) * 1000000)::int8"
    return f"epoch_us({column})"


def _ts(dialect: str, param: str) -> str:
    if dialect == "postgres":
        return f"(timestamptz 'epoch' + {param}::int8 * interval '1 microsecond')"
    return f"make_timestamptz({param}::BIGINT)"


def _table(dialect: str, p: _Params, columns: Sequence[tuple[str, str, Sequence[Any]]]) -> str:
    """Return a SELECT of parallel arrays as rows, one parameter per array."""
    if dialect == "postgres":
        pg_types = {"text": "text[]", "int": "int8[]", "float": "float8[]", "bool": "bool[]"}
        args = ", ".join(f"{p(list(values))}::{pg_types[kind]}" for _, kind, values in columns)
        names = ", ".join(name for name, _, _ in columns)
        return f"SELECT * FROM unnest({args}) AS t({names})"
    duck_types = {"text": "VARCHAR[]", "int": "BIGINT[]", "float": "DOUBLE[]", "bool": "BOOLEAN[]"}
    selects = ", ".join(
        f"unnest({p(list(values))}::{duck_types[kind]}) AS {name}" for name, kind, values in columns
    )
    return f"SELECT {selects}"


def _array(dialect: str, kind: str) -> str:
    if dialect == "postgres":
        return {"text": "text[]", "int": "int8[]", "float": "float8[]", "bool": "bool[]"}[kind]
    return {"text": "VARCHAR[]", "int": "BIGINT[]", "float": "DOUBLE[]", "bool": "BOOLEAN[]"}[kind]


def _position(dialect: str, array: str, value: str) -> str:
    """1-based position of ``value`` in a text array parameter, 0 or NULL when absent."""
    if dialect == "postgres":
        return f"array_position({array}::text[], {value})"
    return f"list_position({array}::VARCHAR[], {value})"


def _div(dialect: str, a: str, b: int) -> str:
    # Both operands are non-negative: truncation is the floor.
    return f"({a}) / {b}" if dialect == "postgres" else f"({a}) // {b}"


def _series(dialect: str, a: str, b: str) -> str:
    """A set of integers from ``a`` to ``b`` inclusive, in the SELECT list."""
    if dialect == "postgres":
        return f"generate_series({a}, {b})"
    return f"unnest(range({a}, {b} + 1))"


def _common(q: ElementQuery, dialect: str, p: _Params) -> str:
    """CTEs shared by the element statement and the flagged-count statement."""
    cls_case = " ".join(
        f"WHEN '{name}' THEN {int(code)}" for name, code in sorted(q.state_classes.items())
    )
    lo, hi = int(q.lo), int(q.hi)
    work = int(q.work_zone)
    bucket = _div(dialect, f"g.b_lo - {lo}", BUCKET_US)
    bucket_end = _div(dialect, f"g.b_hi - 1 - {lo}", BUCKET_US)
    eq = _table(
        dialect,
        p,
        [
            ("path", "text", q.paths),
            ("pid", "int", range(len(q.paths))),
            ("sid", "int", q.site_of),
            ("last_cell", "bool", q.last_cell),
            ("untl", "int", q.until if q.until is not None else [hi] * len(q.paths)),
        ],
    )
    seg = _table(
        dialect,
        p,
        [
            ("sid", "int", q.seg_site),
            ("i", "int", q.seg_index),
            ("b_lo", "int", q.seg_lo),
            ("b_hi", "int", q.seg_hi),
            ("zone", "int", q.seg_zone),
            ("pidx", "int", q.seg_period),
        ],
    )
    lo_ts = _ts(dialect, str(lo))  # an integer, written in the statement (used twice)
    hi_ts = _ts(dialect, p(hi))
    # No invented time: the last state ends at the equipment's newest record, and every
    # state at most ``stale_us`` after its own record.
    stale = "" if q.stale_us is None else f", ts + {int(q.stale_us)}"
    pri_index = f"c.pid * {len(q.products) + 1} + c.prod + 1"
    return f"""
eq AS ({eq}),
seg AS ({seg}),
bk AS MATERIALIZED (
  SELECT g.sid, g.i, g.b_lo, g.b_hi, g.zone, g.pidx, {_series(dialect, bucket, bucket_end)} AS b
  FROM seg g
),
start_at AS MATERIALIZED (
  -- The record in force at lo, per equipment: nothing older can reach the window (it ends
  -- where the next begins), so history before it is never read past this aggregate.
  SELECT r.path, max(r.ts) AS ts0 FROM rec_state r JOIN eq e ON r.path = e.path
  WHERE r.ts <= {lo_ts} GROUP BY r.path
),
rec AS (
  SELECT e.pid, e.sid, e.untl, r.seq, {_us(dialect, "r.ts")} AS ts,
         {_us(dialect, "r.ts")} * 8 + CASE r.state {cls_case} ELSE {int(q.unknown_class)} END AS k
  FROM rec_state r JOIN eq e ON r.path = e.path LEFT JOIN start_at a ON a.path = r.path
  WHERE r.ts < {hi_ts} AND r.ts >= coalesce((SELECT min(ts0) FROM start_at), {lo_ts})
    AND (a.ts0 IS NULL OR r.ts >= a.ts0)
),
nb AS (
  -- Time and state class packed in one key (class in the low 3 bits): three window
  -- functions instead of five over the same sort.
  SELECT pid, sid, untl, ts, k & 7 AS cls,
         lead(k) OVER o AS nk, lead(k, 2) OVER o AS nnk, lag(k) OVER o AS pk
  FROM rec WINDOW o AS (PARTITION BY pid ORDER BY ts, seq)
),
iv AS MATERIALIZED (
  SELECT pid, sid, cls, s, e,
         coalesce(p1 = ts, FALSE) OR coalesce(n2 = n1, FALSE)
         OR coalesce(ts > {lo} AND pcls = cls AND p1 < ts, FALSE)
         OR coalesce(ncls = cls AND (n2 IS NULL OR n2 > n1), FALSE) AS joined
  FROM (
    SELECT pid, sid, cls, ts, n1, n2, p1, nk & 7 AS ncls, pk & 7 AS pcls,
           greatest(ts, {lo}) AS s, least(coalesce(n1, untl), {hi}{stale}) AS e
    FROM (
      SELECT nb.*, {_div(dialect, "nk - (nk & 7)", 8)} AS n1,
             {_div(dialect, "nnk - (nnk & 7)", 8)} AS n2, {_div(dialect, "pk - (pk & 7)", 8)} AS p1
      FROM nb
    ) unpacked
  ) clipped
  WHERE e > s
),
cx AS (
  SELECT pid, sid, cls, s, e,
         CASE WHEN lag(cls) OVER o = cls AND lag(e) OVER o = s THEN 0 ELSE 1 END AS fresh
  FROM iv WHERE joined WINDOW o AS (PARTITION BY pid ORDER BY s)
),
cx_run AS (
  SELECT pid, sid, cls, s, e,
         sum(fresh) OVER (PARTITION BY pid ORDER BY s ROWS UNBOUNDED PRECEDING) AS run
  FROM cx
),
runs AS (
  SELECT pid, sid, cls, s, e, s AS first, (e - s) < {int(q.minor_us)} AS minor
  FROM iv WHERE NOT joined
  UNION ALL
  SELECT pid, sid, cls, s, e, min(s) OVER r AS first,
         (max(e) OVER r - min(s) OVER r) < {int(q.minor_us)} AS minor
  FROM cx_run WINDOW r AS (PARTITION BY pid, run)
),
placed AS MATERIALIZED (
  SELECT u.*, g.i AS i0, g.b_hi AS hi0, g.zone AS zone0, g.pidx AS pidx0
  FROM runs u JOIN bk g
    ON g.sid = u.sid AND g.b = {_div(dialect, f"u.s - {lo}", BUCKET_US)}
   AND u.s >= g.b_lo AND u.s < g.b_hi
),
crossing AS (
  SELECT u.pid, u.sid, u.cls, u.s, u.e, u.first, u.minor, u.i0, g.i AS i1
  FROM placed u JOIN bk g
    ON g.sid = u.sid AND g.b = {_div(dialect, f"u.e - 1 - {lo}", BUCKET_US)}
   AND u.e - 1 >= g.b_lo AND u.e - 1 < g.b_hi
  WHERE u.e > u.hi0
),
pieces AS (
  SELECT pid, cls, minor, first, s AS ps, e AS pe, zone0 AS zone, pidx0 AS pidx
  FROM placed WHERE e <= hi0
  UNION ALL
  SELECT c.pid, c.cls, c.minor, c.first, greatest(c.s, g.b_lo) AS ps, least(c.e, g.b_hi) AS pe,
         g.zone, g.pidx
  FROM (SELECT crossing.*, {_series(dialect, "i0", "i1")} AS i FROM crossing) c
  JOIN seg g ON g.sid = c.sid AND g.i = c.i
),
eqf AS MATERIALIZED (
  SELECT e.pid, e.sid, e.path, e.last_cell, f.fs
  FROM eq e LEFT JOIN (SELECT pid, min(s) AS fs FROM iv GROUP BY pid) f ON f.pid = e.pid
),
cnt AS (
  SELECT e.pid, e.sid, e.last_cell, e.fs, c.product,
         coalesce(nullif({_position(dialect, p(list(q.products)), "c.product")}, 0),
                  {len(q.products) + 1}) - 1 AS prod,
         {_us(dialect, "c.ts")} AS ts, c.good, c.scrap, c.rework
  FROM rec_count c JOIN eqf e ON c.path = e.path
  WHERE c.ts >= {_ts(dialect, p(int(q.count_lo)))} AND c.ts < {_ts(dialect, p(int(q.count_hi)))}
),
priced AS (
  -- Cycle time and scrap cost by array position: no join per count record.
  SELECT c.*,
         ({p(list(q.pri_s))}::{_array(dialect, "float")})[{pri_index}] AS pri_s,
         ({p(list(q.scrap_cost))}::{_array(dialect, "float")})[c.prod + 1] AS scrap_cost
  FROM cnt c
),
cpos AS (
  SELECT c.pid, c.ts, c.product, c.last_cell, g.pidx,
         (c.good + c.scrap + c.rework) AS qty, c.good, c.scrap, c.rework,
         coalesce(c.fs <= c.ts - 1, FALSE) AS has_state,
         coalesce(c.fs <= c.ts - 1, FALSE) AND g.zone = {work} AND g.pidx >= 0 AS ok,
         c.pri_s, c.scrap_cost
  FROM priced c
  JOIN bk g ON g.sid = c.sid AND g.b = {_div(dialect, f"c.ts - 1 - {lo}", BUCKET_US)}
   AND c.ts - 1 >= g.b_lo AND c.ts - 1 < g.b_hi
)"""


_COUNT_SUMS: Final = {
    "gq": "CASE WHEN ok THEN good ELSE 0 END",
    "sq": "CASE WHEN ok THEN scrap ELSE 0 END",
    "rq": "CASE WHEN ok THEN rework ELSE 0 END",
    "pq": "CASE WHEN ok THEN qty ELSE 0 END",
    "out_gq": "CASE WHEN ok AND last_cell THEN good ELSE 0 END",
    "out_pq": "CASE WHEN ok AND last_cell THEN qty ELSE 0 END",
    "pq_outside": "CASE WHEN has_state AND NOT ok THEN qty ELSE 0 END",
    "pq_no_state": "CASE WHEN NOT has_state THEN qty ELSE 0 END",
    "pq_no_pri": "CASE WHEN ok AND no_pri THEN qty ELSE 0 END",
    "pri_pq_s": "CASE WHEN ok THEN pri_qty ELSE 0 END",
    "pri_gq_s": "CASE WHEN ok THEN pri_good ELSE 0 END",
    "pri_sq_s": "CASE WHEN ok THEN pri_scrap ELSE 0 END",
    "pri_rq_s": "CASE WHEN ok THEN pri_rework ELSE 0 END",
    "scrap_cost": "CASE WHEN ok THEN scrap_money ELSE 0 END",
    "n_no_state": "CASE WHEN NOT has_state THEN n ELSE 0 END",
    "n_no_pri": "CASE WHEN ok AND no_pri THEN n ELSE 0 END",
    "counts": "n",
}
"""The expression of each of :data:`~andon.store.kpi_queries.COUNT_SUMS` over the
first-level sums of :func:`element_sums_sql`."""

_COUNT_CODES: Final = {
    "good": "good",
    "scrap": "scrap",
    "rework": "rework",
    "qty": "qty",
    "pri_qty": "coalesce(pri_s, 0) * qty",
    "pri_good": "coalesce(pri_s, 0) * good",
    "pri_scrap": "coalesce(pri_s, 0) * scrap",
    "pri_rework": "coalesce(pri_s, 0) * rework",
    "scrap_money": "scrap_cost * scrap",
    "n": "1",
}


def element_sums_sql(q: ElementQuery, dialect: str) -> tuple[str, list[Any]]:
    """Return the statement of element sums per (pid, pidx) and its parameters.

    One row per equipment and period with any state or count, in the columns of
    :func:`~andon.store.kpi_queries.element_sums_schema`.
    """
    p = _Params()
    common = _common(q, dialect, p)
    dbl = "DOUBLE PRECISION" if dialect == "postgres" else "DOUBLE"
    # Two levels: plain sums per (equipment, period, kind of piece) over millions of rows,
    # then the conditional sums of each element over the few rows of the first level.
    state_cols = [
        f"sum(CASE WHEN {selection_sql(sel)} THEN d ELSE 0 END) AS {name}"
        for name, sel in q.selections.items()
    ]
    state_cols.append(
        f"sum(CASE WHEN cls = {int(q.fail_class)} AND NOT minor THEN starts ELSE 0 END) AS fe"
    )
    code_cols = ", ".join(f"sum(CAST({expr} AS {dbl})) AS {n}" for n, expr in _COUNT_CODES.items())
    # The result's columns in the order of the declared schema (element_sums_schema).
    count_cols = [f"sum({_COUNT_SUMS[name]}) AS {name}" for name in COUNT_SUMS]
    state_names = [*q.selections, "fe"]
    count_names = list(COUNT_SUMS)
    sql = f"""
WITH {common},
state_codes AS (
  SELECT pid, pidx, zone, cls, minor, sum(CAST(pe - ps AS {dbl})) AS d,
         sum(CASE WHEN ps = first THEN CAST(1 AS {dbl}) ELSE CAST(0 AS {dbl}) END) AS starts
  FROM pieces WHERE pidx >= 0 GROUP BY pid, pidx, zone, cls, minor
),
state_sums AS (
  SELECT pid, pidx, {", ".join(state_cols)} FROM state_codes GROUP BY pid, pidx
),
count_codes AS (
  SELECT pid, pidx, ok, has_state, last_cell, pri_s IS NULL AS no_pri, {code_cols}
  FROM cpos WHERE pidx >= 0 GROUP BY pid, pidx, ok, has_state, last_cell, pri_s IS NULL
),
count_sums AS (
  SELECT pid, pidx, {", ".join(count_cols)} FROM count_codes GROUP BY pid, pidx
)
SELECT coalesce(a.pid, b.pid) AS pid, coalesce(a.pidx, b.pidx) AS pidx,
       {", ".join(f"a.{n}" for n in state_names)}, {", ".join(f"b.{n}" for n in count_names)}
FROM state_sums a FULL JOIN count_sums b ON a.pid = b.pid AND a.pidx = b.pidx
"""
    return sql, p.values


def flagged_counts_sql(q: ElementQuery, dialect: str) -> tuple[str, list[Any]]:
    """Return the statement of the count rows a data-quality flag names, and its parameters.

    The columns of :data:`~andon.store.kpi_queries.FLAGGED_COUNT_SCHEMA`: counts before any
    state of their equipment, or placed without a planned run time.
    """
    p = _Params()
    common = _common(q, dialect, p)
    sql = f"""
WITH {common}
SELECT pid, ts, product, CAST(qty AS {"DOUBLE PRECISION" if dialect == "postgres" else "DOUBLE"})
       AS qty, NOT has_state AS no_state, ok AND pri_s IS NULL AS no_pri
FROM cpos WHERE pidx >= 0 AND (NOT has_state OR (ok AND pri_s IS NULL))
"""
    return sql, p.values


def unknown_records_sql(
    *,
    dialect: str,
    path_prefix: str,
    paths: Sequence[str],
    states: Sequence[str],
    end: int,
    count_start: int,
    count_end: int,
) -> tuple[str, list[Any]]:
    """Return the statement of records the caller does not know, one row per kind and path.

    The columns of :data:`~andon.store.kpi_queries.UNKNOWN_RECORD_SCHEMA`. ``state`` rows:
    state records below the prefix before ``end`` whose path is not in ``paths`` or whose
    state is not in ``states``; ``count`` rows: count records below the prefix in
    ``[count_start, count_end)`` whose path is not in ``paths``.
    """
    p = _Params()
    prefix = path_prefix.rstrip("/")
    text = "text[]" if dialect == "postgres" else "VARCHAR[]"

    def member(column: str, values: Sequence[str]) -> str:
        if dialect == "postgres":
            return f"{column} = ANY({p(list(values))}::{text})"
        return f"list_contains({p(list(values))}::{text}, {column})"

    def under() -> str:
        return f"(r.path = {p(prefix)} OR starts_with(r.path, {p(prefix + '/')}))"

    # Parameters are bound in the order they are written, so each fragment is built in turn.
    state_where = f"{under()} AND r.ts < {_ts(dialect, p(int(end)))}"
    state_where += f" AND NOT ({member('r.path', paths)} AND {member('r.state', states)})"
    count_where = f"{under()} AND NOT {member('r.path', paths)}"
    count_where += f" AND r.ts >= {_ts(dialect, p(int(count_start)))}"
    count_where += f" AND r.ts < {_ts(dialect, p(int(count_end)))}"
    sql = f"""
SELECT 'state' AS kind, r.path, count(*) AS n FROM rec_state r WHERE {state_where} GROUP BY r.path
UNION ALL
SELECT 'count' AS kind, r.path, count(*) AS n FROM rec_count r WHERE {count_where} GROUP BY r.path
"""
    return sql, p.values


_NEWEST_KINDS: Final = ("rec_state", "rec_count", "rec_sample", "rec_unit", "rec_inspection")


def newest_records_sql(
    *, dialect: str, path_prefix: str, since: int | None
) -> tuple[str, list[Any]]:
    """Return the statement of the newest record time per path below a prefix.

    The columns of :data:`~andon.store.kpi_queries.NEWEST_RECORD_SCHEMA`, over the kinds an
    equipment's own feed sends (state, count, sample, unit, inspection); only records at or
    after ``since`` (UTC microseconds) when it is given.
    """
    p = _Params()
    prefix = path_prefix.rstrip("/")
    parts = []
    for table in _NEWEST_KINDS:
        where = f"(r.path = {p(prefix)} OR starts_with(r.path, {p(prefix + '/')}))"
        if since is not None:
            where += f" AND r.ts >= {_ts(dialect, p(int(since)))}"
        parts.append(
            f"SELECT r.path, {_us(dialect, 'max(r.ts)')} AS ts FROM {table} r "
            f"WHERE {where} GROUP BY r.path"
        )
    sql = "SELECT path, max(ts) AS ts FROM (" + " UNION ALL ".join(parts) + ") n GROUP BY path"
    return sql, p.values
