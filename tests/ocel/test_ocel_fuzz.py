"""Fuzz the OCEL 2.0 JSON and XML readers: any input gives a checked log or an OcelError,
never a foreign exception; a log that is read is written and read again unchanged."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ocel_samples import small_bytes, small_document

from andon import ocel
from andon.errors import OcelError

SMALL = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        ["", "o1", "u1", "e1", "order", "process", "2026-03-08T06:00:00Z", "1970", "x<&>\"'"]
    ),
    st.text(max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
KEYS = ["id", "type", "time", "name", "value", "objectId", "qualifier", "attributes"]


def _outcome(data: bytes, fmt: ocel.Format) -> ocel.OcelLog | None:
    try:
        log = ocel.loads(data, fmt)
    except OcelError as exc:
        assert exc.problems, "an OcelError without a problem says nothing"  # noqa: PT017
        return None
    return log


def _round_trips(log: ocel.OcelLog) -> None:
    for fmt in ("ocel-json", "ocel-xml"):
        assert ocel.loads(ocel.dumps(log, fmt), fmt).same_facts(log)


@SMALL
@given(st.binary(max_size=300))
def test_any_bytes_as_json_are_a_log_or_an_ocel_error(data: bytes) -> None:
    _outcome(data, "ocel-json")


@SMALL
@given(st.binary(max_size=300))
def test_any_bytes_as_xml_are_a_log_or_an_ocel_error(data: bytes) -> None:
    _outcome(data, "ocel-xml")


def _mutate(document: Any, path: list[Any], value: Any) -> None:
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def _paths(node: Any, prefix: list[Any]) -> list[list[Any]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found.extend(_paths(child, [*prefix, key]))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found.extend(_paths(child, [*prefix, index]))
    return found


PATHS = _paths(small_document(), [])


@SMALL
@given(st.lists(st.tuples(st.sampled_from(PATHS), values), min_size=1, max_size=4))
def test_a_mutated_log_is_a_log_or_an_ocel_error(changes: list[tuple[list[Any], Any]]) -> None:
    document = small_document()
    for path, value in changes:
        try:
            _mutate(document, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the place
    log = _outcome(json.dumps(document).encode(), "ocel-json")
    if log is not None:
        _round_trips(log)


@SMALL
@given(st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(KEYS)), min_size=1, max_size=3))
def test_a_log_with_keys_removed_is_a_log_or_an_ocel_error(
    removals: list[tuple[list[Any], str]],
) -> None:
    document = small_document()
    for path, key in removals:
        target: Any = document
        try:
            for step in path:
                target = target[step]
        except (KeyError, IndexError, TypeError):
            continue
        if isinstance(target, dict):
            target.pop(key, None)
    log = _outcome(json.dumps(document).encode(), "ocel-json")
    if log is not None:
        _round_trips(log)


@SMALL
@given(st.integers(min_value=0, max_value=4000), st.binary(min_size=1, max_size=12))
def test_a_damaged_xml_log_is_a_log_or_an_ocel_error(at: int, junk: bytes) -> None:
    good = ocel.dumps(ocel.loads(small_bytes(), "ocel-json"), "ocel-xml")
    at = at % len(good)
    log = _outcome(good[:at] + junk + good[at + len(junk) :], "ocel-xml")
    if log is not None:
        _round_trips(log)
