"""Round trips of a hand-written log through OCEL 2.0 JSON, XML and SQLite keep every fact:
events, objects, both qualifiers of one event-object pair, object-object relations, typed
event values and time-varying object values, names that need escaping."""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import json
import sqlite3
from pathlib import Path

import polars as pl
import pytest

from andon import ocel

SUFFIX = {"ocel-json": ".json", "ocel-xml": ".xml", "ocel-sqlite": ".sqlite"}
UTC = dt.UTC


def _through(log: ocel.OcelLog, fmt: ocel.Format, folder: Path, name: str = "log") -> ocel.OcelLog:
    path = folder / f"{name}{SUFFIX[fmt]}"
    ocel.write(log, path)
    return ocel.read(path)


def test_the_small_log_is_read_whole(small_log: ocel.OcelLog) -> None:
    assert small_log.counts() == {
        "events": 6,
        "objects": 5,
        "e2o": 12,
        "o2o": 3,
        "event_attributes": 6,
        "object_attributes": 8,
    }
    pair = small_log.e2o.filter((pl.col("event_id") == "e2") & (pl.col("object_id") == "u1"))
    assert sorted(pair["qualifier"]) == ["input", "output"]
    times = dict(small_log.events.select("id", "time").iter_rows())
    assert times["e2"] == dt.datetime(2026, 3, 8, 6, 0, 0, 250000, tzinfo=UTC)


def test_values_are_canonical_and_typed(small_log: ocel.OcelLog) -> None:
    frame = small_log.event_attribute_frame("process").sort("id")
    assert frame.schema["seconds"] == pl.Float64
    assert frame.schema["ok"] == pl.Boolean
    assert frame.schema["count"] == pl.Int64
    assert frame.schema["at"] == pl.Datetime("us", "UTC")
    assert frame.select("id", "seconds", "ok", "count").rows() == [
        ("e2", 42.5, True, 3),
        ("e4", 30.0, None, None),
    ]
    values = small_log.object_attributes.filter(pl.col("object_id") == "o1")
    status = values.filter(pl.col("name") == "status").sort("time")
    assert status["value"].to_list() == ["released", 'held <QA> & "x"']
    assert status["time"][0] == dt.datetime(2026, 3, 8, 5, 0, tzinfo=UTC)
    orders = small_log.object_attribute_frame("order")
    assert orders.filter(pl.col("name") == "price")["price"].to_list() == [1353.98]


@pytest.mark.parametrize("fmt", ocel.FORMATS)
def test_one_format_round_trip_keeps_every_fact(
    small_log: ocel.OcelLog, fmt: ocel.Format, tmp_path: Path
) -> None:
    back = _through(small_log, fmt, tmp_path)
    assert back.counts() == small_log.counts()
    assert back.same_facts(small_log)


@pytest.mark.parametrize("order", list(itertools.permutations(ocel.FORMATS)))
def test_every_chain_of_the_three_formats_keeps_every_fact(
    small_log: ocel.OcelLog, order: tuple[ocel.Format, ...], tmp_path: Path
) -> None:
    log = small_log
    for step, fmt in enumerate(order):
        log = _through(log, fmt, tmp_path, name=f"step{step}")
    assert log.same_facts(small_log)


def test_same_facts_sees_a_lost_qualifier(small_log: ocel.OcelLog) -> None:
    fewer = ocel.OcelLog(
        event_types=small_log.event_types,
        object_types=small_log.object_types,
        events=small_log.events,
        objects=small_log.objects,
        e2o=small_log.e2o.filter(pl.col("qualifier") != "output"),
        o2o=small_log.o2o,
        event_attributes=small_log.event_attributes,
        object_attributes=small_log.object_attributes,
    )
    assert not fewer.same_facts(small_log)


def test_gzipped_json_and_xml_are_written_and_read(small_log: ocel.OcelLog, tmp_path: Path) -> None:
    for name in ("log.json.gz", "log.xml.gz"):
        path = tmp_path / name
        ocel.write(small_log, path)
        assert gzip.decompress(path.read_bytes())[:1] in (b"{", b"<")
        assert ocel.read(path).same_facts(small_log)


def test_an_empty_log_round_trips(tmp_path: Path) -> None:
    empty = ocel.OcelLog()
    for fmt in ocel.FORMATS:
        assert _through(empty, fmt, tmp_path, name=fmt).same_facts(empty)


def test_a_failed_write_leaves_no_file(small_log: ocel.OcelLog, tmp_path: Path) -> None:
    clash = ocel.OcelLog(
        event_types={"x": {"ocel_time": "string"}},
        object_types={},
        events=small_log.events.head(0),
    )
    with pytest.raises(ocel.OcelError) as info:
        ocel.write(clash, tmp_path / "clash.sqlite")
    assert info.value.problems[0].code == "ocel.column_clash"
    assert list(tmp_path.iterdir()) == []


def _sqlite_checks(path: Path) -> dict[str, bool]:
    """The relational constraints of the OCEL 2.0 specification, as SQL on the file."""
    con = sqlite3.connect(path)

    def one(sql: str) -> int:
        return int(con.execute(sql).fetchone()[0])

    def pk(table: str) -> list[str]:
        rows = con.execute(f'PRAGMA table_info("{table}")').fetchall()
        return sorted(r[1] for r in rows if r[5] > 0)

    def fks(table: str) -> set[tuple[str, str, str]]:
        rows = con.execute(f'PRAGMA foreign_key_list("{table}")').fetchall()
        return {(r[2], r[3], r[4]) for r in rows}

    def column_type(table: str, column: str) -> str:
        rows = con.execute(f'PRAGMA table_info("{table}")').fetchall()
        return next(r[2] for r in rows if r[1] == column)

    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    event_maps = [r[0] for r in con.execute("SELECT ocel_type_map FROM event_map_type")]
    object_maps = [r[0] for r in con.execute("SELECT ocel_type_map FROM object_map_type")]
    checks = {
        "type independent tables": {
            "event",
            "object",
            "event_object",
            "object_object",
            "event_map_type",
            "object_map_type",
        }
        <= tables,
        "a table per type and no other": {t for t in tables if t.startswith("event_")}
        == {f"event_{m}" for m in event_maps} | {"event_object", "event_map_type"}
        and {t for t in tables if t.startswith("object_")}
        == {f"object_{m}" for m in object_maps} | {"object_object", "object_map_type"},
        "map primary keys": pk("event_map_type") == ["ocel_type"]
        and pk("object_map_type") == ["ocel_type"],
        "event and object primary keys": pk("event") == ["ocel_id"] and pk("object") == ["ocel_id"],
        "relation primary keys": pk("event_object")
        == ["ocel_event_id", "ocel_object_id", "ocel_qualifier"]
        and pk("object_object") == ["ocel_qualifier", "ocel_source_id", "ocel_target_id"],
        "event type tables keyed on ocel_id": all(
            pk(f"event_{m}") == ["ocel_id"] for m in event_maps
        ),
        "type foreign keys": ("event_map_type", "ocel_type", "ocel_type") in fks("event")
        and ("object_map_type", "ocel_type", "ocel_type") in fks("object"),
        "relation foreign keys": {
            ("event", "ocel_event_id", "ocel_id"),
            ("object", "ocel_object_id", "ocel_id"),
        }
        <= fks("event_object")
        and {("object", "ocel_source_id", "ocel_id"), ("object", "ocel_target_id", "ocel_id")}
        <= fks("object_object"),
        "type table foreign keys": all(
            ("event", "ocel_id", "ocel_id") in fks(f"event_{m}") for m in event_maps
        )
        and all(("object", "ocel_id", "ocel_id") in fks(f"object_{m}") for m in object_maps),
        "times are TIMESTAMP": all(
            column_type(f"event_{m}", "ocel_time") == "TIMESTAMP" for m in event_maps
        )
        and all(column_type(f"object_{m}", "ocel_time") == "TIMESTAMP" for m in object_maps),
        "no dangling key": one("PRAGMA foreign_key_check") == 0
        if con.execute("PRAGMA foreign_key_check").fetchone()
        else True,
    }
    con.close()
    return checks


def test_the_sqlite_file_satisfies_the_specification_constraints(
    small_log: ocel.OcelLog, tmp_path: Path
) -> None:
    path = tmp_path / "log.sqlite"
    ocel.write(small_log, path)
    checks = _sqlite_checks(path)
    assert all(checks.values()), [name for name, ok in checks.items() if not ok]


def test_type_names_that_clash_as_tables_get_their_own_tables(tmp_path: Path) -> None:
    document = {
        "eventTypes": [{"name": n, "attributes": []} for n in ("a b", "ab", "AB", "object", "")],
        "objectTypes": [{"name": n, "attributes": []} for n in ("object", "Object", "map type")],
        "events": [
            {"id": f"e{i}", "type": n, "time": "2026-03-08T06:00:00Z"}
            for i, n in enumerate(("a b", "ab", "AB", "object", ""))
        ],
        "objects": [
            {"id": f"o{i}", "type": n} for i, n in enumerate(("object", "Object", "map type"))
        ],
    }
    log = ocel.loads(json.dumps(document).encode(), "ocel-json")
    path = tmp_path / "clash.sqlite"
    ocel.write(log, path)
    assert all(_sqlite_checks(path).values())
    assert ocel.read(path).same_facts(log)
