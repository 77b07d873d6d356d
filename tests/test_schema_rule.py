"""One schema mechanism, and SQL only inside the store.

Tables are made by ``andon.store._sql.MIGRATIONS`` and auxiliary tables by a declared
:class:`andon.store.AuxTable`; a ``CREATE TABLE`` or ``ALTER TABLE`` anywhere else in
``src/andon`` would be a second mechanism, unversioned. Queries and changes of rows are the
store's typed methods (``andon.store.decisions`` for the decision layer's tables): a
``SELECT``, ``INSERT``, ``UPDATE`` or ``DELETE`` statement in a string of any other module
would put the tables' layout where a migration cannot see it.
"""

from __future__ import annotations

import ast
import re
import sqlite3
from pathlib import Path

import andon
from andon.connect.buffer import DiskBuffer

SRC = Path(andon.__file__).resolve().parent

ALLOWED = {
    # The edge's durable buffer is its own SQLite file, not the store: the store may be out
    # of reach when it is written. It keeps its own versioned steps (user_version).
    Path("connect/buffer.py"),
    # An OCEL 2.0 SQLite file is an exchange format whose tables the OCEL 2.0 specification
    # defines, written and read for the user, never andon's store.
    Path("ocel/_sqlite.py"),
}

_DDL = re.compile(r"\b(CREATE\s+(TEMP\s+|TEMPORARY\s+)?TABLE|ALTER\s+TABLE)\b", re.IGNORECASE)


def _offenders(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] == "store" or relative in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _DDL.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_no_table_is_made_outside_the_store() -> None:
    offenders = _offenders(SRC)
    assert not offenders, "tables made outside andon.store's migrations:\n" + "\n".join(offenders)


def test_the_rule_sees_a_table_made_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "fine.py").write_text('SQL = "CREATE TABLE t (a INTEGER)"\n')
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "sneaky.py").write_text('SQL = "create table if not exists x (a int)"\n')
    assert _offenders(tmp_path) == [
        'apps/sneaky.py:1: SQL = "create table if not exists x (a int)"'
    ]


def test_every_allowed_file_still_needs_its_place() -> None:
    for relative in ALLOWED:
        text = (SRC / relative).read_text(encoding="utf-8")
        assert _DDL.search(text), f"{relative} makes no table any more: drop it from ALLOWED"


SQL_ALLOWED = {
    # The edge's durable buffer is its own SQLite file, not the store (see ALLOWED).
    Path("connect/buffer.py"),
    # An OCEL 2.0 SQLite exchange file (see ALLOWED).
    Path("ocel/_sqlite.py"),
}

# A statement's shape, not a word: "select" or "update" in prose, or ("DELETE", "/path") as
# an HTTP method, are not statements. andon writes SQL keywords in upper case, so those
# shapes are loose; a statement in lower case is found by shapes that prose does not take
# (a clause after the table, a column list, an assignment). ``{}`` stands for an f-string's
# replacement field.
_NAME = r"[\w.\"{}]+"
_STATEMENT = re.compile(
    r"\bSELECT\s+(?:\*|\d|DISTINCT\b|\{\}|[^;]*?\bFROM\b)"
    r"|\bINSERT\s+INTO\b|\bDELETE\s+FROM\b"
    rf"|\bUPDATE\s+{_NAME}\s+SET\b"
)
_STATEMENT_ANY_CASE = re.compile(
    rf"\bselect\s+(?:\*|[^;]*?\bfrom\s+{_NAME}\s+(?:where|order\s+by|group\s+by|limit)\b)"
    rf"|\binsert\s+into\s+{_NAME}\s*(?:\(|values\b|select\b)"
    rf"|\bupdate\s+{_NAME}\s+set\s+\w+\s*="
    rf"|\bdelete\s+from\s+{_NAME}\s*(?:$|where\b)",
    re.IGNORECASE,
)


def _statement(text: str) -> str | None:
    """Return the start of the first SQL statement in a text, or ``None``."""
    match = _STATEMENT.search(text) or _STATEMENT_ANY_CASE.search(text)
    return None if match is None else match.group(0)[:24]


def _docstrings(tree: ast.AST) -> set[int]:
    """Return the ids of the nodes that are docstrings (of the module, classes, functions)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Return each string literal's line and text; an f-string's fields become ``{}``.

    A docstring counts by its examples only (``>>>`` and ``...`` lines): its prose may say
    "select" or "update", its examples run code.
    """
    docstrings = _docstrings(tree)
    inner = {
        id(value)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for value in node.values
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inner
        ):
            text = node.value
            if id(node) in docstrings:
                lines = (line.strip() for line in text.splitlines())
                text = "\n".join(line[4:] for line in lines if line[:4] in {">>> ", "... "})
        else:
            continue
        found.append((node.lineno, text))
    return found


def _statements(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] == "store" or relative in SQL_ALLOWED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for number, text in sorted(_strings(tree)):
            statement = _statement(text)
            if statement is not None:
                found.append(f"{relative}:{number}: {statement}")
    return found


def test_no_statement_is_written_outside_the_store() -> None:
    offenders = _statements(SRC)
    assert not offenders, (
        "SQL statements outside andon.store (make them typed store methods):\n"
        + "\n".join(offenders)
    )


def test_the_rule_sees_a_statement_written_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "fine.py").write_text('SQL = "SELECT id FROM decisions"\n')
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "sneaky.py").write_text(
        "def page(store, table, n):\n"
        '    """Return a page.\n\n    >>> store.rows("SELECT 1")\n    """\n'
        '    store.rows(f"select * from {table} "\n'
        '               f"limit {n}")\n'
        "    store.execute('UPDATE decisions SET status = ?', ['x'])\n"
        '    store.execute("""\n        DELETE FROM audit_log""")\n'
        '    store.execute("insert into users values (?)", ["ana"])\n'
        '    store.rows("select id, site from decisions where id = ?", ["x"])\n'
    )
    (tmp_path / "apps" / "prose.py").write_text(
        '"""Select the units from the riskiest lot; update the plan, then delete it."""\n'
        'ROUTES = {("DELETE", "/api/v1/tokens/{id}"): "viewer"}\n'
        'HELP = "select a site from the list, or update the page to set it"\n'
        'NOTE = "delete from the buffer what was sent; insert into the queue first"\n'
        'WHY = f"SELECT statements are the store\'s: see {__name__}"\n'
    )
    assert _statements(tmp_path) == [
        "apps/sneaky.py:2: SELECT 1",
        "apps/sneaky.py:6: select *",
        "apps/sneaky.py:8: UPDATE decisions SET",
        "apps/sneaky.py:9: DELETE FROM",
        "apps/sneaky.py:11: insert into users values",
        "apps/sneaky.py:12: select id, site from dec",
    ]


def test_every_file_allowed_sql_still_needs_it() -> None:
    for relative in SQL_ALLOWED:
        path = SRC / relative
        assert path.exists(), f"{relative} is gone: drop it from SQL_ALLOWED"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert any(_statement(text) for _, text in _strings(tree)), (
            f"{relative} holds no SQL statement any more: drop it from SQL_ALLOWED"
        )


def test_the_edge_buffer_adopts_a_file_from_before_its_steps(tmp_path: Path) -> None:
    path = tmp_path / "buffer.db"
    with sqlite3.connect(path) as db:  # as the buffer made it before it counted versions
        db.execute(
            "CREATE TABLE batches (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "received_at INTEGER NOT NULL, rows INTEGER NOT NULL, size INTEGER NOT NULL, "
            "body BLOB NOT NULL)"
        )
        db.execute("INSERT INTO batches VALUES (NULL, 1, 2, 3, x'00')")
    db.close()
    buffer = DiskBuffer(path)
    assert buffer.depth() == 1
    buffer.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)  # every step applied
    db.close()
