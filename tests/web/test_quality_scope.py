"""The data-quality page counts only what the user's sites quarantined."""

from __future__ import annotations

import pyarrow as pa

from andon.store import QUARANTINE_SCHEMA, DuckDBStore
from andon.web._quality import quality_page


def _rows(paths: list[str | None], reason: str) -> pa.Table:
    n = len(paths)
    return pa.table(
        {
            "received_at": [2_000_000_000_000_000] * n,
            "kind": ["sample"] * n,
            "source": ["mqtt"] * n,
            "ts": [1_000_000] * n,
            "path": paths,
            "reason": [reason] * n,
            "detail": ["d"] * n,
            "record": ["{}"] * n,
        }
    ).cast(QUARANTINE_SCHEMA)


def test_site_scoped_user_sees_only_their_site() -> None:
    store = DuckDBStore(None)
    store.quarantine(_rows(["acme/lyon/a/l/c/e/t"] * 2, "out_of_range"))
    store.quarantine(_rows(["acme/brno/a/l/c/e/t"] * 3, "unknown_path"))
    store.quarantine(_rows([None], "wrong_type"))

    def lyon_only(path: str | None) -> bool:
        return path is not None and path.startswith("acme/lyon/")

    scoped = quality_page(store, can_see=lyon_only)
    assert scoped.total == 2
    assert scoped.by_reason == [("out_of_range", 2)]
    everyone = quality_page(store)
    assert everyone.total == 6
    assert dict(everyone.by_reason) == {"unknown_path": 3, "out_of_range": 2, "wrong_type": 1}
    admin = quality_page(store, can_see=lambda _path: True)
    assert admin.total == 6
