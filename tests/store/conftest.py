"""Fixtures of the store tests: a store opened again, as a process restarting would."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from andon.store import DuckDBStore, PostgresStore, Store

Opener = Callable[[], Store]
"""Opens the same store again (the same DuckDB file, the same PostgreSQL schema)."""


@pytest.fixture(params=["duckdb", "postgres"])
def reopen(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """A function that opens the same store again (same file, same schema)."""
    opened: list[Store] = []
    if request.param == "duckdb":
        path = tmp_path / "andon.duckdb"

        def open_duckdb() -> Store:
            for store in opened:
                store.close()  # one writer per DuckDB file
            opened.append(DuckDBStore(path))
            return opened[-1]

        yield open_duckdb
        opened[-1].close()
        return
    url = request.getfixturevalue("postgres_url")
    schema = f"t_{uuid.uuid4().hex}"

    def open_postgres() -> Store:
        for store in opened:
            store.close()
        opened.append(PostgresStore(url, schema=schema))
        return opened[-1]

    yield open_postgres
    last = opened[-1]
    assert isinstance(last, PostgresStore)
    last.drop_schema()
