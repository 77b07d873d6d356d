"""Hostile genealogy, generated: any graph of links (cycles, self-links, duplicates, links in
both directions) is walked to exactly the nodes a plain breadth-first search reaches, on
both stores, the walk always ends, and it gives what one recursive statement gives."""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from andon.records import RecordKind, genealogy
from andon.store import DuckDBStore, PostgresStore, Store
from andon.store.genealogy_queries import genealogy_links, genealogy_links_recursive
from andon.trace import backward, forward

NODES = st.sampled_from([f"N{i}" for i in range(8)])
EDGES = st.lists(st.tuples(NODES, NODES), min_size=1, max_size=25)


def _reach(edges: list[tuple[str, str]], start: str, *, forward_walk: bool) -> set[str]:
    seen, todo = {start}, deque([start])
    while todo:
        node = todo.popleft()
        for parent, child in edges:
            here, there = (parent, child) if forward_walk else (child, parent)
            if here == node and there not in seen:
                seen.add(there)
                todo.append(there)
    return seen


@contextmanager
def _fresh(dialect: str, url: str | None) -> Iterator[Store]:
    if dialect == "duckdb":
        store = DuckDBStore(None)
        try:
            yield store
        finally:
            store.close()
        return
    assert url is not None
    pg = PostgresStore(url, schema=f"t_{uuid.uuid4().hex}")
    try:
        yield pg
    finally:
        pg.drop_schema()


def _check(store: Store, edges: list[tuple[str, str]]) -> None:
    store.write(
        RecordKind.GENEALOGY,
        genealogy(
            ts=list(range(len(edges))),
            parent=[p for p, _ in edges],
            child=[c for _, c in edges],
        ),
    )
    start = edges[0][0]
    for trace, walk in ((forward(store, start), True), (backward(store, start), False)):
        expected = _reach(edges, start, forward_walk=walk)
        assert set(trace.lots) == expected
        reached_from = "parent" if walk else "child"
        assert set(trace.links[reached_from].to_pylist()) <= expected
        ends = trace.links["parent"].to_pylist(), trace.links["child"].to_pylist()
        pairs = set(zip(*ends, strict=True))
        wanted = {(p, c) for p, c in edges if (p if walk else c) in expected}
        assert pairs == wanted
        direction = trace.direction
        walked = genealogy_links(store, node=start, direction=direction)
        assert walked.equals(genealogy_links_recursive(store, node=start, direction=direction))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edges=EDGES)
def test_any_genealogy_walks_like_a_breadth_first_search_on_duckdb(
    edges: list[tuple[str, str]],
) -> None:
    with _fresh("duckdb", None) as store:
        _check(store, edges)


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    return postgres_url


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(edges=EDGES)
def test_any_genealogy_walks_like_a_breadth_first_search_on_postgres(
    pg_url: str, edges: list[tuple[str, str]]
) -> None:
    with _fresh("postgres", pg_url) as store:
        _check(store, edges)
