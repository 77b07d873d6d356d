"""Small typed questions any store answers: whether it answers at all, its newest time.

Functions over the :class:`~andon.store.Store` protocol, so that both implementations
answer them with the same statement.

>>> from andon.store import open_store
>>> from andon.records import RecordKind
>>> store = open_store("duckdb://:memory:")
>>> ping(store)
>>> latest_time(store, RecordKind.STATE) is None
True
"""

from __future__ import annotations

from andon.records import RecordKind, to_micros
from andon.store._sql import table_name
from andon.store.base import Store

__all__ = ["latest_time", "ping"]


def ping(store: Store) -> None:
    """Return when the store answers a trivial query; raise :class:`~andon.errors.StoreError`
    otherwise (the health check's question)."""
    store.execute("SELECT 1 AS ok")


def latest_time(store: Store, kind: RecordKind) -> int | None:
    """Return the newest ``ts`` of a record kind (UTC microseconds), ``None`` when none."""
    table = store.execute(f"SELECT max(ts) AS ts FROM {table_name(kind)}")
    value = table.column("ts")[0].as_py() if table.num_rows else None
    return None if value is None else to_micros(value)
