"""MQTT Unified Namespace messages from record batches: pure functions, no network.

Topic = element path + ``/`` + record kind (+ ``/`` + tag name for samples); payload = UTF-8
JSON ``{"records": [...]}`` with every column of the kind, ``ts`` as ISO 8601 UTC with
microseconds. The element of each kind is its path column (``andon.records.PATH_COLUMNS``):
the tag's equipment for samples, the site for tariffs and inventory, the enterprise for
genealogy.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from andon.records import PATH_COLUMNS, RecordKind

__all__ = ["topic_for", "uns_messages"]


def topic_for(kind: RecordKind, element: str, root: str) -> str:
    """Return the UNS topic of a record of ``kind`` whose path column holds ``element``."""
    kind = RecordKind(kind)
    if kind is RecordKind.SAMPLE:
        equipment, tag = element.rsplit("/", 1)
        return f"{equipment}/sample/{tag}"
    if kind is RecordKind.GENEALOGY or not element:
        return f"{root}/{kind.value}"
    return f"{element}/{kind.value}"


def _column_values(table: pa.Table) -> dict[str, list[Any]]:
    values: dict[str, list[Any]] = {}
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_timestamp(column.type):
            column = pc.strftime(column, format="%Y-%m-%dT%H:%M:%SZ")
        values[name] = column.to_pylist()
    return values


def uns_messages(
    kind: RecordKind, table: pa.Table, *, root: str, max_records: int = 5000
) -> list[tuple[str, bytes]]:
    """Return ``(topic, payload)`` pairs for a batch: one message per topic (split when long)."""
    kind = RecordKind(kind)
    if table.num_rows == 0:
        return []
    path_column = PATH_COLUMNS.get(kind)
    if path_column is None:
        groups = {f"{root}/{kind.value}": np.arange(table.num_rows)}
    else:
        encoded = pc.dictionary_encode(table.column(path_column).combine_chunks())
        indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        dictionary = encoded.dictionary.to_pylist()
        order = np.argsort(indices, kind="stable")
        cuts = np.flatnonzero(np.diff(indices[order])) + 1
        groups = {}
        for rows in np.split(order, cuts):
            code = int(indices[rows[0]])
            element = dictionary[code] if code >= 0 else ""
            groups[topic_for(kind, element or "", root)] = rows
    values = _column_values(table)
    names = list(values)
    messages: list[tuple[str, bytes]] = []
    for topic, rows in groups.items():
        for start in range(0, rows.size, max_records):
            part = rows[start : start + max_records]
            records = [{name: values[name][i] for name in names} for i in part.tolist()]
            payload = json.dumps({"records": records}, separators=(",", ":"), allow_nan=False)
            messages.append((topic, payload.encode()))
    return messages
