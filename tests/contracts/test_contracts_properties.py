"""Properties of the contract check that must hold for any batch (hypothesis)."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from andon import records
from andon.contracts import check
from andon.model import Model
from andon.records import NATURAL_KEYS, RecordKind

NOW = 1_800_000_000_000_000
LYON_TEMP = "acme/lyon/machining/m1/milling/mill1/spindle_temperature"  # degC, -10..150
BRNO_TEMP = "acme/brno/machining/m1/milling/mill1/spindle_temperature"  # degF at the source
PRESSURE = "acme/lyon/assembly/a1/pressfit/press1/hydraulic_pressure"  # bar, 0..320
PATHS = [LYON_TEMP, BRNO_TEMP, PRESSURE, "acme/lyon/nowhere/tag"]

rows = st.lists(
    st.tuples(
        st.integers(min_value=-3, max_value=3),  # ts offset, seconds; 3 s > bound of 2 s
        st.sampled_from(["plc1", "plc2"]),
        st.integers(min_value=0, max_value=2),  # seq: collisions make duplicates
        st.sampled_from(PATHS),
        st.one_of(
            st.none(),
            st.floats(allow_nan=True, allow_infinity=True, width=64),
            st.sampled_from([0.0, 100.0, 150.0, 151.0, -10.0, 320.0, 302.0, 303.0]),
        ),
        st.sampled_from(["good", "good", "bad", "uncertain", "stale"]),
    ),
    max_size=40,
)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def table_of(batch: list[tuple[Any, ...]]) -> pa.Table:
    if not batch:
        return records.empty(RecordKind.SAMPLE)
    offset, source, seq, path, value, quality = zip(*batch, strict=True)
    return records.samples(
        ts=[NOW + s * 1_000_000 for s in offset],
        source=list(source),
        seq=list(seq),
        path=list(path),
        value=list(value),
        quality=list(quality),
    )


def run(table: pa.Table, model: Model) -> Any:
    return check(RecordKind.SAMPLE, table, model, now_us=NOW, future_bound_s=2.0)


def expected_reason(row: dict[str, Any], model: Model) -> str | None:
    """A plain per-row reading of the contract, to compare the vectorised one with."""
    if row["quality"] not in {"good", "bad", "uncertain"}:
        return "bad_enum"
    tag = model.tags.get(row["path"])
    if tag is None:
        return "unknown_path"
    ts = row["ts"].timestamp() * 1e6
    if ts > NOW + 2_000_000:
        return "future"
    value = row["value"]
    if value is None:
        return None
    converted = value * tag.scale + tag.offset
    low, high = tag.definition.min, tag.definition.max
    if (
        not math.isfinite(converted)
        or (low is not None and converted < low)
        or (high is not None and converted > high)
    ):
        return "out_of_range"
    return None


def key_counts(table: pa.Table) -> Counter[tuple[Any, ...]]:
    keys = NATURAL_KEYS[RecordKind.SAMPLE]
    return Counter(tuple(row[k] for k in keys) for row in table.select(list(keys)).to_pylist())


@SETTINGS
@given(batch=rows)
def test_rows_are_conserved_and_match_a_plain_reading(
    batch: list[tuple[Any, ...]], example_model: Model
) -> None:
    table = table_of(batch)
    result = run(table, example_model)
    assert result.good.num_rows + result.quarantined.num_rows == table.num_rows
    expected: Counter[str] = Counter()
    seen: set[tuple[Any, ...]] = set()
    keys = NATURAL_KEYS[RecordKind.SAMPLE]
    for row in table.to_pylist():
        reason = expected_reason(row, example_model)
        if reason is None:
            key = tuple(row[k] for k in keys)
            reason = "duplicate" if key in seen else None
            seen.add(key)
        if reason is not None:
            expected[reason] += 1
    assert result.reasons() == dict(sorted(expected.items()))


@SETTINGS
@given(batch=rows)
def test_every_good_row_passes_and_checking_again_changes_nothing(
    batch: list[tuple[Any, ...]], example_model: Model
) -> None:
    good = run(table_of(batch), example_model).good
    for row in good.to_pylist():
        assert row["path"] in example_model.tags
        assert row["quality"] in {"good", "bad", "uncertain"}
        tag = example_model.tags[row["path"]]
        if row["value"] is not None:
            assert tag.definition.min is None or row["value"] >= tag.definition.min - 1e-9
            assert tag.definition.max is None or row["value"] <= tag.definition.max + 1e-9
    assert max(key_counts(good).values(), default=1) == 1
    again = run(good, example_model)
    assert again.quarantined.num_rows == 0
    assert again.good.equals(good)


@SETTINGS
@given(batch=rows, data=st.data())
def test_order_of_the_batch_does_not_change_the_outcome(
    batch: list[tuple[Any, ...]], data: st.DataObject, example_model: Model
) -> None:
    shuffled = data.draw(st.permutations(batch))
    first = run(table_of(batch), example_model)
    second = run(table_of(list(shuffled)), example_model)
    assert first.reasons() == second.reasons()
    assert key_counts(first.good) == key_counts(second.good)
