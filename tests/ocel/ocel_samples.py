"""A small hand-written OCEL 2.0 log with every kind of fact the format has, for the tests
of andon.ocel."""

from __future__ import annotations

import copy
import json
from typing import Any

SMALL: dict[str, Any] = {
    "objectTypes": [
        {
            "name": "order",
            "attributes": [
                {"name": "price", "type": "float"},
                {"name": "units", "type": "integer"},
                {"name": "rush", "type": "boolean"},
                {"name": "due", "type": "time"},
                {"name": "status", "type": "string"},
            ],
        },
        {"name": "unit", "attributes": [{"name": "serial", "type": "string"}]},
        {"name": "station", "attributes": []},
    ],
    "eventTypes": [
        {"name": "release", "attributes": [{"name": "planner", "type": "string"}]},
        {
            "name": "process",
            "attributes": [
                {"name": "seconds", "type": "float"},
                {"name": "ok", "type": "boolean"},
                {"name": "count", "type": "integer"},
                {"name": "at", "type": "time"},
            ],
        },
        {"name": "hold", "attributes": []},
        {"name": "ship", "attributes": []},
    ],
    "objects": [
        {
            "id": "o1",
            "type": "order",
            "attributes": [
                {"name": "price", "time": "1970-01-01T00:00:00Z", "value": 1353.98},
                {"name": "units", "time": "1970-01-01T00:00:00Z", "value": 2},
                {"name": "rush", "time": "1970-01-01T00:00:00Z", "value": False},
                {"name": "due", "time": "1970-01-01T00:00:00Z", "value": "2026-03-10T12:00:00Z"},
                {"name": "status", "time": "2026-03-08T06:00:00+01:00", "value": "released"},
                {"name": "status", "time": "2026-03-08T09:30:00Z", "value": 'held <QA> & "x"'},
                {"name": "rush", "time": "2026-03-08T09:30:00Z", "value": True},
            ],
            "relationships": [
                {"objectId": "u1", "qualifier": "comprises"},
                {"objectId": "u2", "qualifier": "comprises"},
            ],
        },
        {
            "id": "u1",
            "type": "unit",
            "attributes": [{"name": "serial", "time": "2026-03-08T05:00:00Z", "value": "S-1"}],
            "relationships": [{"objectId": "m1", "qualifier": "processed on"}],
        },
        {"id": "u2", "type": "unit", "attributes": [], "relationships": []},
        {"id": "m1", "type": "station"},
        {"id": "m2 'ünïcode'", "type": "station", "attributes": [], "relationships": []},
    ],
    "events": [
        {
            "id": "e1",
            "type": "release",
            "time": "2026-03-08T06:00:00Z",
            "attributes": [{"name": "planner", "value": "Zoë\nline two"}],
            "relationships": [
                {"objectId": "o1", "qualifier": "released"},
                {"objectId": "u1", "qualifier": "released"},
                {"objectId": "u2", "qualifier": "released"},
            ],
        },
        {
            "id": "e2",
            "type": "process",
            "time": "2026-03-08T07:00:00.250000+01:00",
            "attributes": [
                {"name": "seconds", "value": 42.5},
                {"name": "ok", "value": True},
                {"name": "count", "value": 3},
                {"name": "at", "value": "2026-03-08T06:00:00Z"},
            ],
            "relationships": [
                {"objectId": "u1", "qualifier": "input"},
                {"objectId": "u1", "qualifier": "output"},
                {"objectId": "m1", "qualifier": "station"},
            ],
        },
        {
            "id": "e3",
            "type": "hold",
            "time": "2026-03-08T09:30:00Z",
            "attributes": [],
            "relationships": [{"objectId": "o1", "qualifier": "held"}],
        },
        {
            "id": "e4",
            "type": "process",
            "time": "2026-03-08T09:30:00Z",
            "attributes": [{"name": "seconds", "value": 30}],
            "relationships": [
                {"objectId": "u2", "qualifier": "input"},
                {"objectId": "m1", "qualifier": "station"},
            ],
        },
        {
            "id": "e5",
            "type": "ship",
            "time": "2026-03-08T12:00:00Z",
            "attributes": [],
            "relationships": [
                {"objectId": "o1", "qualifier": "shipped"},
                {"objectId": "u1", "qualifier": "shipped"},
                {"objectId": "u2", "qualifier": "shipped"},
            ],
        },
        {"id": "e6", "type": "ship", "time": "2026-03-08T12:00:00Z"},
    ],
}


def small_document() -> dict[str, Any]:
    """A fresh copy of the small log as a JSON document (tests may change it)."""
    return copy.deepcopy(SMALL)


def small_bytes(document: dict[str, Any] | None = None) -> bytes:
    return json.dumps(document if document is not None else SMALL).encode()
