"""Genealogy traces: what went into a serial or lot, what a lot reached, and recalls.

>>> from andon.store import open_store
>>> from andon.records import genealogy, units
>>> store = open_store("duckdb://:memory:")
>>> _ = store.write("genealogy", genealogy(ts=[0], parent="LOT-7", child="SN-1"))
>>> _ = store.write("unit", units(ts=[1], serial="SN-1", path="acme/lyon/a/l1/c1/press1",
...                               product="P1", parameter="force_kn", value=[12.0]))
>>> forward(store, "LOT-7").units.column("serial").to_pylist()
['SN-1']
>>> backward(store, "SN-1").lots
('LOT-7',)
"""

from __future__ import annotations

from andon.trace.build import backward, forward, recall
from andon.trace.errors import TraceError, UnknownTraceError
from andon.trace.scope import within_sites
from andon.trace.types import Direction, Recall, Trace

__all__ = [
    "Direction",
    "Recall",
    "Trace",
    "TraceError",
    "UnknownTraceError",
    "backward",
    "forward",
    "recall",
    "within_sites",
]
