"""OCEL 2.0 object-centric event logs: columns in memory, the three formats of the
specification in and out, and the object-centric directly-follows graph.

>>> from andon import ocel
>>> log = ocel.loads(b'''{"eventTypes": [{"name": "start", "attributes": []}],
...   "objectTypes": [{"name": "unit", "attributes": []}],
...   "events": [{"id": "e1", "type": "start", "time": "2026-03-08T06:00:00Z",
...               "relationships": [{"objectId": "u1", "qualifier": "started"}]}],
...   "objects": [{"id": "u1", "type": "unit"}]}''', "ocel-json")
>>> log.counts()["e2o"]
1
"""

from __future__ import annotations

from andon.errors import OcelError
from andon.ocel._dfg import FlowGraph, directly_follows
from andon.ocel._io import FORMATS, Format, dumps, format_of, loads, read, write
from andon.ocel._model import ATTRIBUTE_TYPES, AttributeType, OcelLog
from andon.ocel._xes import read_xes

__all__ = [
    "ATTRIBUTE_TYPES",
    "FORMATS",
    "AttributeType",
    "FlowGraph",
    "Format",
    "OcelError",
    "OcelLog",
    "directly_follows",
    "dumps",
    "format_of",
    "loads",
    "read",
    "read_xes",
    "write",
]
