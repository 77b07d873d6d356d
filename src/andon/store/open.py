"""Open a store from a URL: ``duckdb:///path/file.duckdb``, ``duckdb://:memory:``, ``postgresql://...``."""

from __future__ import annotations

from andon.errors import StoreError
from andon.store.base import Store
from andon.store.duckdb import DuckDBStore

__all__ = ["open_store"]


def open_store(url: str) -> Store:
    """Return the store a URL names; a bare file path means a DuckDB file."""
    if url in {"duckdb://:memory:", ":memory:", "duckdb://"}:
        return DuckDBStore(None)
    if url.startswith("duckdb://"):
        return DuckDBStore(url.removeprefix("duckdb://"))
    if "://" in url:
        msg = f"unknown store URL {url!r}: use duckdb:///path.duckdb or postgresql://host/db"
        raise StoreError(msg)
    return DuckDBStore(url)
