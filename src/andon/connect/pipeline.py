"""Decoded batches to the store: contract check, idempotent write, quarantine, metrics.

Every connector ends here. Good rows of every kind are written first (idempotent by batch
id and natural key), then every quarantined row of the group in one append, so a group
retried after a store failure writes its records once and its quarantine rows once.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from dataclasses import dataclass
from typing import Final

import pyarrow as pa

from andon.connect.decoded import Batch
from andon.connect.metrics import Metrics
from andon.contracts import check
from andon.errors import ContractError
from andon.model import Model
from andon.records import PATH_COLUMNS, RecordKind
from andon.store.base import QUARANTINE_SCHEMA, Store

__all__ = ["Pipeline", "PipelineResult"]

_log: Final = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PipelineResult:
    """What one group did: rows written, already there, and quarantined by reason."""

    written: int
    duplicates: int
    quarantined: dict[str, int]


class Pipeline:
    """Checks decoded batches against the model and writes them to a store.

    ``future_bound_s`` is how far ahead of the clock a timestamp may be before it is
    quarantined (clocks at the edge drift).
    """

    def __init__(
        self,
        *,
        store: Store,
        model: Model,
        metrics: Metrics | None = None,
        future_bound_s: float = 300.0,
    ) -> None:
        self.store: Final = store
        self.model: Final = model
        self.metrics: Final = metrics if metrics is not None else Metrics()
        self.future_bound_s: Final = future_bound_s

    def write(
        self, batch: Batch, *, batch_id: str | None = None, now_us: int | None = None
    ) -> PipelineResult:
        """Check and write one decoded group; raises :class:`StoreError` if the store refuses.

        ``now_us`` is the clock the future bound is measured from (default: the wall
        clock; a simulated source passes its simulated time). On a
        :class:`~andon.errors.StoreError` nothing of the batch is quarantined yet, and
        writing the same batch again (same ``batch_id``) stores every row once.
        """
        if now_us is None:
            now_us = time.time_ns() // 1000
        received = batch.received_at_us
        quarantine: list[pa.Table] = []
        if batch.quarantine.num_rows:
            quarantine.append(batch.quarantine)
        written = duplicates = 0
        for kind, table in batch.tables.items():
            if table.num_rows == 0:
                continue
            try:
                result = check(
                    kind,
                    table,
                    self.model,
                    now_us=now_us,
                    future_bound_s=self.future_bound_s,
                    received_at_us=received,
                )
            except ContractError as exc:
                quarantine.append(_unreadable(kind, table, str(exc), received))
                continue
            if result.quarantined.num_rows:
                quarantine.append(result.quarantined)
            if result.good.num_rows:
                key = None if batch_id is None else f"{batch_id}/{kind.value}"
                outcome = self.store.write(kind, result.good, batch_id=key)
                written += outcome.written
                duplicates += outcome.duplicates
        reasons: Counter[str] = Counter()
        if quarantine:
            rows = pa.concat_tables([t.select(QUARANTINE_SCHEMA.names) for t in quarantine])
            self.store.quarantine(rows)
            reasons.update(rows.column("reason").to_pylist())
            _log.warning(
                "quarantined %d row(s): %s",
                rows.num_rows,
                ", ".join(f"{r} x{n}" for r, n in sorted(reasons.items())),
            )
        self.metrics.written(records=written, duplicates=duplicates)
        self.metrics.quarantined(reasons)
        self.metrics.gauge("lag_s", round((time.time_ns() // 1000 - received) / 1e6, 6))
        return PipelineResult(written, duplicates, dict(reasons))


def _unreadable(kind: RecordKind, table: pa.Table, detail: str, received_us: int) -> pa.Table:
    """Quarantine every row of a batch that cannot be read at all (rare: decoders type it)."""
    rows = table.to_pylist()
    n = len(rows)
    path_column = PATH_COLUMNS.get(kind)
    return pa.Table.from_arrays(
        [
            pa.array([received_us] * n, type=pa.int64()).cast(QUARANTINE_SCHEMA.field(0).type),
            pa.array([kind.value] * n, type=pa.string()),
            pa.array([str(r.get("source")) if r.get("source") else None for r in rows]),
            pa.nulls(n, QUARANTINE_SCHEMA.field("ts").type),
            pa.array(
                [
                    str(r.get(path_column)) if path_column and r.get(path_column) else None
                    for r in rows
                ],
                type=pa.string(),
            ),
            pa.array(["wrong_type"] * n, type=pa.string()),
            pa.array([detail] * n, type=pa.string()),
            pa.array([json.dumps(r, default=str) for r in rows], type=pa.string()),
        ],
        schema=QUARANTINE_SCHEMA,
    )
