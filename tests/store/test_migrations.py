"""Schema migrations are versioned: applied once, in order, and never again on re-open."""

from __future__ import annotations

import pytest
from tests.store.conftest import Opener

from andon import records
from andon.records import RecordKind
from andon.store import Store
from andon.store import duckdb as duckdb_module
from andon.store import postgres as postgres_module
from andon.store._sql import MIGRATIONS, Migration


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
