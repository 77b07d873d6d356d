"""Open a store from a URL: ``duckdb:///path/file.duckdb``, ``duckdb://:memory:``, ``postgresql://...``."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from andon.errors import StoreError
from andon.store.base import Store
from andon.store.duckdb import DuckDBStore

__all__ = ["open_store"]

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store(url: str) -> Store:
    """Return the store a URL names; a bare file path means a DuckDB file.

    A PostgreSQL URL may name the schema to use with ``?schema=name`` (default ``public``);
    every other query parameter goes to the server connection as usual.
    """
    if url in {"duckdb://:memory:", ":memory:", "duckdb://"}:
        return DuckDBStore(None)
    if url.startswith("duckdb://"):
        return DuckDBStore(url.removeprefix("duckdb://"))
    if url.startswith(_POSTGRES_SCHEMES):
        from andon.store.postgres import PostgresStore  # noqa: PLC0415 - psycopg only when used

        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        schema = next((value for key, value in query if key == "schema"), "public")
        rest = urlencode([(key, value) for key, value in query if key != "schema"])
        return PostgresStore(urlunsplit(parts._replace(query=rest)), schema=schema)
    if "://" in url:
        msg = f"unknown store URL {url!r}: use duckdb:///path.duckdb or postgresql://host/db"
        raise StoreError(msg)
    return DuckDBStore(url)
