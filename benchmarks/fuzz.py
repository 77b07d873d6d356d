# ruff: noqa: PLC0415, ARG002, E501, RUF012, SIM105 - workers import each decoder lazily
"""Long fuzz runs of every decoder and loader: inputs tried and failures, as JSON on stdout.

The rule checked on every input (as the small-budget hypothesis tests of ``tests/fuzz``
check it): an input is stored, quarantined with a reason, or refused with an
:class:`~andon.errors.AndonError`. Anything else is a failure, of one of four kinds:

* ``crash``: the process running the decoder died (a segfault inside a native library);
* ``hang``: one input took more CPU seconds than ``--time-bound-s``, or gave no answer in
  ``max(10, 5 x bound)`` wall seconds (the worker is then killed and started again);
* ``stall``: an exception that is not an ``AndonError`` escaped: a source puts the group
  back and retries it for ever, so nothing after it is written;
* ``wrong``: a silent wrong value: a well-formed input with known values decoded to other
  values, a sample stored before 1970, a value-less Sparkplug sample marked good (a UNS
  ``null`` value is documented as "no value"), a quarantine row without its reason, a row
  lost between the decoder and the contract check.

Targets: ``uns`` (UNS JSON messages, ``UnsDecoder.decode``), ``sparkplug`` (births, deaths
and data through one ``SparkplugHost``), ``spb_wire`` (the columnar Sparkplug reader),
``csv`` and ``parquet`` (the historian file reader), ``yaml`` (the plant model loader).
Each runs in a worker process of its own, so that a crash is seen and counted, and the
worker starts again after the input that killed it. Inputs are made from a seed corpus
drawn from the hypothesis strategies of ``tests/fuzz`` (when the tests are there) and from
andon's own examples, by byte and structure mutations, deterministically from ``--seed``
and the input's number, so that a failure's input is reported and can be replayed.

The baseline, measured in the same run, is each target's rate on its unmutated seeds; the
fuzz rate is reported beside it as a ratio. CPU seconds (of every worker) beside wall.

Usage: nice python benchmarks/fuzz.py [--seconds 60] [--inputs N] [--targets uns,csv]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import multiprocessing as mp
import os
import queue
import random
import resource
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EQ = "acme/lyon/machining/m1/milling/mill1"
TEMP = f"{EQ}/spindle_temperature"
DEVICE = "acme:lyon:machining:m1:milling:mill1"
GROUP = "fz"
NOW_US = 1_800_000_000_000_000
TARGETS = ("uns", "sparkplug", "spb_wire", "csv", "parquet", "yaml")
SEEDS_PER_TARGET = 300
FAILURES_KEPT = 20
"""Failures reported in full (with their input) per target and kind; all are counted."""

INTERESTING = [
    b"",
    b"0",
    b"-0",
    b"-1",
    b"1e999",
    b"-1e999",
    b"NaN",
    b"null",
    b"true",
    b"[]",
    b"{}",
    b"[[[[[[[[",
    b'"\\ud800"',
    b"\xc9\xff",
    b"\x00",
    b"1" + b"7" * 5000,
    b"18446744073709551616",
    b"9223372036854775808",
    b"1700000000000",
    b"1.7e18",
    b'"ms"',
    b'"ns"',
    b'"2026-01-05T06:00:00Z"',
    b'"bad"',
    b"\xff" * 8,
]


class Wrong(Exception):  # noqa: N818 - a failure kind, named as the report names it
    """A silent wrong value: the input was taken, but what came out is not what went in."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one input became: ``stored``, ``quarantined`` or ``refused``."""

    kind: str


STORED, QUARANTINED, REFUSED = Outcome("stored"), Outcome("quarantined"), Outcome("refused")


# --- mutations ------------------------------------------------------------------------------


def mutate(data: bytes, rng: random.Random, corpus: Sequence[bytes]) -> bytes:
    """Return ``data`` with one to four random byte or chunk mutations."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        how = rng.randrange(8)
        at = rng.randint(0, len(out))
        if how == 0 and out:  # flip bits of a byte
            at = min(at, len(out) - 1)
            out[at] ^= 1 << rng.randrange(8)
        elif how == 1 and out:  # set a byte
            out[min(at, len(out) - 1)] = rng.randrange(256)
        elif how == 2:  # insert random bytes
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif how == 3 and out:  # delete a chunk
            out[at : at + rng.randint(1, 16)] = b""
        elif how == 4 and out:  # repeat a chunk
            end = min(len(out), at + rng.randint(1, 32))
            out[at:at] = out[at:end] * rng.randint(1, 8)
        elif how == 5:  # an interesting token
            token = rng.choice(INTERESTING)
            out[at : at + rng.randint(0, 6)] = token
        elif how == 6 and corpus:  # splice with another seed
            other = rng.choice(corpus)
            cut = rng.randint(0, len(other))
            out = out[:at] + bytearray(other[cut:])
        else:  # cut short
            out = out[:at]
    return bytes(out)


def _seeded(seed: int, salt: int, index: int) -> random.Random:
    return random.Random((seed * 1_000_003 + salt) * 10_000_019 + index)


# --- targets --------------------------------------------------------------------------------


class Target:
    """One decoder or loader: makes inputs, runs one, checks what came out."""

    name = ""
    salt = 0

    def seeds(self, rng: random.Random) -> list[Any]:
        """Return the seed corpus (built in the parent, so inputs can be replayed)."""
        raise NotImplementedError

    def setup(self) -> None:
        """Build what running needs (in the worker)."""

    def make(self, rng: random.Random, corpus: Sequence[Any], *, fuzz: bool) -> Any:
        """Return one input: a seed as it is (``fuzz`` false), else a mutated or known one."""
        raise NotImplementedError

    def run(self, item: Any) -> Outcome:
        """Run one input; raise :class:`Wrong` for a silent wrong value."""
        raise NotImplementedError

    def describe(self, item: Any) -> Any:
        """Return the input as JSON (bytes as base64)."""
        return _jsonable(item)


def _jsonable(item: Any) -> Any:
    if isinstance(item, bytes):
        return {"b64": base64.b64encode(item[:4096]).decode(), "bytes": len(item)}
    if isinstance(item, str):
        return item[:4096]
    if isinstance(item, (list, tuple)):
        return [_jsonable(x) for x in item[:16]]
    if isinstance(item, dict):
        return {str(k): _jsonable(v) for k, v in list(item.items())[:16]}
    return repr(item)[:4096]


def _hypothesis_seeds(module: str, names: Sequence[str], count: int) -> list[Any]:
    """Draw ``count`` examples of a strategy of ``tests/fuzz`` (none when absent)."""
    import importlib.util

    file = ROOT / "tests" / "fuzz" / f"{module}.py"
    if not file.exists():
        return []
    try:
        spec = importlib.util.spec_from_file_location(f"andon_fuzz_seeds_{module}", file)
        if spec is None or spec.loader is None:
            return []
        imported = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(imported)
        from hypothesis import strategies as st

        parts = [
            getattr(imported, n.removesuffix("()"))() if n.endswith("()") else getattr(imported, n)
            for n in names
        ]
        strategy = st.tuples(*parts)
    except Exception:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [strategy.example() for _ in range(count)]


def _model() -> Any:
    from andon.model import load_model

    return load_model(ROOT / "examples" / "discrete")


def _check_decoded(
    decoded: Any, model: Any, *, messages: int, reason_prefix: str = "", null_is_bad: bool = False
) -> Outcome:
    """The rule after a decoder: reasons on every reject, a batch that round-trips, the
    contract check keeps every row, no sample before 1970 or value-less and good."""
    import numpy as np

    from andon.connect.decoded import Batch
    from andon.contracts import check
    from andon.records import RecordKind

    # A message is quarantined once per reason: one whose metrics fail for two reasons
    # (an alias no birth announced, a value of the wrong type) gives a row for each, each
    # naming its metrics; more rows of one reason than messages would be a duplicate.
    by_reason: dict[str, int] = {}
    for reject in decoded.rejected:
        by_reason[reject.reason] = by_reason.get(reject.reason, 0) + 1
    for reason, count in by_reason.items():
        if count > messages:
            raise Wrong(f"{count} rejects for {reason} of {messages} messages")
    for reject in decoded.rejected:
        if not reject.reason or not reject.detail or not reject.reason.startswith(reason_prefix):
            raise Wrong(f"a reject without a reason or detail: {reject.reason!r}")
    batch = Batch.of(decoded, received_at_us=NOW_US - 1)
    again = Batch.from_bytes(batch.to_bytes())
    if again.rows != batch.rows:
        raise Wrong(f"a batch of {batch.rows} rows read back as {again.rows}")
    for kind, table in decoded.tables.items():
        checked = check(kind, table, model, now_us=NOW_US)
        if checked.total != table.num_rows:
            raise Wrong(f"{kind}: {table.num_rows} rows checked into {checked.total}")
        if kind is RecordKind.SAMPLE and table.num_rows:
            ts = table.column("ts").cast("int64").to_numpy(zero_copy_only=False)
            if ts.min() < 0:
                raise Wrong(f"a sample at {ts.min()} us, before 1970")
            values = table.column("value").to_numpy(zero_copy_only=False)
            good = np.array([q == "good" for q in table.column("quality").to_pylist()])
            if null_is_bad and (np.isnan(values.astype(float)) & good).any():
                raise Wrong("a value-less sample marked good")
    if decoded.rejected:
        return QUARANTINED if decoded.rows == 0 else STORED
    return STORED


class Uns(Target):
    """UNS JSON messages through ``UnsDecoder.decode`` and the contract check."""

    name, salt = "uns", 1
    TOPICS = (
        f"{EQ}/sample/spindle_temperature",
        f"{EQ}/sample/spindle_vibration",
        f"{EQ}/state",
        f"{EQ}/count",
        f"{EQ}/maintenance",
        "acme/genealogy",
        "acme/lyon/nowhere/sample/x",
    )

    def seeds(self, rng: random.Random) -> list[Any]:
        drawn = _hypothesis_seeds("test_fuzz_uns", ["topics", "payloads()"], SEEDS_PER_TARGET)
        own = [
            (TEMP.replace("spindle_temperature", "sample/spindle_temperature"), p)
            for p in (
                b'{"ts": [1700000000000, 1700000001000], "value": [1.5, 2.5], "ts_unit": "ms"}',
                b'{"ts": 1700000000, "value": 3, "ts_unit": "s", "quality": "good"}',
                b'{"ts": "2026-01-05T06:00:00Z", "value": 20.5, "unit": "degC"}',
            )
        ]
        own += [
            (f"{EQ}/state", b'{"ts": 1700000000000, "state": "running", "reason": "x"}'),
            (f"{EQ}/count", b'{"ts": 1700000000000, "good": 3, "total": 4}'),
        ]
        return [(str(t), bytes(p)) for t, p in drawn] + own

    def setup(self) -> None:
        from andon.connect.uns import UnsDecoder

        self.model = _model()
        self.decoder = UnsDecoder(source="fuzz")

    def make(self, rng: random.Random, corpus: Sequence[Any], *, fuzz: bool) -> Any:
        if not fuzz:
            return ("plain", [rng.choice(corpus)])
        if rng.random() < 0.2:
            return ("known", [self._known(rng)])
        messages = []
        for _ in range(rng.randint(1, 4)):
            topic, payload = rng.choice(corpus)
            if rng.random() < 0.3:
                topic = rng.choice(self.TOPICS)
            if rng.random() < 0.8:
                payload = mutate(payload, rng, [p for _, p in corpus[:50]])
            messages.append((topic, payload))
        return ("fuzz", messages)

    @staticmethod
    def _known(rng: random.Random) -> tuple[str, bytes]:
        n = rng.randint(1, 5)
        start = rng.randint(1_600_000_000_000, 1_750_000_000_000)
        ts = [start + 1000 * i for i in range(n)]
        values = [
            rng.choice([rng.uniform(-1e6, 1e6), float(rng.randint(-(2**40), 2**40)), 0.0, -0.0])
            for _ in range(n)
        ]
        body = json.dumps({"ts": ts, "value": values, "ts_unit": "ms"}).encode()
        return f"{EQ}/sample/spindle_temperature", body

    def run(self, item: Any) -> Outcome:
        from andon.errors import AndonError
        from andon.records import RecordKind

        how, messages = item
        try:
            decoded = self.decoder.decode(messages)
        except AndonError:
            return REFUSED
        outcome = _check_decoded(decoded, self.model, messages=len(set(messages)), null_is_bad=True)
        if how == "known":
            document = json.loads(messages[0][1])
            samples = decoded.tables.get(RecordKind.SAMPLE)
            got = (
                []
                if samples is None
                else list(
                    zip(
                        samples.column("ts").cast("int64").to_pylist(),
                        samples.column("value").to_pylist(),
                        strict=True,
                    )
                )
            )
            want = [
                (t * 1000, float(v)) for t, v in zip(document["ts"], document["value"], strict=True)
            ]
            if decoded.rejected or got != want:
                raise Wrong(f"known samples {want} decoded as {got}, rejects {decoded.rejected}")
        return outcome


class Sparkplug(Target):
    """Sparkplug B births, deaths and data through one ``SparkplugHost``."""

    name, salt = "sparkplug", 2
    # datatype -> (value field, a value drawer) for values each type reads exactly
    EXACT: dict[int, tuple[str, Callable[[random.Random], Any]]] = {
        1: ("int_value", lambda r: r.randint(0, 127)),
        2: ("int_value", lambda r: r.randint(0, 2**15 - 1)),
        3: ("int_value", lambda r: r.randint(0, 2**31 - 1)),
        4: ("long_value", lambda r: r.randint(0, 2**53)),
        5: ("int_value", lambda r: r.randint(0, 255)),
        6: ("int_value", lambda r: r.randint(0, 2**16 - 1)),
        7: ("int_value", lambda r: r.randint(0, 2**32 - 1)),
        8: ("long_value", lambda r: r.randint(0, 2**53)),
        9: ("float_value", lambda r: float(r.randint(-(2**20), 2**20)) / 4),
        10: ("double_value", lambda r: r.uniform(-1e9, 1e9)),
        11: ("boolean_value", lambda r: r.random() < 0.5),
    }

    def seeds(self, rng: random.Random) -> list[Any]:
        drawn = _hypothesis_seeds("test_fuzz_sparkplug", ["messages()"], SEEDS_PER_TARGET)
        own = [self._known(random.Random(i))[1][j] for i in range(20) for j in range(3)]
        return [(str(t), bytes(p)) for ((t, p),) in drawn] + own

    def setup(self) -> None:
        self.model = _model()
        self._fresh()

    def _fresh(self) -> None:
        from andon.connect.sparkplug import SparkplugHost

        self.host = SparkplugHost(model=self.model, group=GROUP, source="fuzz")
        self.used = 0

    @classmethod
    def _known(cls, rng: random.Random) -> tuple[list[float], list[tuple[str, bytes]]]:
        from andon.connect._proto.sparkplug_b_pb2 import Payload

        datatype = rng.choice(sorted(cls.EXACT))
        field_name, draw = cls.EXACT[datatype]
        birth, data = draw(rng), draw(rng)
        t0 = rng.randint(1_600_000_000_000, 1_750_000_000_000)
        messages = []
        nbirth = Payload(timestamp=t0, seq=0)
        nbirth.metrics.add(name="bdSeq", datatype=8, long_value=1)
        messages.append((f"spBv1.0/{GROUP}/NBIRTH/e9", nbirth.SerializeToString()))
        dbirth = Payload(timestamp=t0, seq=1)
        dbirth.metrics.add(name="spindle_temperature", alias=1, datatype=datatype, timestamp=t0)
        setattr(dbirth.metrics[0], field_name, birth)
        messages.append((f"spBv1.0/{GROUP}/DBIRTH/e9/{DEVICE}", dbirth.SerializeToString()))
        ddata = Payload(timestamp=t0 + 1000, seq=2)
        ddata.metrics.add(alias=1, timestamp=t0 + 1000)
        setattr(ddata.metrics[0], field_name, data)
        messages.append((f"spBv1.0/{GROUP}/DDATA/e9/{DEVICE}", ddata.SerializeToString()))
        return [float(birth), float(data)], messages

    def make(self, rng: random.Random, corpus: Sequence[Any], *, fuzz: bool) -> Any:
        if not fuzz:
            return ("plain", [rng.choice(corpus)])
        if rng.random() < 0.15:
            expected, messages = self._known(rng)
            return ("known", messages, expected)
        messages = []
        for _ in range(rng.randint(1, 6)):
            topic, payload = rng.choice(corpus)
            if rng.random() < 0.7:
                payload = mutate(payload, rng, [p for _, p in corpus[:50]])
            if rng.random() < 0.03:
                raw = topic.encode("utf-8", "surrogateescape")
                topic = mutate(raw, rng, ()).decode("utf-8", "surrogateescape")
            messages.append((topic, payload))
        return ("fuzz", messages)

    def run(self, item: Any) -> Outcome:
        from andon.connect.sparkplug import SparkplugHost
        from andon.errors import AndonError
        from andon.records import RecordKind

        how, messages = item[0], item[1]
        if how == "known":
            host = SparkplugHost(model=self.model, group=GROUP, source="fuzz")
        else:
            self.used += 1
            if self.used > 50:
                self._fresh()
            host = self.host
        try:
            decoded = host.decode(messages)
        except AndonError:
            return REFUSED
        host.take_commands()
        outcome = _check_decoded(
            decoded,
            self.model,
            messages=len(messages),
            reason_prefix="sparkplug.",
            null_is_bad=True,
        )
        if how == "known":
            samples = decoded.tables.get(RecordKind.SAMPLE)
            got = [] if samples is None else samples.column("value").to_pylist()
            if decoded.rejected or got != item[2]:
                raise Wrong(f"known values {item[2]} decoded as {got}, rejects {decoded.rejected}")
        return outcome


class SpbWire(Target):
    """Any bytes through the columnar Sparkplug reader ``spb_wire.read_metrics``."""

    name, salt = "spb_wire", 3

    def seeds(self, rng: random.Random) -> list[Any]:
        return [p for _, p in Sparkplug().seeds(rng)]

    def make(self, rng: random.Random, corpus: Sequence[Any], *, fuzz: bool) -> Any:
        if not fuzz:
            return [rng.choice(corpus)]
        return [mutate(rng.choice(corpus), rng, corpus[:50]) for _ in range(rng.randint(1, 8))]

    def run(self, item: Any) -> Outcome:
        from andon.connect import spb_wire

        read = spb_wire.read_metrics(item)
        if len(read.headers) != len(item):
            raise Wrong(f"{len(item)} payloads read as {len(read.headers)} headers")
        for number in read.corrupt:
            if read.headers[number] is not None or (read.message == number).any():
                raise Wrong(f"corrupt payload {number} has a header or metrics")
        for row in range(len(read)):
            read.name(row)
            read.text(row)
        return QUARANTINED if read.corrupt else STORED


class _FileTarget(Target):
    suffix = ".csv"

    def setup(self) -> None:
        base = "/dev/shm" if Path("/dev/shm").is_dir() else None
        self.folder = Path(tempfile.mkdtemp(prefix="andon-fuzz-", dir=base))
        self.path = self.folder / f"fuzz{self.suffix}"
        self.model = _model()

    def read(self, data: bytes, layout: str) -> tuple[Outcome, list[tuple[int, float]]]:
        from andon.connect.files import HistorianFile, read_historian
        from andon.contracts import check
        from andon.errors import AndonError
        from andon.records import RecordKind

        self.path.write_bytes(data)
        got: list[tuple[int, float]] = []
        quarantined = 0
        try:
            for batch in read_historian(
                HistorianFile(path=self.path, layout=layout, chunk_rows=4),  # type: ignore[arg-type]
                received_at_us=NOW_US,
            ):
                samples = batch.tables[RecordKind.SAMPLE]
                got += list(
                    zip(
                        samples.column("ts").cast("int64").to_pylist(),
                        samples.column("value").to_pylist(),
                        strict=True,
                    )
                )
                quarantined += batch.quarantine.num_rows
                checked = check(RecordKind.SAMPLE, samples, self.model, now_us=NOW_US)
                if checked.total != samples.num_rows:
                    raise Wrong(f"{samples.num_rows} rows checked into {checked.total}")
                kept = checked.good.column("ts").cast("int64")
                if kept.null_count or (len(kept) and min(kept.to_pylist()) < 0):
                    raise Wrong("a sample kept without a time, or before 1970")
                for row in batch.quarantine.to_pylist():
                    if not (row["reason"] and row["detail"] and row["record"]):
                        raise Wrong(f"a quarantine row without its reason: {row}")
        except AndonError:
            return REFUSED, []
        return (QUARANTINED if quarantined and not got else STORED), got


class Csv(_FileTarget):
    """CSV bytes through the historian file reader (long and wide layouts)."""

    name, salt, suffix = "csv", 4, ".csv"

    def seeds(self, rng: random.Random) -> list[Any]:
        rows = [
            b"ts,tag,value\n2026-01-05T07:00:00Z," + TEMP.encode() + b",1.5\n",
            b"ts,tag,value,quality\n1767600000000," + TEMP.encode() + b",nan,bad\n",
            b"ts," + TEMP.encode() + b"\n2026-01-05 07:00:00,20\n2026-01-05 07:01:00,\n",
            b"ts,tag,value,value\n1,a,2,3\n",
            b"tag,value\nx,1\n",
        ]
        cells = [b"", b"abc", b"1.5", b"nan", b"-inf", b"1e400", b"NA", b'"', TEMP.encode()]
        for _ in range(SEEDS_PER_TARGET):
            body = b"ts,tag,value\n" + b"\n".join(
                b",".join(rng.choice(cells) for _ in range(rng.randint(1, 4)))
                for _ in range(rng.randint(0, 6))
            )
            rows.append(body)
        return rows

    def make(self, rng: random.Random, corpus: Sequence[Any], *, fuzz: bool) -> Any:
        layout = rng.choice(["long", "wide"])
        if not fuzz:
            return ("plain", rng.choice(corpus), layout)
        if rng.random() < 0.2:
            n = rng.randint(1, 6)
            start = rng.randint(1_600_000_000_000, 1_750_000_000_000)
            values = [round(rng.uniform(-1e6, 1e6), 6) for _ in range(n)]
            lines = [f"{start + 1000 * i},{TEMP},{v!r}" for i, v in enumerate(values)]
            data = ("ts,tag,value\n" + "\n".join(lines) + "\n").encode()
            want = [((start + 1000 * i) * 1000, v) for i, v in enumerate(values)]
            return ("known", data, "long", want)
        return ("fuzz", mutate(rng.choice(corpus), rng, corpus[:50]), layout)

    def run(self, item: Any) -> Outcome:
        outcome, got = self.read(item[1], item[2])
        if item[0] == "known" and (outcome is not STORED or got != item[3]):
            raise Wrong(f"known rows {item[3]} read as {got} ({outcome.kind})")
        return outcome


class Parquet(_FileTarget):
    """Parquet files (random column types, nulls, damaged bytes) through the file reader."""

    name, salt, suffix = "parquet", 5, ".parquet"

    @staticmethod
    def _table(rng: random.Random) -> bytes:
        import pyarrow as pa
        import pyarrow.parquet as pq

        n = rng.randint(0, 6)
        start = rng.randint(-(2**62), 2**62) if rng.random() < 0.1 else 1_767_600_000_000
        columns: dict[str, Any] = {}
        ts_kind = rng.choice(["int", "timestamp", "string", "float"])
        if ts_kind == "int":
            columns["ts"] = pa.array([start + i for i in range(n)], pa.int64())
        elif ts_kind == "timestamp":
            columns["ts"] = pa.array(
                [1_767_600_000_000_000 + i for i in range(n)], pa.timestamp("us")
            )
        elif ts_kind == "string":
            columns["ts"] = pa.array(
                ["2026-01-05T07:00:00Z", "x", "", "2026-13-40"][:n] + ["1"] * max(0, n - 4)
            )
        else:
            columns["ts"] = pa.array([1.7e12 + i if i % 3 else float("nan") for i in range(n)])
        if rng.random() < 0.9:
            columns["tag"] = pa.array([rng.choice([TEMP, "x", None, ""]) for _ in range(n)])
        value_kind = rng.choice(["float", "int", "string", "bool", "null"])
        make = {
            "float": lambda: rng.choice([1.5, float("nan"), float("inf"), None, -0.0]),
            "int": lambda: rng.choice([1, -(2**63), 2**63 - 1, None]),
            "string": lambda: rng.choice(["1.5", "abc", None, ""]),
            "bool": lambda: rng.choice([True, False, None]),
            "null": lambda: None,
        }[value_kind]
        columns["value"] = pa.array([make() for _ in range(n)])
        names = list(columns)
        arrays = list(columns.values())
        if rng.random() < 0.1:  # duplicate column names
            names.append(rng.choice(names))
            arrays.append(arrays[names.index(names[-1])])
        sink = io.BytesIO()
        pq.write_table(pa.Table.from_arrays(arrays, names=names), sink)
        return sink.getvalue()

    def seeds(self, rng: random.Random) -> list[Any]:
        return [self._table(rng) for _ in range(SEEDS_PER_TARGET // 3)]

    def make(self, rng: random.Random, corpus: Sequence[Any], *, fuzz: bool) -> Any:
        if not fuzz:
            return ("plain", rng.choice(corpus))
        if rng.random() < 0.5:
            return ("fuzz", self._table(rng))
        return ("fuzz", mutate(rng.choice(corpus), rng, ()))

    def run(self, item: Any) -> Outcome:
        return self.read(item[1], "long")[0]


class Yaml(Target):
    """Plant model YAML through ``load_model`` (small models and the bundled example)."""

    name, salt = "yaml", 6
    SMALL = b"""\
enterprise:
  id: acme
  name: Acme
sites:
  - id: lyon
    timezone: Europe/Paris
    areas:
      - id: machining
        lines:
          - id: m1
            cells:
              - id: milling
                equipment:
                  - {id: mill1, class: mill}
classes:
  - id: mill
    tags:
      - {name: spindle_temperature, unit: degC, min: 0, max: 200}
"""

    def seeds(self, rng: random.Random) -> list[Any]:
        example = (ROOT / "examples" / "discrete" / "acme.yaml").read_bytes()
        lines = example.splitlines(keepends=True)
        seeds = [self.SMALL, b"enterprise: {id: acme}\n"]
        for _ in range(60):  # pieces of the example, as small models
            at = rng.randrange(len(lines))
            seeds.append(
                b"enterprise: {id: acme}\n" + b"".join(lines[at : at + rng.randint(1, 40)])
            )
        seeds.append(example)
        return seeds

    def setup(self) -> None:
        base = "/dev/shm" if Path("/dev/shm").is_dir() else None
        self.folder = Path(tempfile.mkdtemp(prefix="andon-fuzz-", dir=base))
        self.path = self.folder / "plant.yaml"

    def make(self, rng: random.Random, corpus: Sequence[Any], *, fuzz: bool) -> Any:
        if not fuzz:
            return rng.choice(corpus[:-1])
        base = corpus[-1] if rng.random() < 0.02 else rng.choice(corpus[:-1])
        lines = base.splitlines(keepends=True)
        for _ in range(rng.randint(1, 3)):
            how = rng.randrange(5)
            at = rng.randrange(len(lines) + 1)
            if how == 0 and lines:  # drop a line
                del lines[min(at, len(lines) - 1)]
            elif how == 1 and lines:  # repeat a line
                lines.insert(at, lines[min(at, len(lines) - 1)])
            elif how == 2:  # a hostile line
                lines.insert(at, rng.choice(self.HOSTILE))
            elif how == 3 and lines:  # indent or dedent
                i = min(at, len(lines) - 1)
                lines[i] = (b"  " + lines[i]) if rng.random() < 0.5 else lines[i].lstrip()
            else:
                return mutate(b"".join(lines), rng, corpus[:20])
        return b"".join(lines)

    HOSTILE = (
        b"? [1, 2]\n: x\n",
        b"? {a: 1}\n: x\n",
        b"x: 1" + b"9" * 5000 + b"\n",
        b"a: &a [*a]\n",
        b"b: " + b"[" * 200 + b"\n",
        b"  - {id: mill1, class: mill, tags: {x: 1}}\n",
        b"      - {name: spindle_temperature, unit: degC, min: 5, max: 5}\n",
        b"sites: 3\n",
        b"    timezone: Mars/Olympus\n",
        b"when: 2026-02-30\n",
        b"\t- x\n",
        b"enterprise: {id: acme}\n",
        b"- \xff\xfe\n",
    )

    def run(self, item: Any) -> Outcome:
        from andon.errors import AndonError
        from andon.model import load_model

        self.path.write_bytes(item)
        try:
            load_model(self.path)
        except AndonError:
            return REFUSED
        return STORED


def targets() -> dict[str, Target]:
    """Return every target by name."""
    return {t.name: t for t in (Uns(), Sparkplug(), SpbWire(), Csv(), Parquet(), Yaml())}


# --- the worker -----------------------------------------------------------------------------


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    inside = [f for f in frames if "/andon/" in f.filename] or frames
    last = inside[-1] if inside else None
    return f"{Path(last.filename).name}:{last.lineno}" if last else "?"


def worker(
    name: str,
    corpus: list[Any],
    seed: int,
    start: int,
    stop: int,
    deadline: float,
    bound_s: float,
    current: Any,
    results: Any,
) -> None:
    """Run inputs ``start`` .. ``stop`` of one target (till ``deadline``), reporting on ``results``."""
    warnings.simplefilter("ignore")
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    target = targets()[name]
    target.setup()
    try:  # the first input pays the lazy imports; do not count them against the bound
        target.run(target.make(random.Random(0), corpus, fuzz=False))
    except Exception:
        pass
    counts: Counter[str] = Counter()
    cpu0 = time.process_time()
    last_report = time.monotonic()
    index = start
    while index < stop and time.time() < deadline:
        current.value = index
        rng = _seeded(seed, target.salt, index)
        item = target.make(rng, corpus, fuzz=True)
        began = time.process_time()  # CPU time: a loaded machine does not make a hang
        try:
            counts[target.run(item).kind] += 1
        except Wrong as exc:
            counts["wrong"] += 1
            results.put(("failure", name, "wrong", index, str(exc)[:500], target.describe(item)))
        except Exception as exc:
            counts["stall"] += 1
            detail = f"{type(exc).__name__} at {_where(exc)}: {str(exc)[:300]}"
            results.put(("failure", name, "stall", index, detail, target.describe(item)))
        took = time.process_time() - began
        if took > bound_s:
            counts["hang"] += 1
            detail = f"{took:.2f} CPU s for one input, over the {bound_s:g} s bound"
            results.put(("failure", name, "hang", index, detail, target.describe(item)))
        index += 1
        if time.monotonic() - last_report > 0.5:
            results.put(("counts", name, index, dict(counts), time.process_time() - cpu0))
            counts.clear()
            cpu0 = time.process_time()
            last_report = time.monotonic()
    current.value = index
    results.put(("counts", name, index, dict(counts), time.process_time() - cpu0))
    results.put(("done", name, index))


def baseline(name: str, corpus: list[Any], seconds: float, results: Any) -> None:
    """Measure a target's rate on its unmutated seeds (the run's baseline)."""
    warnings.simplefilter("ignore")
    target = targets()[name]
    target.setup()
    rng = random.Random(0)
    with contextlib.suppress(Exception):
        target.run(target.make(rng, corpus, fuzz=False))
    n, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        with contextlib.suppress(Exception):
            target.run(target.make(rng, corpus, fuzz=False))
        n += 1
    results.put(("baseline", name, n / (time.perf_counter() - began)))


# --- the parent -----------------------------------------------------------------------------


@dataclass
class Tally:
    """What one target gave so far."""

    inputs: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[dict[str, Any]] = field(default_factory=list)
    restarts: int = 0
    cpu_s: float = 0.0
    wall_s: float = 0.0
    baseline_per_s: float = 0.0

    def fail(self, kind: str, index: int, detail: str, item: Any) -> None:
        self.outcomes[kind] += 0  # the worker counts what it saw; crash and hang are counted here
        same = [f for f in self.failures if f["kind"] == kind]
        if len(same) < FAILURES_KEPT:
            self.failures.append({"kind": kind, "input": index, "detail": detail, "value": item})


def _drain(
    results: Any, tallies: dict[str, Tally], progress: Any, tasks: dict[str, Any]
) -> set[str]:
    done: set[str] = set()
    while True:
        try:
            message = results.get_nowait()
        except queue.Empty:
            return done
        kind, name = message[0], message[1]
        tally = tallies[name]
        if kind == "counts":
            _, _, index, counts, cpu = message
            tally.outcomes.update(counts)
            tally.cpu_s += cpu
            tally.inputs = sum(v for k, v in tally.outcomes.items() if k not in {"hang"})
            tally.inputs += tally.outcomes["crash"]
            if progress is not None:
                progress.update(tasks[name], completed=tally.inputs)
        elif kind == "failure":
            _, _, what, index, detail, item = message
            tally.fail(what, index, detail, item)
        elif kind == "baseline":
            tally.baseline_per_s = message[2]
        elif kind == "done":
            done.add(name)


def run_target(
    ctx: Any,
    name: str,
    corpus: list[Any],
    *,
    seed: int,
    inputs: int,
    seconds: float,
    bound_s: float,
    tallies: dict[str, Tally],
    progress: Any,
    tasks: dict[str, Any],
) -> None:
    """Run one target in worker processes until its inputs or seconds are spent."""
    results = ctx.Queue()
    tally = tallies[name]
    probe = ctx.Process(target=baseline, args=(name, corpus, min(3.0, seconds / 10), results))
    probe.start()
    probe.join()
    began = time.time()
    deadline = began + seconds
    start = 0
    while start < inputs and time.time() < deadline:
        current = ctx.Value("q", -1)  # -1 while the worker starts: no input is running yet
        process = ctx.Process(
            target=worker,
            args=(name, corpus, seed, start, inputs, deadline, bound_s, current, results),
        )
        process.start()
        seen, seen_at = -1, time.monotonic()
        finished = killed = False
        while True:
            process.join(0.25)
            finished = name in _drain(results, tallies, progress, tasks) or finished
            if not process.is_alive():
                break
            if current.value != seen:
                seen, seen_at = current.value, time.monotonic()
            elif seen >= 0 and time.monotonic() - seen_at > max(10.0, 5 * bound_s):
                process.kill()
                process.join()
                tally.outcomes["hang"] += 1
                tally.inputs += 1
                item = targets()[name].make(
                    _seeded(seed, targets()[name].salt, seen), corpus, fuzz=True
                )
                detail = f"no answer in {time.monotonic() - seen_at:.0f} s; killed"
                tally.fail("hang", seen, detail, _jsonable(item))
                killed = True
                break
        finished = name in _drain(results, tallies, progress, tasks) or finished
        at = max(current.value, start)
        if process.exitcode not in (0, None) and not finished and not killed:
            tally.outcomes["crash"] += 1
            tally.inputs += 1
            target = targets()[name]
            item = target.make(_seeded(seed, target.salt, at), corpus, fuzz=True)
            tally.fail(
                "crash", at, f"the worker died with exit code {process.exitcode}", _jsonable(item)
            )
        if finished or at >= inputs:
            break
        tally.restarts += 1
        start = at + 1
    tally.wall_s = time.time() - began


def main(argv: list[str] | None = None) -> int:
    """Fuzz the targets asked for and print the report as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="total seconds, split across targets"
    )
    parser.add_argument(
        "--inputs", type=int, default=10**12, help="at most this many inputs per target"
    )
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated targets")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-bound-s", type=float, default=2.0, help="the per-input time bound")
    parser.add_argument("--weights", default="", help="share of time per target, e.g. yaml=0.5")
    arguments = parser.parse_args(argv)
    names = [n.strip() for n in arguments.targets.split(",") if n.strip()]
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        parser.error(f"unknown targets {unknown}; known: {', '.join(TARGETS)}")
    weights = dict.fromkeys(names, 1.0)
    for part in filter(None, arguments.weights.split(",")):
        key, _, value = part.partition("=")
        weights[key.strip()] = float(value)
    total_weight = sum(weights[n] for n in names)

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    ctx = mp.get_context("spawn")
    all_targets = targets()
    tallies = {n: Tally() for n in names}
    wall0 = time.perf_counter()
    corpora = {}
    for name in names:
        corpora[name] = all_targets[name].seeds(random.Random(arguments.seed))
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as progress:
        tasks = {n: progress.add_task(n, total=None) for n in names}
        for name in names:
            run_target(
                ctx,
                name,
                corpora[name],
                seed=arguments.seed,
                inputs=arguments.inputs,
                seconds=arguments.seconds * weights[name] / total_weight,
                bound_s=arguments.time_bound_s,
                tallies=tallies,
                progress=progress,
                tasks=tasks,
            )
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    report_targets = {}
    for name, tally in tallies.items():
        rate = tally.inputs / tally.wall_s if tally.wall_s else 0.0
        report_targets[name] = {
            "inputs": tally.inputs,
            "seeds": len(corpora[name]),
            "outcomes": dict(sorted(tally.outcomes.items())),
            "failures": {k: tally.outcomes[k] for k in ("crash", "hang", "stall", "wrong")},
            "examples": tally.failures,
            "worker_restarts": tally.restarts,
            "wall_s": round(tally.wall_s, 1),
            "cpu_s": round(tally.cpu_s, 1),
            "inputs_per_s": round(rate, 1),
            "baseline_seed_inputs_per_s": round(tally.baseline_per_s, 1),
            "ratio_to_baseline": round(rate / tally.baseline_per_s, 3)
            if tally.baseline_per_s
            else None,
        }
    failures = sum(sum(t["failures"].values()) for t in report_targets.values())
    report = {
        "benchmark": "fuzz",
        "seed": arguments.seed,
        "time_bound_s": arguments.time_bound_s,
        "inputs": sum(t["inputs"] for t in report_targets.values()),
        "failures": failures,
        "targets": report_targets,
        "wall_s": round(time.perf_counter() - wall0, 1),
        "cpu_s": round(children.ru_utime + children.ru_stime + time.process_time(), 1),
        "cpus": os.cpu_count(),
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
