"""A malformed OCEL 2.0 log: every problem listed at once with its location and a stable
code, in an OcelError; nothing half imported (no log comes back)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from ocel_samples import small_bytes, small_document

from andon import ocel
from andon.errors import InputError, OcelError


def _problems(data: bytes, fmt: ocel.Format = "ocel-json") -> list[tuple[str, str | None]]:
    with pytest.raises(OcelError) as info:
        ocel.loads(data, fmt, name="bad")
    assert info.value.code == "ocel.invalid"
    assert isinstance(info.value, InputError)
    return [(p.code, p.path) for p in info.value.problems]


def test_every_fault_of_a_log_is_listed_at_once_with_its_path() -> None:
    document = small_document()
    document["events"][0]["relationships"][1]["objectId"] = "nobody"
    document["events"][1]["time"] = "yesterday"
    document["events"][2]["id"] = "e1"
    document["objects"][0]["attributes"][0]["value"] = "cheap"
    document["objects"][0]["attributes"][4]["time"] = "2026-02-30T00:00:00Z"
    document["objects"][1]["relationships"][0]["objectId"] = "m9"
    document["events"][1]["attributes"][1]["value"] = "perhaps"
    document["events"][3]["type"] = "teleport"
    document["events"][4]["attributes"] = [{"name": "colour", "value": "red"}]
    problems = set(_problems(small_bytes(document)))
    assert problems == {
        ("ocel.missing_object", "events[0].relationships[1]"),
        ("ocel.bad_time", "events[1]"),
        ("ocel.duplicate_id", "events[2]"),
        ("ocel.wrong_type", "objects[0].attributes[0]"),
        ("ocel.bad_time", "objects[0].attributes[4]"),
        ("ocel.missing_object", "objects[1].relationships[0]"),
        ("ocel.wrong_type", "events[1].attributes[1]"),
        ("ocel.unknown_type", "events[3]"),
        ("ocel.undeclared_attribute", "events[4].attributes[0]"),
    }


def test_a_problem_says_what_and_where_in_one_line() -> None:
    document = small_document()
    document["events"][0]["relationships"][1]["objectId"] = "nobody"
    with pytest.raises(OcelError) as info:
        ocel.loads(small_bytes(document), "ocel-json", name="orders.json")
    (problem,) = info.value.problems
    assert str(problem) == (
        "orders.json events[0].relationships[1]: an event-object relation refers to object "
        "'nobody', which the log does not have [ocel.missing_object]"
    )


@pytest.mark.parametrize(
    ("value", "kind", "ok"),
    [
        ("12", "integer", True),
        ("12.5", "integer", False),
        ("1e3", "float", True),
        ("NaN", "float", False),
        ("inf", "float", False),
        ("yes", "boolean", False),
        ("TRUE", "boolean", True),
        ("2026-03-08", "time", True),
        ("08.03.2026", "time", False),
    ],
)
def test_a_value_must_have_its_declared_type(value: str, kind: str, ok: bool) -> None:
    document = small_document()
    document["eventTypes"].append({"name": "t", "attributes": [{"name": "a", "type": kind}]})
    document["events"].append(
        {
            "id": "x",
            "type": "t",
            "time": "2026-03-08T06:00:00Z",
            "attributes": [{"name": "a", "value": value}],
        }
    )
    if ok:
        ocel.loads(small_bytes(document), "ocel-json")
    else:
        assert _problems(small_bytes(document)) == [("ocel.wrong_type", "events[6].attributes[0]")]


def test_duplicates_are_named_each_time() -> None:
    document = small_document()
    document["objects"].append({"id": "o1", "type": "order"})
    document["objects"].append({"id": "o1", "type": "order"})
    document["events"][0]["relationships"].append({"objectId": "o1", "qualifier": "released"})
    document["eventTypes"].append({"name": "hold", "attributes": []})
    assert sorted(_problems(small_bytes(document))) == [
        ("ocel.duplicate_id", "objects[5]"),
        ("ocel.duplicate_id", "objects[6]"),
        ("ocel.duplicate_relation", "events[0].relationships[3]"),
        ("ocel.duplicate_type", "eventTypes[4]"),
    ]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "ocel.not_json"),
        (b"\xff\xfe\x00garbage", "ocel.not_json"),
        (b'{"events": [', "ocel.not_json"),
        (b"[1, 2, 3]", "ocel.not_ocel"),
        (b'{"name": "a parts list"}', "ocel.not_ocel"),
        (b'"just text"', "ocel.not_ocel"),
    ],
)
def test_a_file_that_is_not_ocel_json_at_all(data: bytes, code: str) -> None:
    assert [c for c, _ in _problems(data)] == [code]


def test_the_wrong_shape_is_reported_with_its_path() -> None:
    document = small_document()
    document["events"][1]["relationships"] = "u1"
    document["objects"][2] = ["u2"]
    document["events"][0]["attributes"][0]["value"] = {"nested": True}
    problems = set(_problems(small_bytes(document)))
    assert ("ocel.structure", "events[1].relationships") in problems
    assert ("ocel.structure", "objects[2]") in problems
    assert ("ocel.structure", "events[0].attributes[0].value") in problems


def test_json_syntax_errors_give_their_line() -> None:
    with pytest.raises(OcelError) as info:
        ocel.loads(b'{\n"events": [\n  {"id": "e1",,}\n]}', "ocel-json")
    (problem,) = info.value.problems
    assert (problem.code, problem.line) == ("ocel.not_json", 3)


def _xml(events: str, objects: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<log>\n<object-types>\n'
        '<object-type name="unit"><attributes>'
        '<attribute name="w" type="float"/></attributes></object-type>\n'
        "</object-types>\n<event-types>\n"
        '<event-type name="start"><attributes/></event-type>\n'
        f"</event-types>\n<objects>\n{objects}</objects>\n<events>\n{events}</events>\n</log>\n"
    ).encode()


def test_xml_problems_carry_their_line() -> None:
    data = _xml(
        events='<event id="e1" type="start" time="2026-03-08T06:00:00Z">\n'
        '<objects><relationship object-id="u9" qualifier="q"/></objects></event>\n'
        '<event id="e2" type="start" time="soon"/>\n',
        objects='<object id="u1" type="unit"><attributes>\n'
        '<attribute name="w" time="2026-03-08T06:00:00Z">heavy</attribute>\n'
        "</attributes></object>\n",
    )
    with pytest.raises(OcelError) as info:
        ocel.loads(data, "ocel-xml", name="bad.xml")
    found = {(p.code, p.line, p.path) for p in info.value.problems}
    assert found == {
        ("ocel.missing_object", 16, "events[0].relationships[0]"),
        ("ocel.bad_time", 17, "events[1]"),
        ("ocel.wrong_type", 11, "objects[0].attributes[0]"),
    }


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "ocel.not_xml"),
        (b"<log><events></log>", "ocel.not_xml"),
        (b"<bom><part/></bom>", "ocel.not_ocel"),
        (b"<log><note/></log>", "ocel.not_ocel"),
        (
            b'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY a "aaaa">]><log>&a;</log>',
            "ocel.not_ocel",
        ),
    ],
)
def test_a_file_that_is_not_ocel_xml_at_all(data: bytes, code: str) -> None:
    assert [c for c, _ in _problems(data, "ocel-xml")] == [code]


def test_sqlite_problems_name_their_table_and_row(small_log: ocel.OcelLog, tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    ocel.write(small_log, path)
    with sqlite3.connect(path) as con:
        con.execute("INSERT INTO event_object VALUES ('e1', 'ghost', 'q')")
        con.execute("UPDATE event_process SET ocel_time = 'noon' WHERE ocel_id = 'e4'")
    con.close()
    with pytest.raises(OcelError) as info:
        ocel.read(path)
    found = {(p.code, p.path) for p in info.value.problems}
    assert found == {
        ("ocel.missing_object", "event_object row 13"),
        ("ocel.bad_time", "event row 4"),
    }


def test_a_file_that_is_not_ocel_sqlite_at_all(tmp_path: Path) -> None:
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database, just some text that is long enough" * 20)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE parts (id TEXT)")
    con.close()
    for path, code in ((text, "ocel.not_sqlite"), (other, "ocel.not_ocel")):
        with pytest.raises(OcelError) as info:
            ocel.read(path)
        assert [p.code for p in info.value.problems] == [code]
    with pytest.raises(OcelError) as missing:
        ocel.read(tmp_path / "absent.sqlite")
    assert missing.value.problems[0].code == "ocel.unreadable"


def test_an_unknown_format_is_a_problem_too(tmp_path: Path) -> None:
    with pytest.raises(OcelError) as info:
        ocel.read(tmp_path / "log.csv")
    assert info.value.problems[0].code == "ocel.unknown_format"
    with pytest.raises(OcelError):
        ocel.loads(b"{}", "ocel-yaml")  # type: ignore[arg-type]


def test_many_faults_are_capped_with_a_count() -> None:
    document = small_document()
    document["events"][0]["relationships"] = [
        {"objectId": f"ghost{i}", "qualifier": "q"} for i in range(1500)
    ]
    with pytest.raises(OcelError) as info:
        ocel.loads(json.dumps(document).encode(), "ocel-json")
    problems = info.value.problems
    assert len(problems) == 1001
    assert problems[-1].message == "500 more problem(s) of this kind not listed"
