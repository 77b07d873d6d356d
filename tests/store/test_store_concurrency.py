"""Reads do not queue behind an open transaction, and a transaction reads its own writes."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from andon.errors import StoreError
from andon.store import DuckDBStore, Store


def _count(store: Store) -> int:
    return int(store.execute("SELECT count(*) AS n FROM t_reads").column("n")[0].as_py())


def test_reads_run_beside_an_open_transaction(store: Store) -> None:
    store.execute("CREATE TABLE t_reads (n INTEGER)")
    store.execute("INSERT INTO t_reads VALUES (1)")
    inside = threading.Event()
    release = threading.Event()
    seen_by_writer: list[int] = []

    def writer() -> None:
        with store.transaction():
            store.execute("INSERT INTO t_reads VALUES (2)")
            seen_by_writer.append(_count(store))
            inside.set()
            release.wait(60)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert inside.wait(60)
        seen_by_reader: list[int] = []
        reader = threading.Thread(target=lambda: seen_by_reader.append(_count(store)))
        reader.start()
        reader.join(60)  # a read that waited for the writer would still be blocked here
        assert seen_by_reader == [1]  # the committed state, not the open transaction's
    finally:
        release.set()
        thread.join(60)
    assert seen_by_writer == [2]  # the transaction sees its own insert
    assert _count(store) == 2


def test_many_threads_read_at_once(store: Store) -> None:
    store.execute("CREATE TABLE t_reads (n INTEGER)")
    store.execute("INSERT INTO t_reads SELECT * FROM (VALUES (1), (2), (3)) AS v(n)")
    results: list[int] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            results.extend(_count(store) for _ in range(20))
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert results == [3] * 240


def test_rows_are_dicts_and_a_transaction_reads_its_own(store: Store) -> None:
    store.execute("CREATE TABLE t_reads (n INTEGER, name TEXT, ok BOOLEAN, x DOUBLE PRECISION)")
    store.execute("INSERT INTO t_reads VALUES (1, 'a', TRUE, 0.5)")
    assert store.rows("SELECT n, name, ok, x FROM t_reads WHERE n = ?", [1]) == [
        {"n": 1, "name": "a", "ok": True, "x": 0.5}
    ]
    with store.transaction():
        store.execute("INSERT INTO t_reads VALUES (2, NULL, FALSE, NULL)")
        assert store.rows("SELECT n, name FROM t_reads ORDER BY n") == [
            {"n": 1, "name": "a"},
            {"n": 2, "name": None},
        ]
    with pytest.raises(StoreError, match="SELECT"):
        store.rows("DELETE FROM t_reads")
    assert len(store.rows("SELECT n FROM t_reads")) == 2


def test_a_duckdb_file_another_process_holds_is_a_clear_locked_error(tmp_path: Path) -> None:
    path = tmp_path / "held.duckdb"
    hold = "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('held', flush=True); input()"
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError) as caught:
            DuckDBStore(path)
        assert caught.value.code == "store.locked"
        assert "another process holds it" in str(caught.value)
    finally:
        holder.communicate("\n", timeout=10)
