"""One schema mechanism: no table is created or altered outside the store's migrations.

Tables are made by ``andon.store._sql.MIGRATIONS`` and auxiliary tables by a declared
:class:`andon.store.AuxTable`; a ``CREATE TABLE`` or ``ALTER TABLE`` anywhere else in
``src/andon`` would be a second mechanism, unversioned.
"""

from __future__ import annotations

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
        assert db.execute("PRAGMA user_version").fetchone() == (1,)
    db.close()
