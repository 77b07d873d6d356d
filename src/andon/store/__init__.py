"""andon's storage: the Store protocol and its implementations.

>>> from andon.store import open_store
>>> store = open_store("duckdb://:memory:")
>>> store.dialect
'duckdb'
"""

from __future__ import annotations

from andon.store._aux import AuxTable
from andon.store.base import QUARANTINE_SCHEMA, STATE_INTERVAL_SCHEMA, Store, TimeArg, WriteResult
from andon.store.duckdb import DuckDBStore
from andon.store.open import open_store
from andon.store.postgres import PostgresStore

__all__ = [
    "QUARANTINE_SCHEMA",
    "STATE_INTERVAL_SCHEMA",
    "AuxTable",
    "DuckDBStore",
    "PostgresStore",
    "Store",
    "TimeArg",
    "WriteResult",
    "open_store",
]
