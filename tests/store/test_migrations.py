"""Schema migrations are versioned: applied once, in order, and never again on re-open."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from andon import records
from andon.records import RecordKind
from andon.store import DuckDBStore, PostgresStore, Store
from andon.store import duckdb as duckdb_module
from andon.store import postgres as postgres_module
from andon.store._sql import MIGRATIONS, Migration

Opener = Callable[[], Store]


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
        opened.append(PostgresStore(url, schema=schema))
        return opened[-1]

    yield open_postgres
    for store in opened[:-1]:
        store.close()
    last = opened[-1]
    assert isinstance(last, PostgresStore)
    last.drop_schema()


def _applied(store: Store) -> list[int]:
    table = store.execute("SELECT version FROM schema_migrations ORDER BY version")
    return [int(v) for v in table.column("version").to_pylist()]


def test_reopening_keeps_data_and_applies_nothing_again(reopen: Opener) -> None:
    first = reopen()
    first.write(RecordKind.SAMPLE, records.samples(ts=[1, 2], path="a/b", value=[1.0, 2.0]))
    second = reopen()
    assert second.schema_version() == MIGRATIONS[-1].version
    assert _applied(second) == [m.version for m in MIGRATIONS]
    assert second.count_rows(RecordKind.SAMPLE) == 2


def test_a_new_migration_is_applied_once_on_open(
    reopen: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    reopen()
    # Without IF NOT EXISTS: applying it twice would fail.
    extra = Migration(
        MIGRATIONS[-1].version + 1,
        "a table added later",
        lambda _dialect, _tables: ["CREATE TABLE added_later (id INTEGER)"],
    )
    for module in (duckdb_module, postgres_module):
        monkeypatch.setattr(module, "MIGRATIONS", (*MIGRATIONS, extra))
    upgraded = reopen()
    assert upgraded.schema_version() == extra.version
    again = reopen()
    assert _applied(again) == [*(m.version for m in MIGRATIONS), extra.version]
    assert again.execute("SELECT count(*) AS n FROM added_later").column("n")[0].as_py() == 0
