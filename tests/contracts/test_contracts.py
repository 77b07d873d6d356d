"""Contracts: every reason of quarantine, per record kind, on the example enterprise."""

from __future__ import annotations

import json
import math

import pyarrow as pa
import pytest

from andon import records
from andon.contracts import CheckResult, Reason, check
from andon.errors import ContractError
from andon.model import Model
from andon.records import RecordKind
from andon.store.base import QUARANTINE_SCHEMA

NOW = 1_800_000_000_000_000  # 2027-01-15, UTC microseconds
LYON_TEMP = "acme/lyon/machining/m1/milling/mill1/spindle_temperature"
BRNO_TEMP = "acme/brno/machining/m1/milling/mill1/spindle_temperature"  # reported in degF
PRESS = "acme/lyon/assembly/a1/pressfit/press1"
STATION = "acme/lyon/assembly/a1/pressfit"
METER = "acme/lyon/assembly/a1/a1_meter"
SITE = "acme/lyon"


def run(kind: RecordKind, table: pa.Table, model: Model, **kwargs: object) -> CheckResult:
    result = check(kind, table, model, now_us=NOW, **kwargs)  # type: ignore[arg-type]
    assert result.good.schema.equals(records.schema_of(kind))
    assert result.quarantined.schema.equals(QUARANTINE_SCHEMA)
    assert result.total == table.num_rows
    return result


def reasons(result: CheckResult) -> list[str]:
    return list(result.quarantined.column("reason").to_pylist())


GOOD_BATCHES = {
    RecordKind.SAMPLE: lambda: records.samples(ts=[NOW], path=LYON_TEMP, value=[41.5]),
    RecordKind.STATE: lambda: records.states(ts=[NOW], path=PRESS, state="running"),
    RecordKind.COUNT: lambda: records.counts(ts=[NOW], path=PRESS, product="GB-200", good=[3]),
    RecordKind.UNIT: lambda: records.units(
        ts=[NOW, NOW],
        serial="SN1",
        path=[STATION, PRESS],
        product="GB-200",
        parameter="press_force",
        value=[22.1, 22.1],
    ),
    RecordKind.GENEALOGY: lambda: records.genealogy(ts=[NOW], parent="LOT7", child="SN1"),
    RecordKind.INSPECTION: lambda: records.inspections(
        ts=[NOW], serial="SN1", path=STATION, test="leak", passed=[True]
    ),
    RecordKind.ORDER: lambda: records.orders(
        ts=[NOW, NOW], order_id="O1", product="GB-400", quantity=[50, 50],
        event=["released", "started"], path=[None, "acme/lyon/assembly/a1"],
    ),
    RecordKind.MAINTENANCE: lambda: records.maintenance(
        ts=[NOW], work_order="WO1", path=PRESS, kind="failure", event="opened",
        failure_mode="seal_leak", parts='{"SEAL-KIT-P": 1}',
    ),
    RecordKind.INVENTORY: lambda: records.inventory(
        ts=[NOW], part="BRG-7014", site=SITE, on_hand=[4]
    ),
    RecordKind.ENERGY: lambda: records.energy(ts=[NOW], path=METER, kwh=[12.5], interval_s=900),
    RecordKind.TARIFF: lambda: records.tariffs(
        ts=[NOW], site=SITE, price_per_kwh=-0.01, gco2e_per_kwh=40
    ),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(RecordKind))
def test_a_good_batch_of_every_kind_passes_whole(kind: RecordKind, example_model: Model) -> None:
    table = GOOD_BATCHES[kind]()
    result = run(kind, table, example_model)
    assert result.quarantined.num_rows == 0
    assert result.good.equals(table)


UNKNOWN = {
    RecordKind.SAMPLE: lambda: records.samples(ts=[NOW], path=PRESS, value=[1.0]),
    RecordKind.STATE: lambda: records.states(ts=[NOW], path=STATION, state="idle"),
    RecordKind.COUNT: lambda: records.counts(ts=[NOW], path=PRESS, product="GB-999", good=1),
    RecordKind.UNIT: lambda: records.units(
        ts=[NOW], serial="S", path="acme/lyon/assembly", product="GB-200",
        parameter="p", value=[1.0],
    ),
    RecordKind.INSPECTION: lambda: records.inspections(
        ts=[NOW], serial="S", path=LYON_TEMP, test="t", passed=[False]
    ),
    RecordKind.ORDER: lambda: records.orders(
        ts=[NOW], order_id="O", product="GB-200", quantity=1, event="started",
        path=["acme/lyon/assembly/a9"],
    ),
    RecordKind.MAINTENANCE: lambda: records.maintenance(
        ts=[NOW], work_order="W", path=PRESS, kind="failure", event="opened",
        failure_mode="spindle_bearing",
    ),
    RecordKind.INVENTORY: lambda: records.inventory(
        ts=[NOW], part="NO-SUCH-PART", site=SITE, on_hand=1
    ),
    RecordKind.ENERGY: lambda: records.energy(ts=[NOW], path=PRESS, kwh=[1.0], interval_s=900),
    RecordKind.TARIFF: lambda: records.tariffs(
        ts=[NOW], site="acme/paris", price_per_kwh=0.1, gco2e_per_kwh=50
    ),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(UNKNOWN))
def test_a_path_the_model_does_not_know_is_quarantined(
    kind: RecordKind, example_model: Model
) -> None:
    result = run(kind, UNKNOWN[kind](), example_model)
    assert reasons(result) == ["unknown_path"]
    assert "not" in result.quarantined.column("detail")[0].as_py()


def test_missing_and_uncastable_columns_are_all_listed(example_model: Model) -> None:
    table = pa.table(
        {
            "ts": pa.array([NOW], pa.int64()),
            "path": [LYON_TEMP],
            "value": pa.array([[1.0]], pa.list_(pa.float64())),
        }
    )
    with pytest.raises(ContractError) as caught:
        check(RecordKind.SAMPLE, table, example_model, now_us=NOW)
    problems = caught.value.problems
    assert {p.code for p in problems} == {"batch.missing_column", "batch.wrong_type"}
    text = str(caught.value)
    assert "'source'" in text
    assert "'seq'" in text
    assert "'quality'" in text
    assert "'value'" in text


def test_naive_timestamps_are_refused(example_model: Model) -> None:
    table = records.samples(ts=[NOW], path=LYON_TEMP, value=[1.0])
    table = table.set_column(0, "ts", table.column("ts").cast(pa.timestamp("us")))
    with pytest.raises(ContractError, match="time zone"):
        check(RecordKind.SAMPLE, table, example_model, now_us=NOW)


def test_integer_and_iso_text_times_are_read(example_model: Model) -> None:
    table = records.samples(ts=[NOW, NOW], path=LYON_TEMP, value=[1.0, 2.0])
    as_int = table.set_column(0, "ts", pa.array([NOW, NOW + 1], pa.int64()))
    assert run(RecordKind.SAMPLE, as_int, example_model).good.num_rows == 2
    as_text = table.set_column(0, "ts", pa.array(["2027-01-15T08:00:00Z"] * 2))
    good = run(RecordKind.SAMPLE, as_text, example_model, future_bound_s=1e9).good
    assert good.column("ts")[0].as_py().hour == 8


def test_a_string_in_a_float_column_quarantines_that_row_only(example_model: Model) -> None:
    table = pa.table(
        {
            "ts": pa.array([NOW, NOW + 1, NOW + 2], pa.int64()),
            "source": ["plc"] * 3,
            "seq": [0, 1, 2],
            "path": [LYON_TEMP] * 3,
            "value": ["41.5", "broken", " 42 "],
            "quality": ["good"] * 3,
        }
    )
    result = run(RecordKind.SAMPLE, table, example_model)
    assert result.good.column("value").to_pylist() == [41.5, 42.0]
    assert reasons(result) == ["wrong_type"]
    row = result.quarantined.to_pylist()[0]
    assert "'broken'" in row["detail"]
    assert json.loads(row["record"])["value"] == "broken"
    assert row["path"] == LYON_TEMP
    assert row["source"] == "plc"


def test_a_fractional_count_quarantines_that_row_only(example_model: Model) -> None:
    table = records.counts(ts=[NOW, NOW + 1], path=PRESS, product="GB-200", good=[1, 2])
    table = table.set_column(5, "good", pa.array([1.0, 2.5]))
    result = run(RecordKind.COUNT, table, example_model)
    assert result.good.column("good").to_pylist() == [1]
    assert reasons(result) == ["wrong_type"]


def test_an_empty_required_value_is_wrong_type(example_model: Model) -> None:
    table = records.states(ts=[NOW, NOW + 1], path=PRESS, state="idle")
    table = table.set_column(3, "path", pa.array([PRESS, None]))
    result = run(RecordKind.STATE, table, example_model)
    assert reasons(result) == ["wrong_type"]
    assert "required column 'path'" in result.quarantined.column("detail")[0].as_py()


def test_a_tag_reported_in_another_unit_is_converted(example_model: Model) -> None:
    table = records.samples(ts=[NOW], path=BRNO_TEMP, value=[212.0])  # degF at the source
    result = run(RecordKind.SAMPLE, table, example_model)
    assert result.good.column("value")[0].as_py() == pytest.approx(100.0)


def test_a_unit_column_converts_or_quarantines(example_model: Model) -> None:
    table = records.samples(
        ts=[NOW, NOW + 1, NOW + 2, NOW + 3], path=LYON_TEMP, value=[212.0, 50.0, 5.0, 40.0]
    )
    table = table.append_column("unit", pa.array(["degF", "degC", "bar", None]))
    result = run(RecordKind.SAMPLE, table, example_model)
    assert result.good.column("value").to_pylist() == pytest.approx([100.0, 50.0, 40.0])
    assert reasons(result) == ["unit_mismatch"]
    row = result.quarantined.to_pylist()[0]
    assert "'bar'" in row["detail"]
    assert "degC" in row["detail"]
    assert json.loads(row["record"])["unit"] == "bar"


def test_values_outside_the_range_or_not_finite_are_out_of_range(example_model: Model) -> None:
    values = [149.0, 151.0, -11.0, math.nan, math.inf, None]
    table = records.samples(ts=[NOW + i for i in range(6)], path=LYON_TEMP, value=values)
    result = run(RecordKind.SAMPLE, table, example_model)
    assert result.good.column("value").to_pylist() == [149.0, None]
    assert reasons(result) == ["out_of_range"] * 4
    records_json = [json.loads(r) for r in result.quarantined.column("record").to_pylist()]
    assert [r["value"] for r in records_json] == [151.0, -11.0, "nan", "inf"]
    detail = result.quarantined.column("detail")[0].as_py()
    assert detail == "value 151.0 degC is outside the tag's valid range [-10.0, 150.0]"


def test_range_is_checked_after_conversion(example_model: Model) -> None:
    # 310 degF is 154 degC, above the class's 150 degC although 310 < 150 is false anyway;
    # 290 degF is 143 degC: inside. Values in degF above 150 must not be refused as such.
    table = records.samples(ts=[NOW, NOW + 1], path=BRNO_TEMP, value=[290.0, 310.0])
    result = run(RecordKind.SAMPLE, table, example_model)
    assert result.good.num_rows == 1
    assert reasons(result) == ["out_of_range"]


def test_times_beyond_the_future_bound_are_quarantined(example_model: Model) -> None:
    table = records.samples(
        ts=[NOW + 299_000_000, NOW + 301_000_000], path=LYON_TEMP, value=[1.0, 1.0]
    )
    result = run(RecordKind.SAMPLE, table, example_model)
    assert reasons(result) == ["future"]
    wider = run(RecordKind.SAMPLE, table, example_model, future_bound_s=3600)
    assert wider.quarantined.num_rows == 0


def test_duplicates_keep_the_first_row(example_model: Model) -> None:
    table = records.samples(
        ts=[NOW, NOW, NOW, NOW], path=LYON_TEMP, value=[1.0, 2.0, 3.0, 4.0], seq=[0, 0, 1, 0]
    )
    result = run(RecordKind.SAMPLE, table, example_model)
    assert result.good.column("value").to_pylist() == [1.0, 3.0]
    assert reasons(result) == ["duplicate", "duplicate"]
    other_source = table.set_column(1, "source", pa.array(["a", "b", "a", "a"]))
    assert run(RecordKind.SAMPLE, other_source, example_model).good.num_rows == 3


def test_a_bad_row_does_not_hide_a_good_duplicate(example_model: Model) -> None:
    table = records.samples(ts=[NOW, NOW], path=LYON_TEMP, value=[999.0, 20.0], seq=[0, 0])
    result = run(RecordKind.SAMPLE, table, example_model)
    assert result.good.column("value").to_pylist() == [20.0]
    assert reasons(result) == ["out_of_range"]


def test_unknown_enum_values_are_bad_enum(example_model: Model) -> None:
    samples = records.samples(ts=[NOW, NOW + 1], path=LYON_TEMP, value=1.0, quality="good")
    samples = samples.set_column(5, "quality", pa.array(["good", "GOOD"]))
    assert reasons(run(RecordKind.SAMPLE, samples, example_model)) == ["bad_enum"]
    states = records.states(ts=[NOW], path=PRESS, state="broken")
    assert reasons(run(RecordKind.STATE, states, example_model)) == ["bad_enum"]
    work = records.maintenance(ts=[NOW], work_order="W", path=PRESS, kind="oops", event="opened")
    assert reasons(run(RecordKind.MAINTENANCE, work, example_model)) == ["bad_enum"]
    order = records.orders(ts=[NOW], order_id="O", product="GB-200", quantity=1, event="paused")
    assert reasons(run(RecordKind.ORDER, order, example_model)) == ["bad_enum"]


def test_negative_counts_and_quantities_are_out_of_range(example_model: Model) -> None:
    count = records.counts(ts=[NOW, NOW + 1], path=PRESS, product="GB-200", good=[2, -1])
    assert reasons(run(RecordKind.COUNT, count, example_model)) == ["out_of_range"]
    stock = records.inventory(ts=[NOW], part="BRG-7014", site=SITE, on_hand=-2)
    assert reasons(run(RecordKind.INVENTORY, stock, example_model)) == ["out_of_range"]
    meter = records.energy(ts=[NOW, NOW + 1], path=METER, kwh=[-1.0, 1.0], interval_s=[900, 0])
    assert reasons(run(RecordKind.ENERGY, meter, example_model)) == ["out_of_range"] * 2


def test_first_reason_wins_and_quarantine_keeps_input_order(example_model: Model) -> None:
    table = records.samples(
        ts=[NOW + 10**12, NOW, NOW + 2],
        path=[LYON_TEMP, "acme/nowhere", LYON_TEMP],
        value=[999.0, 1.0, 1.0],
        quality=["good", "good", "weird"],
        source="plc",
    )
    result = run(RecordKind.SAMPLE, table, example_model, received_at_us=NOW + 5)
    assert reasons(result) == ["future", "unknown_path", "bad_enum"]
    received = {t.as_py() for t in result.quarantined.column("received_at").cast(pa.int64())}
    assert received == {NOW + 5}
    assert result.reasons() == {"bad_enum": 1, "future": 1, "unknown_path": 1}
    assert set(result.reasons()) <= {reason.value for reason in Reason}


def test_extra_columns_are_dropped_from_good_kept_in_quarantine(example_model: Model) -> None:
    table = records.samples(ts=[NOW, NOW + 1], path=LYON_TEMP, value=[1.0, 900.0])
    table = table.append_column("plc_comment", pa.array(["ok", "sensor loose"]))
    result = run(RecordKind.SAMPLE, table, example_model)
    assert result.good.column_names == records.schema_of(RecordKind.SAMPLE).names
    assert json.loads(result.quarantined.column("record")[0].as_py())["plc_comment"] == (
        "sensor loose"
    )


def test_chunked_and_record_batch_input(example_model: Model) -> None:
    first = records.samples(ts=[NOW], path=LYON_TEMP, value=[1.0], seq=[0])
    second = records.samples(ts=[NOW], path=LYON_TEMP, value=[2.0], seq=[0])
    chunked = pa.concat_tables([first, second])
    assert chunked.column("value").num_chunks == 2
    result = run(RecordKind.SAMPLE, chunked, example_model)
    assert reasons(result) == ["duplicate"]
    batch = first.to_batches()[0]
    assert check(RecordKind.SAMPLE, batch, example_model, now_us=NOW).good.num_rows == 1


def test_an_empty_batch_checks_to_empty_tables(example_model: Model) -> None:
    result = run(RecordKind.SAMPLE, records.empty(RecordKind.SAMPLE), example_model)
    assert result.good.num_rows == 0
    assert result.quarantined.num_rows == 0
