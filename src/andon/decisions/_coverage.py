"""Check that the audit chain covers the state of every decision, a table at a time.

The chain check (:mod:`andon.decisions._chain`) proves the entries unchanged; this one
proves the ``decisions`` table agrees with them. Each entry that wrote a decision row holds
that row's seal (:mod:`andon.decisions._seal`); the last seal of each decision must be the
seal of its row as stored now. A row no entry speaks of was written outside andon; a
decision the chain knows with no row was deleted. A decision whose entries all predate
seals (a store written by an older andon) is counted as unsealed, not failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from andon.decisions._seal import row_seals, seals_in

__all__ = ["Coverage", "DecisionBreak", "check", "decision_entries"]

_ENTITY = "decision"


def decision_entries(table: pa.Table) -> pa.Table:
    """Return ``id, seq, seal`` of a batch's entries about decisions (seal null if none)."""
    mine = table.filter(pc.equal(table.column("entity"), _ENTITY))
    return pa.table(
        {
            "id": mine.column("entity_id").cast(pa.string()),
            "seq": mine.column("seq").cast(pa.int64()),
            "seal": seals_in(mine.column("data").combine_chunks()),
        }
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionBreak:
    """The first decision whose row the chain does not vouch for, and why."""

    decision_id: str
    seq: int | None
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Coverage:
    """What the check found: rows checked, decisions unsealed, rows that fail, the first."""

    decisions: int
    unsealed: int
    failed: int
    first: DecisionBreak | None


def _rows(batches: Iterable[pa.Table]) -> pl.DataFrame:
    frames: list[pl.DataFrame] = []
    for batch in batches:
        if batch.num_rows:
            seals = pa.table(
                {"id": batch.column("id").cast(pa.string()), "row_seal": row_seals(batch)}
            )
            frame = pl.from_arrow(seals)
            assert isinstance(frame, pl.DataFrame)
            frames.append(frame)
    if not frames:
        return pl.DataFrame(schema={"id": pl.String, "row_seal": pl.String})
    return pl.concat(frames)


def check(entries: list[pa.Table], rows: Iterable[pa.Table]) -> Coverage:
    """Return how the decision rows (every column, in batches) agree with the chain's
    entries about decisions (:func:`decision_entries` of every batch, in sequence order)."""
    schema = pa.schema([("id", pa.string()), ("seq", pa.int64()), ("seal", pa.string())])
    known = pl.from_arrow(pa.concat_tables([schema.empty_table(), *entries]))
    assert isinstance(known, pl.DataFrame)
    last = known.group_by("id").agg(pl.col("seq").max().alias("last_seq"))
    sealed = (
        known.filter(pl.col("seal").is_not_null())
        .group_by("id", maintain_order=True)
        .agg(pl.col("seq").last().alias("seal_seq"), pl.col("seal").last())
    )
    stored = _rows(rows)
    joined = (
        stored.join(last, on="id", how="full", coalesce=True)
        .join(sealed, on="id", how="left")
        .with_columns(
            written_outside=pl.col("last_seq").is_null(),
            deleted=pl.col("row_seal").is_null() & pl.col("last_seq").is_not_null(),
            unsealed=pl.col("row_seal").is_not_null()
            & pl.col("last_seq").is_not_null()
            & pl.col("seal").is_null(),
        )
        .with_columns(
            changed=pl.col("seal").is_not_null()
            & pl.col("row_seal").is_not_null()
            & (pl.col("seal") != pl.col("row_seal"))
        )
    )
    bad = joined.filter(pl.col("written_outside") | pl.col("deleted") | pl.col("changed")).sort(
        "id"
    )
    first = None
    if bad.height:
        row = bad.row(0, named=True)
        first = _why(row)
    return Coverage(
        decisions=stored.height,
        unsealed=int(joined.get_column("unsealed").sum()),
        failed=bad.height,
        first=first,
    )


def _why(row: dict[str, object]) -> DecisionBreak:
    decision_id = str(row["id"])
    if row["written_outside"]:
        return DecisionBreak(
            decision_id=decision_id,
            seq=None,
            reason=f"decision {decision_id} has no audit entry: its row was written outside andon",
        )
    if row["deleted"]:
        seq = int(str(row["last_seq"]))
        return DecisionBreak(
            decision_id=decision_id,
            seq=seq,
            reason=f"decision {decision_id} is in the chain (last at entry {seq}) "
            "but its row is gone",
        )
    seq = int(str(row["seal_seq"]))
    return DecisionBreak(
        decision_id=decision_id,
        seq=seq,
        reason=f"decision {decision_id}'s row is not the state entry {seq} sealed: "
        "it was changed outside andon",
    )
