"""Property: any sequence of overlapping batches, in any order, repeated, stores their union."""

from __future__ import annotations

import hashlib
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from andon import records
from andon.records import RecordKind
from andon.store import Store

T0 = 1_700_000_000_000_000
_examples = itertools.count()

Key = tuple[int, int, int]  # tag index, second, sequence number
keys = st.tuples(st.integers(0, 2), st.integers(0, 15), st.integers(0, 1))
batches = st.lists(st.lists(keys, min_size=1, max_size=12), min_size=1, max_size=6)


def _table(prefix: str, batch: list[Key]) -> records.pa.Table:
    return records.samples(
        ts=[T0 + second * 1_000_000 for _, second, _ in batch],
        path=[f"{prefix}/t{tag}" for tag, _, _ in batch],
        # The value follows from the key: a record delivered twice is the same record.
        value=[tag * 100.0 + second + seq / 10 for tag, second, seq in batch],
        seq=[seq for _, _, seq in batch],
        source="replay",
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    batches=batches,
    repeats=st.lists(st.integers(0, 5), max_size=4),
    with_ids=st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_stored_set_is_the_union_of_distinct_keys(
    store: Store, batches: list[list[Key]], repeats: list[int], with_ids: list[bool]
) -> None:
    prefix = f"ex{next(_examples)}"  # each example in its own part of the tree
    order = list(range(len(batches))) + [r for r in repeats if r < len(batches)]
    written = 0
    for index in order:
        batch = batches[index]
        batch_id = None
        if with_ids[index]:
            # A batch id names content, as a connector's message id does.
            batch_id = prefix + hashlib.sha256(repr(batch).encode()).hexdigest()[:16]
        written += store.write(RecordKind.SAMPLE, _table(prefix, batch), batch_id=batch_id).written
    union = {key for batch in batches for key in batch}
    stored = store.records(RecordKind.SAMPLE, path_prefix=prefix)
    got = {
        (int(path.rsplit("t", 1)[1]), (ts.value - T0) // 1_000_000, seq)
        for path, ts, seq in zip(
            stored.column("path").to_pylist(),
            stored.column("ts"),
            stored.column("seq").to_pylist(),
            strict=True,
        )
    }
    assert got == union
    assert stored.num_rows == len(union)
    assert written == len(union)
    expected = {tag * 100.0 + second + seq / 10 for tag, second, seq in union}
    assert set(stored.column("value").to_pylist()) == expected
