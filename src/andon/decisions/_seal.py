"""The seal of a decision row: SHA-256 over every column of the row as it is stored.

Every audit entry that changes a decision carries the seal of the row it wrote
(``row_sha256`` in its data), so the chain covers the state of each decision and
``andon audit verify`` finds a row changed behind the chain's back by recomputing it.

The sealed bytes are a JSON array of the row's values in table order
(:data:`~andon.store._decision_sql.DECISION_COLUMNS`): text as a JSON string
(``ensure_ascii=False``), integers in decimal, booleans as ``true``/``false``, a missing
value as ``null``, and a float as the decimal of its IEEE 754 bits read as a signed 64-bit
integer (exact, and the same whichever engine or formatter prints it). :func:`row_seal`
makes one seal as a row is written; :func:`row_seals` makes those of a batch read back
with Arrow kernels, so what is left per row is SHA-256 alone.

>>> row = {c: None for c in DECISION_COLUMNS} | {"id": "d1", "version": 1, "shadow": False,
...     "expected_value": 1.5}
>>> row_seal(row) == row_seals(pa.Table.from_pylist([row])).to_pylist()[0]
True
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from collections.abc import Mapping
from json.encoder import encode_basestring
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from andon.decisions._chain import _bytes, _literal, _text
from andon.store._decision_sql import DECISION_COLUMNS

__all__ = ["SEAL_KEY", "row_seal", "row_seals", "seals_in"]

SEAL_KEY = "row_sha256"
"""The key of an audit entry's data that holds the seal of the decision row it wrote."""

FLOATS = frozenset({"expected_value", "value_low", "value_high", "confidence", "realised_value"})
INTEGERS = frozenset(
    {"created_at", "expires_at", "decided_at", "executed_at", "outcome_at", "updated_at", "version"}
)
BOOLEANS = frozenset({"shadow", "outcome_success"})
_STR = pa.string()
_SPACE = 0x20
_PACK, _UNPACK = struct.Struct("<d").pack, struct.Struct("<q").unpack


def _value(name: str, value: Any) -> str:
    if value is None:
        return "null"
    if name in FLOATS:
        return str(_UNPACK(_PACK(float(value)))[0])
    if name in INTEGERS:
        return str(int(value))
    if name in BOOLEANS:
        return "true" if value else "false"
    return encode_basestring(str(value))


def row_seal(row: Mapping[str, Any]) -> str:
    """Return the seal of one decision row (a value for every column, as written)."""
    body = "[" + ",".join(_value(c, row[c]) for c in DECISION_COLUMNS) + "]"
    return hashlib.sha256(body.encode()).hexdigest()


def _column(table: pa.Table, name: str) -> pa.Array:
    """Return one column of a batch as the text of its sealed values (``null`` included)."""
    column = table.column(name).combine_chunks()
    null = pa.scalar("null", _STR)
    if name in FLOATS:
        floats = column.cast(pa.float64())
        bits = floats.fill_null(0.0).to_numpy(zero_copy_only=False).view(np.int64)
        text = pa.array(bits, pa.int64(), mask=floats.is_null().to_numpy(zero_copy_only=False))
        return pc.fill_null(text.cast(_STR), null)
    if name in INTEGERS:
        return pc.fill_null(column.cast(pa.int64()).cast(_STR), null)
    if name in BOOLEANS:
        return pc.fill_null(column.cast(pa.bool_()).cast(_STR), null)
    texts = _text(table, name)
    raw = _bytes(texts)
    if (raw < _SPACE).any():  # a control character: the JSON encoder's own escaper
        values = [None if v is None else encode_basestring(v) for v in texts.to_pylist()]
        return pc.fill_null(pa.array(values, _STR), null)
    return pc.fill_null(_literal(texts, raw), null)


def row_seals(table: pa.Table) -> pa.Array:
    """Return the seal of every decision row of a batch (its columns, any order)."""
    comma = pa.scalar(",", _STR)
    parts: list[pa.Array | pa.Scalar] = [pa.scalar("[", _STR)]
    for index, name in enumerate(DECISION_COLUMNS):
        if index:
            parts.append(comma)
        parts.append(_column(table, name))
    parts.append(pa.scalar("]", _STR))
    joined = pc.binary_join_element_wise(*parts, pa.scalar("", _STR)).cast(pa.binary())
    sha256 = hashlib.sha256
    return pa.array([sha256(body).hexdigest() for body in joined.to_pylist()], _STR)


_NEEDLE = f'"{SEAL_KEY}":"'
_PATTERN = re.escape(_NEEDLE) + '(?P<seal>[0-9a-f]{64})"'


def seals_in(data: pa.Array) -> pa.Array:
    """Return the seal each audit entry's data (canonical JSON text) holds, or null.

    A JSON text holds the key's quoted name followed by ``":"`` only as a key (inside a
    string every quote is escaped); a text that holds it more than once (a nested object
    with that key) is parsed whole, and its top-level key read.
    """
    texts = data.cast(_STR) if data.type != _STR else data
    found = pc.struct_field(pc.extract_regex(texts, _PATTERN), "seal")
    counts = pc.fill_null(pc.count_substring(texts, _NEEDLE), 0).to_numpy(zero_copy_only=False)
    several = counts > 1
    if not several.any():
        return found
    seals = found.to_pylist()
    for index in np.flatnonzero(several).tolist():
        value = json.loads(texts[index].as_py()).get(SEAL_KEY)
        seals[index] = value if isinstance(value, str) else None
    return pa.array(seals, _STR)
