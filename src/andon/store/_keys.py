"""Whether a batch repeats a natural key, decided on columns without a row-by-row check."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from andon.records import NATURAL_KEYS, RecordKind

__all__ = ["may_repeat_keys"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(29)


def _numbers(column: pa.ChunkedArray) -> np.ndarray:
    """Return one int64 per row that is equal for equal values of the column."""
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.int64())
    if pa.types.is_integer(column.type):
        return np.asarray(column.to_numpy(), dtype=np.int64)
    encoded = pc.dictionary_encode(column).combine_chunks()
    return np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def may_repeat_keys(kind: RecordKind, table: pa.Table) -> bool:
    """Return ``False`` only when every row of ``table`` has a distinct natural key.

    The key columns are mixed into one 64-bit hash per row and the hashes sorted: distinct
    hashes prove distinct keys. Equal hashes (a repeated key, or very rarely a collision)
    answer ``True``, and the caller deduplicates exactly. The key columns are never null
    (the schema refuses it), so codes need no null handling.
    """
    if table.num_rows < 2:
        return False
    mixed = np.zeros(table.num_rows, dtype=np.uint64)
    for name in NATURAL_KEYS[kind]:
        mixed ^= _numbers(table.column(name)).view(np.uint64)
        mixed *= _GOLDEN
        mixed ^= mixed >> _SHIFT
    mixed.sort()
    return bool((mixed[1:] == mixed[:-1]).any())
