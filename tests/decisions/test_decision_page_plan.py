"""PostgreSQL answers a decision page from an index, in page order, starting at the cursor."""

from __future__ import annotations

from andon.decisions import DecisionFilter, Status, ensure_schema
from andon.decisions.repository import Repository
from andon.store import PostgresStore
from andon.store._decision_sql import DecisionRowFilter, decision_page

ROWS = 20_000


def _fill(store: PostgresStore) -> None:
    """Insert decisions at four sites, four apps and five statuses, then gather statistics."""
    store.execute(
        f"""
        INSERT INTO decisions
        SELECT lpad(to_hex(i), 32, '0'), (ARRAY['a', 'b', 'c', 'd'])[1 + i % 4], 'k',
               'acme/s' || (i % 4) || '/area' || (i % 3) || '/eq' || i, 'acme/s' || (i % 4),
               'act', '[]', 1.0, NULL, NULL, 0.5, '', '[]', '{{}}', '', 'm@1', i, i + 1000000,
               (ARRAY['proposed', 'approved', 'executed', 'rejected', 'expired'])[1 + i % 5],
               FALSE, 'operator', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
               '{{}}', i, 1
        FROM generate_series(0::BIGINT, {ROWS - 1}) AS i
        """
    )
    store.execute("ANALYZE decisions")


def _plan(store: PostgresStore, sql: str, params: list[object]) -> str:
    """Return the plan of a page query with sorting priced out of reach.

    At a million rows the planner picks an ordered index scan by itself; on the test's few
    thousand rows a sort is as cheap, so the test asks which index can give the order.
    """
    with store.transaction():
        store.execute("SET LOCAL enable_sort = off")
        table = store.execute("EXPLAIN " + sql, params)
    return "\n".join(str(line) for line in table.column(0).to_pylist())


def test_an_inbox_page_reads_the_inbox_index_without_a_sort(
    postgres_store: PostgresStore,
) -> None:
    ensure_schema(postgres_store)
    _fill(postgres_store)
    filters = DecisionRowFilter(
        sites=("acme/s1",), statuses=("proposed",), app="b", subject_prefix="acme/s1/area2"
    )

    first = _plan(postgres_store, *decision_page(filters, limit=51))
    later = _plan(postgres_store, *decision_page(filters, limit=51, after=(10_000, "x")))

    for plan in (first, later):
        assert "decisions_inbox" in plan, plan
        assert "Sort" not in plan, plan
    cursor = [line for line in later.splitlines() if "Index Cond" in line]
    assert cursor, later
    assert "created_at <=" in cursor[0], later


def test_pages_through_the_inbox_index_equal_a_full_sort(
    postgres_store: PostgresStore,
) -> None:
    ensure_schema(postgres_store)
    _fill(postgres_store)
    repo = Repository(store=postgres_store)
    filters = DecisionFilter(sites=("acme/s2",), statuses=(Status.APPROVED,), app="c")
    expected = [
        r["id"]
        for r in postgres_store.rows(
            "SELECT id FROM decisions WHERE site = 'acme/s2' AND status = 'approved' "
            "AND app = 'c' ORDER BY created_at DESC, id DESC"
        )
    ]

    seen: list[str] = []
    after: tuple[int, str] | None = None
    while True:
        page = repo.list_decisions(filters, limit=97, after=after)
        if not page:
            break
        seen.extend(r.id for r in page)
        after = (page[-1].created_at, page[-1].id)

    assert expected
    assert seen == expected
