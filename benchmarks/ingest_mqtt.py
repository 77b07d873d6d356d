"""Benchmark: MQTT ingest end to end, publish -> rows queryable in the store, through Mosquitto.

Measures in one run, against the same broker and the same published messages (100 samples
a message):

* ``bare``: a paho client that only receives the messages (the baseline);
* ``uns_json``: UNS JSON columnar payloads decoded, contract-checked and written to DuckDB;
* ``sparkplug``: Sparkplug B DDATA payloads through the host application, checked, written;
* ``latency``: publish-to-queryable latency at a steady 10,000 samples/s (p50, p99), and
  the p99 of its stages per forwarded batch: publish -> received by the source, received ->
  write started (decode group, buffer, forwarder), the write itself (check + commit);
* ``opcua``: how many OPC UA monitored items at 1 Hz one process follows without falling
  behind (an asyncua server in a child process, the andon client here). Steps double until
  the client falls behind (``limit: client``) or the test server cannot make the changes
  (``limit: test server``: then the figure is a lower bound for the client).

The load average is recorded at the start and at the end: on a shared machine, the ratios
to the bare client measured in the same round are what to compare.

The publisher runs in a child process with flow control (it keeps at most ~800 messages
unreceived, below Mosquitto's per-client queue of 1000), so that every message arrives and
rates are the receiver's. Prints one JSON document. ``--quick`` runs in seconds.

    python benchmarks/ingest_mqtt.py [--quick] [--mqtt mqtt://127.0.0.1:1883]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as paho
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from andon.connect.buffer import MemoryBuffer  # noqa: E402
from andon.connect.decoded import Batch  # noqa: E402
from andon.connect.forward import Forwarder, StoreSink  # noqa: E402
from andon.connect.metrics import Metrics  # noqa: E402
from andon.connect.mqtt import MqttSettings, MqttSource  # noqa: E402
from andon.connect.pipeline import Pipeline  # noqa: E402
from andon.connect.sparkplug import SparkplugHost, encode_payload  # noqa: E402
from andon.connect.uns import UnsDecoder  # noqa: E402
from andon.model import Model, load_model  # noqa: E402
from andon.records import RecordKind  # noqa: E402
from andon.store import open_store  # noqa: E402

SAMPLES_PER_MESSAGE = 100
WINDOW = 800  # unreceived messages the publisher allows: below Mosquitto's queue of 1000


def _endpoint(url: str) -> tuple[str, int]:
    host, port, _ = MqttSettings(url=url).endpoint()
    return host, port


def _tags(model: Model) -> list[tuple[str, str, float]]:
    """(equipment path, tag name, a valid value) of every tag of the model."""
    found = []
    for path, tag in sorted(model.tags.items()):
        low = tag.definition.min if tag.definition.min is not None else 0.0
        high = tag.definition.max if tag.definition.max is not None else low + 100.0
        found.append((tag.equipment_path, path.rsplit("/", 1)[1], (low + high) / 2))
    return found


def uns_messages(model: Model, prefix: str, count: int, start_us: int) -> list[tuple[str, bytes]]:
    """Columnar UNS JSON sample messages, 100 samples each, timestamps in microseconds."""
    tags = _tags(model)
    messages = []
    for i in range(count):
        equipment, name, mid = tags[i % len(tags)]
        base = start_us + i * 1000
        ts = ",".join(str(base + j) for j in range(SAMPLES_PER_MESSAGE))
        values = ",".join(f"{mid + (j % 7) * 0.01:.3f}" for j in range(SAMPLES_PER_MESSAGE))
        payload = f'{{"ts_unit":"us","ts":[{ts}],"value":[{values}]}}'.encode()
        messages.append((f"{prefix}{equipment}/sample/{name}", payload))
    return messages


def sparkplug_messages(
    model: Model, group: str, count: int, start_ms: int
) -> tuple[list[tuple[str, bytes]], list[tuple[str, bytes]]]:
    """Sparkplug births (one device per equipment) and DDATA of 100 aliased metrics each."""
    tags = _tags(model)
    devices: dict[str, list[tuple[int, str, float]]] = {}
    alias = 1
    for equipment, name, mid in tags:
        devices.setdefault(equipment, []).append((alias, name, mid))
        alias += 1
    node = "edge1"
    births = [
        (
            f"spBv1.0/{group}/NBIRTH/{node}",
            encode_payload(timestamp_ms=start_ms, seq=0, metrics=[("bdSeq", None, start_ms, 0.0)]),
        )
    ]
    seq = 1
    for equipment, metrics in devices.items():
        device = equipment.replace("/", ":")
        births.append(
            (
                f"spBv1.0/{group}/DBIRTH/{node}/{device}",
                encode_payload(
                    timestamp_ms=start_ms,
                    seq=seq,
                    metrics=[(name, a, start_ms, mid) for a, name, mid in metrics],
                ),
            )
        )
        seq = (seq + 1) % 256
    data = []
    names = list(devices)
    for i in range(count):
        equipment = names[i % len(names)]
        metrics = devices[equipment]
        # After the births: a birth's value is stored, and a DDATA value at the same instant
        # would be the same sample.
        base = start_ms + 1 + i * SAMPLES_PER_MESSAGE
        rows = [
            (None, metrics[j % len(metrics)][0], base + j, metrics[j % len(metrics)][2])
            for j in range(SAMPLES_PER_MESSAGE)
        ]
        data.append(
            (
                f"spBv1.0/{group}/DDATA/{node}/{equipment.replace('/', ':')}",
                encode_payload(timestamp_ms=base, seq=seq, metrics=rows),
            )
        )
        seq = (seq + 1) % 256
    return births, data


def _publisher(
    url: str,
    messages: list[tuple[str, bytes]],
    received: Any,
    go: Any,
    rate_msgs: float | None,
    stamp: bool,
) -> None:
    """Child process: publish at QoS 1 with flow control, or at a steady rate."""
    host, port = _endpoint(url)
    client = paho.Client(callback_api_version=paho.CallbackAPIVersion.VERSION2)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(host, port)
    client.loop_start()
    go.wait()
    started = time.perf_counter()
    for i, (topic, payload) in enumerate(messages):
        if rate_msgs is not None:
            due = started + i / rate_msgs
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        else:
            while i - received.value > WINDOW:
                time.sleep(0.0002)
        body = payload
        if stamp:
            now_us = time.time_ns() // 1000
            ts = ",".join(str(now_us + j) for j in range(SAMPLES_PER_MESSAGE))
            head, _, tail = payload.partition(b'"ts":[')
            body = head + b'"ts":[' + ts.encode() + b"]" + tail.partition(b"]")[2]
        client.publish(topic, body, qos=1)
    time.sleep(0.5)
    client.loop_stop()
    client.disconnect()


def _run_publisher(
    url: str,
    messages: list[tuple[str, bytes]],
    received: Any,
    rate_msgs: float | None = None,
    stamp: bool = False,
) -> tuple[mp.Process, Any]:
    go = mp.Event()
    process = mp.Process(
        target=_publisher, args=(url, messages, received, go, rate_msgs, stamp), daemon=True
    )
    process.start()
    return process, go


def _counter_pump(source: Callable[[], int], received: Any, stop: threading.Event) -> None:
    while not stop.is_set():
        received.value = source()
        time.sleep(0.001)


def bare(url: str, messages: list[tuple[str, bytes]], topic: str) -> dict[str, Any]:
    """The baseline: a paho client that only counts the messages it receives."""
    host, port = _endpoint(url)
    received = mp.RawValue("q", 0)
    state = {"n": 0, "first": 0.0, "last": 0.0}
    done = threading.Event()
    total = len(messages)

    def on_message(_client: paho.Client, _userdata: Any, _message: paho.MQTTMessage) -> None:
        state["n"] += 1
        received.value = state["n"]
        if state["n"] >= total:
            state["last"] = time.perf_counter()
            done.set()

    client = paho.Client(
        callback_api_version=paho.CallbackAPIVersion.VERSION2,
        client_id=f"bench-bare-{uuid.uuid4().hex[:8]}",
    )
    client.max_inflight_messages_set(1000)
    client.on_message = on_message
    client.connect(host, port)
    client.subscribe(topic, qos=1)
    client.loop_start()
    time.sleep(0.3)
    process, go = _run_publisher(url, messages, received)
    time.sleep(0.3)
    start = time.perf_counter()
    go.set()
    done.wait(120)
    elapsed = (state["last"] or time.perf_counter()) - start
    client.loop_stop()
    client.disconnect()
    process.join(10)
    return {
        "messages": state["n"],
        "seconds": round(elapsed, 3),
        "messages_per_s": round(state["n"] / elapsed, 1),
        "samples_per_s": round(state["n"] * SAMPLES_PER_MESSAGE / elapsed, 1),
    }


def ingest(
    url: str,
    model: Model,
    messages: list[tuple[str, bytes]],
    topic: str,
    decode: Callable[..., Any],
    expected_rows: int,
    births: list[tuple[str, bytes]] | None = None,
) -> dict[str, Any]:
    """Publish -> MqttSource -> decode -> memory buffer -> contracts -> DuckDB, timed to rows."""
    folder = Path(tempfile.mkdtemp(prefix="andon-bench-"))
    store = open_store(str(folder / "bench.duckdb"))
    metrics = Metrics()
    buffer = MemoryBuffer(max_batches=64)
    forwarder = Forwarder(
        buffer=buffer,
        sink=StoreSink(Pipeline(store=store, model=model, metrics=metrics)),
        metrics=metrics,
    )
    source = MqttSource(
        settings=MqttSettings(
            url=url, client_id=f"bench-{uuid.uuid4().hex[:8]}", persistent_session=False
        ),
        topics=[topic],
        decode=decode,
        handler=buffer.append,
        metrics=metrics,
        flush_interval_s=0.05,
    )
    forwarder.start()
    source.start()
    if births:
        host, port = _endpoint(url)
        pub = paho.Client(callback_api_version=paho.CallbackAPIVersion.VERSION2)
        pub.connect(host, port)
        pub.loop_start()
        for birth_topic, payload in births:
            pub.publish(birth_topic, payload, qos=1).wait_for_publish(5)
        pub.loop_stop()
        pub.disconnect()
        time.sleep(0.5)
    received = mp.RawValue("q", 0)
    stop = threading.Event()
    pump = threading.Thread(
        target=_counter_pump, args=(lambda: source.received_count, received, stop), daemon=True
    )
    pump.start()
    process, go = _run_publisher(url, messages, received)
    base_rows = store.count_rows(RecordKind.SAMPLE)
    time.sleep(0.3)
    start = time.perf_counter()
    go.set()
    deadline = start + 180
    rows = 0
    while time.perf_counter() < deadline:
        rows = store.count_rows(RecordKind.SAMPLE) - base_rows
        if rows >= expected_rows:
            break
        time.sleep(0.005)
    elapsed = time.perf_counter() - start
    stop.set()
    source.stop()
    forwarder.stop()
    process.join(10)
    snapshot = metrics.snapshot()
    store.close()
    return {
        "rows": rows,
        "expected_rows": expected_rows,
        "seconds": round(elapsed, 3),
        "samples_per_s": round(rows / elapsed, 1),
        "messages_per_s": round(rows / SAMPLES_PER_MESSAGE / elapsed, 1),
        "quarantined": snapshot.get("quarantined_records", 0),
        "rejected_messages": snapshot.get("rejected_messages", 0),
    }


def latency(url: str, model: Model, seconds: float, prefix: str) -> dict[str, Any]:
    """p50/p99 from publish (timestamp in the payload) to committed in the store."""
    store = open_store(str(Path(tempfile.mkdtemp(prefix="andon-bench-")) / "lat.duckdb"))
    pipeline = Pipeline(store=store, model=model)
    latencies: list[np.ndarray[Any, Any]] = []
    # per forwarded batch, in seconds: publish of its oldest sample -> received by the
    # source; received -> write started (decode, buffer, forwarder); the write (commit)
    stages: list[tuple[float, float, float]] = []

    class Timed(StoreSink):
        def send(self, batch: Batch, *, batch_id: str) -> None:
            start_us = time.time_ns() // 1000
            super().send(batch, batch_id=batch_id)
            done_us = time.time_ns() // 1000
            table = batch.tables.get(RecordKind.SAMPLE)
            if table is not None and table.num_rows:
                ts = table.column("ts").cast(pa.int64()).to_numpy()
                latencies.append((done_us - ts) / 1e6)
                received = batch.received_at_us
                stages.append(
                    (
                        (received - int(ts.min())) / 1e6,
                        (start_us - received) / 1e6,
                        (done_us - start_us) / 1e6,
                    )
                )

    buffer = MemoryBuffer()
    forwarder = Forwarder(buffer=buffer, sink=Timed(pipeline))
    source = MqttSource(
        settings=MqttSettings(
            url=url, client_id=f"bench-lat-{uuid.uuid4().hex[:8]}", persistent_session=False
        ),
        topics=[f"{prefix}#"],
        decode=UnsDecoder(source="bench", prefix=prefix).decode,
        handler=buffer.append,
        flush_interval_s=0.05,
    )
    forwarder.start()
    source.start()
    rate = 10_000 / SAMPLES_PER_MESSAGE
    count = int(rate * seconds)
    messages = uns_messages(model, prefix, count, time.time_ns() // 1000)
    received = mp.RawValue("q", 0)
    process, go = _run_publisher(url, messages, received, rate_msgs=rate, stamp=True)
    time.sleep(0.3)
    go.set()
    process.join(seconds + 30)
    time.sleep(1.0)
    source.stop()
    forwarder.stop()
    store.close()
    if not latencies:
        return {
            "samples_per_s_offered": 10_000,
            "samples": 0,
            "p99_s": None,
            "reason": "no sample reached the store",
        }
    values = np.concatenate(latencies)
    parts = np.array(stages)
    return {
        "samples_per_s_offered": 10_000,
        "samples": int(values.size),
        "p50_s": round(float(np.percentile(values, 50)), 4),
        "p99_s": round(float(np.percentile(values, 99)), 4),
        "max_s": round(float(values.max()), 4),
        "writes": len(stages),
        "stages_p99_s": {
            name: round(float(np.percentile(parts[:, i], 99)), 4)
            for i, name in enumerate(("publish_to_received", "received_to_write", "write"))
        },
    }


def opcua_capacity(items_steps: list[int], seconds: float) -> dict[str, Any]:
    """How many monitored items at 1 Hz one andon OPC UA client follows without lag."""
    from andon.connect.opcua import measure_capacity  # noqa: PLC0415

    results: list[dict[str, Any]] = []
    for items in items_steps:  # one step at a time: stop at the first one not sustained
        results += asyncio.run(measure_capacity(items_steps=[items], seconds=seconds))
        if not results[-1]["sustained"] or results[-1]["server_limited"]:
            break
    last = results[-1]
    sustained = max(
        (r["items"] for r in results if r["sustained"] and not r["server_limited"]), default=0
    )
    limit = None
    if last["server_limited"]:
        limit = "test server (it could not make the changes: a lower bound for the client)"
    elif not last["sustained"]:
        limit = "client"
    return {"steps": results, "sustained_items_at_1hz": sustained, "limit": limit}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    parser.add_argument(
        "--mqtt", default=os.environ.get("ANDON_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
    )
    parser.add_argument("--skip-opcua", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=None, help="interleaved rounds (default 1 quick, 3 full)"
    )
    args = parser.parse_args()
    count = 2_000 if args.quick else 20_000
    args.rounds = args.rounds or (1 if args.quick else 3)
    model = load_model(ROOT / "examples" / "discrete")
    run = uuid.uuid4().hex[:8]
    start_us = time.time_ns() // 1000 - 3_600_000_000
    host, port = _endpoint(args.mqtt)
    try:
        import socket  # noqa: PLC0415

        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        print(
            json.dumps({"benchmark": "ingest_mqtt", "skipped": f"no broker at {args.mqtt}: {exc}"})
        )
        return

    prefix = f"bench/{run}/"
    uns = uns_messages(model, prefix, count, start_us)
    group = f"bench{run}"
    births, data = sparkplug_messages(model, group, count, start_us // 1000)
    result: dict[str, Any] = {
        "benchmark": "ingest_mqtt",
        "quick": args.quick,
        "samples_per_message": SAMPLES_PER_MESSAGE,
        "messages": count,
        "rounds": args.rounds,
        "note": "phases interleaved round by round on a shared machine; best round reported",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    rounds: dict[str, list[dict[str, Any]]] = {"bare": [], "uns_json": [], "sparkplug": []}
    for _ in range(args.rounds):
        rounds["bare"].append(bare(args.mqtt, uns, f"{prefix}#"))
        rounds["uns_json"].append(
            ingest(
                args.mqtt,
                model,
                uns,
                f"{prefix}#",
                UnsDecoder(source="bench", prefix=prefix).decode,
                count * SAMPLES_PER_MESSAGE,
            )
        )
        host_app = SparkplugHost(model=model, group=group, source="bench-spb")
        rounds["sparkplug"].append(
            ingest(
                args.mqtt,
                model,
                data,
                f"spBv1.0/{group}/#",
                host_app.decode,
                count * SAMPLES_PER_MESSAGE,
                births=births,
            )
        )
    for name, runs in rounds.items():
        best = max(runs, key=lambda r: r["samples_per_s"])
        result[name] = {**best, "all_rounds_samples_per_s": [r["samples_per_s"] for r in runs]}
    bare_rate = result["bare"]["samples_per_s"]
    for name in ("uns_json", "sparkplug"):
        result[name]["ratio_to_bare"] = round(result[name]["samples_per_s"] / bare_rate, 3)
        paired = [
            round(r["samples_per_s"] / b["samples_per_s"], 3)
            for r, b in zip(rounds[name], rounds["bare"], strict=True)
        ]
        result[name]["ratio_to_bare_by_round"] = paired
    result["latency"] = latency(args.mqtt, model, 3.0 if args.quick else 20.0, f"lat/{run}/")
    if not args.skip_opcua:
        steps = [50] if args.quick else [500, 1000, 2000, 4000, 8000, 16000]
        result["opcua"] = opcua_capacity(steps, 2.0 if args.quick else 10.0)
    result["targets"] = {
        "uns_json_samples_per_s_ge_200k": result["uns_json"]["samples_per_s"] >= 200_000,
        "sparkplug_samples_per_s_ge_200k": result["sparkplug"]["samples_per_s"] >= 200_000,
        "uns_json_ratio_ge_0.4": result["uns_json"]["ratio_to_bare"] >= 0.4,
        "sparkplug_ratio_ge_0.4": result["sparkplug"]["ratio_to_bare"] >= 0.4,
        "latency_p99_le_1s": (result["latency"]["p99_s"] or float("inf")) <= 1.0,
    }
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2, allow_nan=False))


if __name__ == "__main__":
    main()
