"""The embedded store bounds DuckDB's buffers, so that an app's fit beside it has the memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from andon.errors import StoreError
from andon.store.duckdb import DEFAULT_MEMORY_LIMIT, MEMORY_LIMIT_ENV, DuckDBStore


def _limit_bytes(store: DuckDBStore) -> int:
    row = store._con.execute(
        "SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'"
    ).fetchone()
    assert row is not None
    amount, unit = str(row[0]).split()
    scale = {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "KB": 10**3, "MB": 10**6, "GB": 10**9}
    return int(float(amount) * scale[unit])


def test_the_default_limit_is_andon_s_not_duckdb_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    store = DuckDBStore(tmp_path / "a.duckdb")
    try:
        assert DEFAULT_MEMORY_LIMIT == "2GB"
        assert _limit_bytes(store) == pytest.approx(2 * 10**9, rel=0.08)
    finally:
        store.close()


def test_the_environment_and_the_caller_set_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "512MB")
    store = DuckDBStore(tmp_path / "b.duckdb")
    try:
        assert _limit_bytes(store) == pytest.approx(512 * 10**6, rel=0.08)
    finally:
        store.close()
    given = DuckDBStore(None, memory_limit="3GB")
    try:
        assert _limit_bytes(given) == pytest.approx(3 * 10**9, rel=0.08)
    finally:
        given.close()


def test_a_limit_duckdb_cannot_read_is_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "plenty")
    with pytest.raises(StoreError, match="cannot open DuckDB store"):
        DuckDBStore(tmp_path / "c.duckdb")
