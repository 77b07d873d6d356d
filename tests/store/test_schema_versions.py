"""Every table comes from a versioned step: a fresh store, a store reopened, a store from before.

The "old store" fixture is what andon made before the decision layer's tables and the
auxiliary tables were migrations: schema version 1, the decision tables created by the
decision layer's own ``CREATE TABLE IF NOT EXISTS`` (kept here as it was), and auxiliary
tables created by ``write_table`` from a batch's schema, the KPI state under a hand-made
``_v2`` name. Opening it with today's andon must keep every row.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest
from tests.store.conftest import Opener

from andon.decisions import ensure_schema
from andon.errors import StoreError
from andon.kpi import stored_elements
from andon.kpi._state import STATE_SCHEMA, STATE_TABLE
from andon.records import KIND_SCHEMAS
from andon.store import AuxTable, DuckDBStore, Store
from andon.store import duckdb as duckdb_module
from andon.store import postgres as postgres_module
from andon.store._sql import DECISION_TABLES, GENESIS, MIGRATIONS, column_sql, table_name

# The decision layer's tables as andon made them before they were a migration, verbatim.
OLD_DECISION_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS decisions (
        id TEXT {key}, app TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
        site TEXT NOT NULL, action TEXT NOT NULL, options TEXT NOT NULL,
        expected_value DOUBLE PRECISION NOT NULL, value_low DOUBLE PRECISION,
        value_high DOUBLE PRECISION, confidence DOUBLE PRECISION NOT NULL,
        explanation TEXT NOT NULL, factors TEXT NOT NULL, evidence TEXT NOT NULL,
        snapshot TEXT NOT NULL, model_version TEXT NOT NULL, created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL, status TEXT NOT NULL, shadow BOOLEAN NOT NULL,
        required_role TEXT NOT NULL, escalation TEXT NOT NULL, superseded_by TEXT,
        decided_by TEXT, decided_at BIGINT, reason TEXT, executed_by TEXT, executed_at BIGINT,
        outcome_at BIGINT, realised_value DOUBLE PRECISION, outcome_success BOOLEAN,
        outcome_detail TEXT, updated_at BIGINT NOT NULL, version INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS audit_log (
        seq BIGINT PRIMARY KEY, ts BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        entity TEXT NOT NULL, entity_id TEXT NOT NULL, site TEXT, data TEXT NOT NULL,
        prev_hash TEXT NOT NULL, hash TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS audit_head (
        id INTEGER PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS users (
        username TEXT PRIMARY KEY, role TEXT NOT NULL, sites TEXT NOT NULL,
        password_hash TEXT, active BOOLEAN NOT NULL, created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS api_tokens (
        id TEXT PRIMARY KEY, username TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
        secret_hash TEXT NOT NULL, sites TEXT, created_at BIGINT NOT NULL, expires_at BIGINT,
        revoked BOOLEAN NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS settings (
        key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at BIGINT NOT NULL,
        updated_by TEXT NOT NULL)""",
)
OLD_INDEXES = {
    "duckdb": ("CREATE UNIQUE INDEX IF NOT EXISTS decisions_id ON decisions (id)",),
    "postgres": (
        "CREATE INDEX IF NOT EXISTS decisions_site_created ON decisions (site, created_at, id)",
        "CREATE INDEX IF NOT EXISTS decisions_created ON decisions (created_at DESC, id DESC)",
        "CREATE INDEX IF NOT EXISTS decisions_open ON decisions (app, subject, status)",
        "CREATE INDEX IF NOT EXISTS decisions_expiry ON decisions (status, expires_at)",
        "CREATE INDEX IF NOT EXISTS api_tokens_user ON api_tokens (username)",
    ),
}

_ARTIFACTS = pa.table(
    {
        "equipment_class": ["press"],
        "failure_mode": ["bearing"],
        "trained_until": pa.array([1_000], pa.int64()),
        "artifact": ["{}"],
    }
)


def _tables(store: Store) -> set[str]:
    found = store.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    )
    return {str(name) for name in found.column("table_name").to_pylist()}


def _count(store: Store, table: str) -> int:
    return int(store.execute(f"SELECT count(*) AS n FROM {table}").column("n")[0].as_py())


def _ledger(store: Store) -> list[tuple[str, int]]:
    rows = store.rows("SELECT name, version FROM aux_migrations ORDER BY name, version")
    return [(str(r["name"]), int(r["version"])) for r in rows]


def test_a_fresh_store_has_every_table_at_the_latest_version(reopen: Opener) -> None:
    store = reopen()
    assert store.schema_version() == MIGRATIONS[-1].version
    applied = store.execute("SELECT version FROM schema_migrations ORDER BY version")
    assert applied.column("version").to_pylist() == [m.version for m in MIGRATIONS]
    expected = {table_name(kind) for kind in KIND_SCHEMAS} | set(DECISION_TABLES)
    expected |= {"quarantine", "store_batches", "schema_migrations", "aux_migrations"}
    assert expected <= _tables(store)
    head = store.rows("SELECT id, seq, hash FROM audit_head")
    assert head == [{"id": 1, "seq": 0, "hash": GENESIS}]
    ensure_schema(store)  # a check only: passes on a migrated store


def test_opening_twice_applies_nothing_again(reopen: Opener) -> None:
    first = reopen()
    first.execute(
        "INSERT INTO settings VALUES (?, ?, ?, ?)", ["site.threshold", "500", 1, "planner"]
    )
    first.execute("UPDATE audit_head SET seq = 7, hash = ? WHERE id = 1", ["f" * 64])
    first.declare_table(STATE_SCHEMA)
    tables = _tables(first)
    second = reopen()
    assert second.schema_version() == MIGRATIONS[-1].version
    assert _count(second, "schema_migrations") == len(MIGRATIONS)
    assert _tables(second) == tables
    assert _count(second, "settings") == 1
    # The genesis row is inserted once, never over a chain that has moved on.
    assert second.rows("SELECT seq, hash FROM audit_head") == [{"seq": 7, "hash": "f" * 64}]
    second.declare_table(STATE_SCHEMA)
    assert _ledger(second) == [(STATE_TABLE, STATE_SCHEMA.version)]


def _make_old_store(store: Store) -> None:
    """Lay out what the code before these migrations left: tables and rows, no ledger rows."""
    key = "PRIMARY KEY" if store.dialect == "postgres" else "NOT NULL"
    with store.transaction():
        for statement in OLD_DECISION_SCHEMA:
            store.execute(statement.replace("{key}", key))
        for statement in OLD_INDEXES[store.dialect]:
            store.execute(statement)
        store.execute("INSERT INTO audit_head VALUES (1, 3, ?)", ["a" * 64])
        store.execute(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)",
            ["ada", "planner", '["lyon"]', None, True, 1, 1],
        )
        store.execute(
            "INSERT INTO settings VALUES (?, ?, ?, ?)", ["site.threshold", "500", 1, "ada"]
        )
        # Auxiliary tables as the old write_table made them from a first batch.
        store.execute(f"CREATE TABLE aux_maintenance_risk_models ({column_sql(_ARTIFACTS.schema)})")
        store.execute(
            "INSERT INTO aux_maintenance_risk_models VALUES (?, ?, ?, ?)",
            ["press", "bearing", 1_000, "{}"],
        )
        state = STATE_SCHEMA.schema
        old_layout = pa.schema([f for f in state if f.name not in {"iq", "fpq"}])
        store.execute(f"CREATE TABLE aux_kpi_day_elements ({column_sql(old_layout)})")
        store.execute(f"CREATE TABLE aux_kpi_day_elements_v2 ({column_sql(state)})")
        names = ", ".join(f'"{n}"' for n in ("path", "site", "period", "revision"))
        store.execute(
            f"INSERT INTO aux_kpi_day_elements_v2 ({names}) VALUES (?, ?, ?, ?)",
            ["acme/lyon/l1/m1", "acme/lyon", "2026-03-02", 1],
        )


def test_a_store_from_before_upgrades_without_losing_rows(
    reopen: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in (duckdb_module, postgres_module):
        monkeypatch.setattr(module, "MIGRATIONS", MIGRATIONS[:1])
    old = reopen()
    assert old.schema_version() == 1
    _make_old_store(old)
    monkeypatch.undo()

    store = reopen()
    assert store.schema_version() == MIGRATIONS[-1].version
    ensure_schema(store)
    assert store.rows("SELECT seq, hash FROM audit_head") == [{"seq": 3, "hash": "a" * 64}]
    assert [r["username"] for r in store.rows("SELECT username FROM users")] == ["ada"]
    assert _count(store, "settings") == 1
    # The hand-made _v2 table is the KPI state's table again, with its rows.
    assert "aux_kpi_day_elements_v2" not in _tables(store)
    days = stored_elements(store)
    assert days["period"].to_list() == ["2026-03-02"]
    store.declare_table(STATE_SCHEMA)  # adopts it: same columns, rows kept
    assert stored_elements(store).height == 1
    # An artifact table nobody declared is adopted by its next write, rows kept.
    store.write_table("maintenance_risk_models", _ARTIFACTS)
    assert store.read_table("maintenance_risk_models").num_rows == 2
    assert _ledger(store) == [(STATE_TABLE, 1), ("maintenance_risk_models", 1)]


def test_ensure_schema_refuses_a_store_not_yet_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.duckdb"
    monkeypatch.setattr(duckdb_module, "MIGRATIONS", MIGRATIONS[:1])
    DuckDBStore(path).close()
    monkeypatch.undo()
    read_only = DuckDBStore(path, read_only=True)  # opened read-only: nothing is migrated
    try:
        with pytest.raises(StoreError, match="version 1"):
            ensure_schema(read_only)
    finally:
        read_only.close()


# -- auxiliary tables: declared versions ---------------------------------------------------

_V1 = AuxTable(
    name="quality_models",
    schema=pa.schema([("station", pa.string()), ("score", pa.int64())]),
)


def test_a_new_version_alters_the_table_and_keeps_its_rows(store: Store) -> None:
    store.declare_table(_V1)
    store.write_table("quality_models", pa.table({"station": ["s1"], "score": [3]}))
    v2 = AuxTable(
        name="quality_models",
        version=2,
        schema=pa.schema([("station", pa.string()), ("score", pa.float64()), ("lot", pa.string())]),
        description="score as a float, the lot beside it",
    )
    store.declare_table(v2)
    store.declare_table(v2)  # idempotent
    store.write_table(
        "quality_models", pa.table({"station": ["s2"], "score": [0.5], "lot": ["L7"]})
    )
    table = store.read_table("quality_models").sort_by("station")
    assert table.column("station").to_pylist() == ["s1", "s2"]
    assert table.column("score").to_pylist() == [3.0, 0.5]
    assert table.column("lot").to_pylist() == [None, "L7"]
    assert _ledger(store) == [("quality_models", 1), ("quality_models", 2)]


def test_a_rebuilt_table_starts_empty_at_its_new_version(store: Store) -> None:
    state = AuxTable(name="flow_state", schema=pa.schema([("a", pa.int64())]), rebuild=True)
    store.declare_table(state)
    store.write_table("flow_state", pa.table({"a": [1, 2]}))
    grown = AuxTable(
        name="flow_state",
        version=2,
        schema=pa.schema([("a", pa.int64()), ("b", pa.int64(), False)]),
        rebuild=True,
    )
    store.declare_table(grown)
    assert store.read_table("flow_state").num_rows == 0
    assert set(store.read_table("flow_state").column_names) == {"a", "b"}


def test_a_table_never_changes_without_a_new_version(store: Store) -> None:
    store.declare_table(_V1)
    other = AuxTable(name="quality_models", schema=pa.schema([("station", pa.string())]))
    with pytest.raises(StoreError, match="new version"):
        store.declare_table(other)
    with pytest.raises(StoreError, match="declare version 2"):
        store.write_table("quality_models", pa.table({"station": ["s"], "extra": [1]}))
    newer = AuxTable(name="quality_models", version=3, schema=_V1.schema)
    store.declare_table(newer)  # the same columns at a later version: a step with no change
    with pytest.raises(StoreError, match="newer than version 1"):
        store.declare_table(_V1)
    not_null = AuxTable(
        name="quality_models",
        version=4,
        schema=pa.schema([*_V1.schema, pa.field("line", pa.string(), nullable=False)]),
    )
    store.write_table("quality_models", pa.table({"station": ["s"], "score": [1]}))
    with pytest.raises(StoreError, match="not null"):
        store.declare_table(not_null)
    assert _ledger(store) == [("quality_models", 1), ("quality_models", 3)]


def test_the_first_write_declares_version_one(store: Store) -> None:
    with pytest.raises(StoreError):
        store.read_table("truth_units")  # nothing written, nothing declared
    store.write_table("truth_units", pa.table({"serial": ["u1"], "defective": [True]}))
    assert _ledger(store) == [("truth_units", 1)]
    store.write_table("truth_units", pa.table({"serial": ["u2"], "defective": [False]}))
    assert store.read_table("truth_units").num_rows == 2
    with pytest.raises(StoreError, match="letters, digits"):
        store.write_table("Truth-Units", pa.table({"a": [1]}))


def test_the_example_in_the_store_docs_runs() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "store.md").read_text("utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    examples = [block for block in blocks if "AuxTable" in block]
    assert examples, "docs/store.md lost its auxiliary table example"
    for block in examples:
        exec(compile(block, "docs/store.md", "exec"), {})
