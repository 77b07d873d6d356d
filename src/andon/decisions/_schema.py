"""The decision layer's tables (decisions, audit, users, tokens, settings) come from the store.

They are made and changed by the store's versioned migrations (``andon.store._sql``), like
every other table: opening a store brings them to the latest version. :func:`ensure_schema`
only checks that this happened, so that a store opened read-only before its upgrade fails
at once with a clear error rather than at the first query.
"""

from __future__ import annotations

from andon.errors import StoreError
from andon.store._sql import DECISION_TABLES, DECISION_VERSION, GENESIS
from andon.store.base import Store

__all__ = ["GENESIS", "ensure_schema"]


def ensure_schema(store: Store) -> None:
    """Check that the store's migrations made the decision layer's tables; raise otherwise.

    Raises :class:`~andon.errors.StoreError` when the store's schema is older than the
    migration that makes them (a store opened read-only before its upgrade).
    """
    version = store.schema_version()
    if version < DECISION_VERSION:
        msg = (
            f"the store's schema is at version {version}; the decision tables "
            f"({', '.join(DECISION_TABLES)}) come with version {DECISION_VERSION}: "
            "open the store once writable to apply its migrations"
        )
        raise StoreError(msg)
