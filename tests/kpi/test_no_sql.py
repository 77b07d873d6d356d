"""The KPI layer builds no SQL: its queries are typed methods of the store.

SQL stays inside ``andon.store`` (the element sums, the flagged counts and the probe of
unknown records are :class:`andon.store.Store` methods); ``andon.kpi`` hands them plain
values and never runs a statement of its own.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import andon.kpi

KPI = Path(andon.kpi.__file__).resolve().parent
STORE = KPI.parent / "store"

_SQL = re.compile(r"\b(SELECT|INSERT INTO|DELETE FROM|UPDATE \w+ SET|SET LOCAL|WITH \w+ AS)\b")
_STATEMENT_METHODS = {"execute", "transaction"}


def _offenders(root: Path) -> list[str]:
    """Return every SQL text and every statement-running call in the modules below a root."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if _SQL.search(node.value):
                    found.append(f"{path.name}:{node.lineno}: SQL text")
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _STATEMENT_METHODS
            ):
                found.append(f"{path.name}:{node.lineno}: .{node.func.attr}()")
    return found


def test_the_kpi_layer_builds_and_runs_no_sql() -> None:
    offenders = _offenders(KPI)
    assert not offenders, "SQL in andon.kpi:\n" + "\n".join(offenders)


def test_the_rule_sees_sql_and_statements(tmp_path: Path) -> None:
    (tmp_path / "sneaky.py").write_text(
        'def f(store, t):\n    return store.execute(f"SELECT * FROM {t}")\n', encoding="utf-8"
    )
    assert sorted(_offenders(tmp_path)) == ["sneaky.py:2: .execute()", "sneaky.py:2: SQL text"]


def test_the_store_does_not_import_the_kpi_layer() -> None:
    for path in sorted(STORE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n == "andon.kpi" or n.startswith("andon.kpi.") for n in names), path
