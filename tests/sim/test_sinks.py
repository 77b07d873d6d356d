"""The simulator's sinks publish what docs/sim.md says, to real servers on loopback."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
import pyarrow as pa
import pyarrow.compute as pc
from asyncua import Client
from paho.mqtt.enums import CallbackAPIVersion

from andon.connect.sparkplug import decode_payload, rebirth_payload
from andon.connect.uns import UnsDecoder, encode_batch
from andon.model import Model
from andon.records import RecordKind
from andon.sim import BusSink, InProcessBus, MemorySink, simulate
from andon.sim.mqtt import MqttSink
from andon.sim.opcua import OpcUaSink
from andon.sim.sparkplug import SparkplugSink


def test_uns_messages_decode_back_to_the_same_records(tiny: Model) -> None:
    sink = MemorySink()
    simulate(tiny, days=0.5, seed=4, sink=sink)
    decoder = UnsDecoder(source="other")
    for kind in (RecordKind.SAMPLE, RecordKind.STATE, RecordKind.ENERGY, RecordKind.UNIT):
        table = sink.table(kind)
        messages = encode_batch(kind, table, root="tiny", max_records=700)
        assert len(messages) > 1
        decoded = decoder.decode(messages)
        assert not decoded.rejected, decoded.rejected[:2]
        back = decoded.tables[kind]
        assert back.num_rows == table.num_rows
        keys = [("path", "ascending"), ("ts", "ascending"), ("seq", "ascending")]
        if kind is RecordKind.UNIT:
            keys.insert(0, ("parameter", "ascending"))
        a = table.sort_by(keys)
        b = back.sort_by(keys)
        assert a["ts"].equals(b["ts"].cast(a["ts"].type))
        assert a["path"].equals(b["path"])
        assert b["source"].unique().to_pylist() == ["sim-4"]


def test_bus_sink_hands_batches_to_subscribers(tiny: Model) -> None:
    bus = InProcessBus()
    seen: list[tuple[RecordKind, int]] = []
    bus.subscribe(lambda kind, table: seen.append((kind, table.num_rows)))
    result = simulate(tiny, days=0.2, seed=1, sink=BusSink(bus))
    total = sum(n for _, n in seen)
    assert total == result.total_records
    assert {kind for kind, _ in seen} >= {RecordKind.SAMPLE, RecordKind.STATE}


def test_paced_run_hands_over_slices_with_the_same_records(tiny: Model) -> None:
    fast, paced = MemorySink(), MemorySink()
    simulate(tiny, days=0.02, seed=3, sink=fast)
    simulate(tiny, days=0.02, seed=3, sink=paced, speed=2000, epoch_h=0.25)
    assert len(paced.tables["sample"]) > 1
    for kind in fast.tables:
        a = fast.table(kind).sort_by([("ts", "ascending"), ("seq", "ascending")])
        b = paced.table(kind).sort_by([("ts", "ascending"), ("seq", "ascending")])
        assert a.num_rows == b.num_rows, kind
        assert a["ts"].equals(b["ts"]), kind


def _collect(url: str, topic: str) -> tuple[mqtt.Client, list[mqtt.MQTTMessage], threading.Event]:
    parsed = urlparse(url)
    got: list[mqtt.MQTTMessage] = []
    ready = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}")
    client.on_message = lambda c, u, m: got.append(m)
    client.on_subscribe = lambda *a: ready.set()
    client.connect(parsed.hostname or "127.0.0.1", parsed.port or 1883)
    client.loop_start()
    client.subscribe(topic, qos=1)
    assert ready.wait(10)
    return client, got, ready


def _settle(got: list[mqtt.MQTTMessage], *, quiet_s: float = 0.5, limit_s: float = 20) -> None:
    end = time.monotonic() + limit_s
    last = -1
    while time.monotonic() < end:
        if len(got) == last:
            return
        last = len(got)
        time.sleep(quiet_s)


def test_mqtt_sink_publishes_uns_json(tiny: Model, mqtt_url: str) -> None:
    prefix = f"test-sim-{uuid.uuid4().hex[:8]}"
    client, got, _ = _collect(mqtt_url, f"{prefix}/#")
    try:
        sink = MqttSink(mqtt_url, root="tiny", prefix=prefix)
        result = simulate(tiny, days=0.1, seed=2, sink=sink)
        assert sink.published > 0
        _settle(got)
    finally:
        client.loop_stop()
        client.disconnect()
    topics = {m.topic for m in got}
    assert f"{prefix}/tiny/s1/a/l1/pressing/press1/sample/vibration" in topics
    assert f"{prefix}/tiny/s1/a/l1/pressing/press1/state" in topics
    assert f"{prefix}/tiny/s1/main/energy" in topics
    decoded = UnsDecoder(prefix=f"{prefix}/").decode([(m.topic, m.payload) for m in got])
    assert not decoded.rejected
    assert decoded.tables[RecordKind.SAMPLE].num_rows == result.records["sample"]
    one = json.loads(got[0].payload)
    assert set(one) == {"records"}


def test_sparkplug_sink_births_then_data(tiny: Model, mqtt_url: str) -> None:
    group = f"test{uuid.uuid4().hex[:8]}"
    client, got, _ = _collect(mqtt_url, f"spBv1.0/{group}/#")
    try:
        sink = SparkplugSink(mqtt_url.replace("mqtt://", "sparkplug://"), model=tiny, group=group)
        simulate(tiny, days=0.05, seed=2, sink=sink)
        _settle(got)
    finally:
        client.loop_stop()
        client.disconnect()
    kinds = [m.topic.split("/")[2] for m in got]
    assert kinds[0] == "NBIRTH"
    assert kinds.count("DBIRTH") == len(tiny.equipment)
    assert "DDATA" in kinds
    assert kinds[-1] == "NDEATH"
    births = {
        m.topic.split("/")[4]: {x.name: x.alias for x in decode_payload(m.payload).metrics}
        for m in got
        if m.topic.split("/")[2] == "DBIRTH"
    }
    assert births["tiny:s1:a:l1:pressing:press1"]["vibration"] == 0
    seqs = [decode_payload(m.payload).seq for m in got if m.topic.split("/")[2] != "NDEATH"]
    assert seqs == [i % 256 for i in range(len(seqs))]
    data = [decode_payload(m.payload) for m in got if m.topic.split("/")[2] == "DDATA"]
    assert all(metric.HasField("alias") for p in data for metric in p.metrics)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_opcua_sink_serves_the_latest_values(tiny: Model) -> None:
    url = f"opc.tcp://127.0.0.1:{_free_port()}"
    sink = OpcUaSink(url, model=tiny)
    collected = MemorySink()

    class Both:
        def write(self, kind: RecordKind, table: pa.Table, *, batch_id: str) -> None:
            sink.write(kind, table, batch_id=batch_id)
            collected.write(kind, table, batch_id=batch_id)

        def write_truth(self, name: str, table: pa.Table) -> None:
            collected.write_truth(name, table)

        def close(self) -> None:
            """Keep the server up until the test has read it."""

    try:
        simulate(tiny, days=0.1, seed=6, sink=Both())
        tag = "tiny/s1/a/l1/pressing/press1/vibration"
        samples = collected.table("sample").filter(pc.equal(collected.table("sample")["path"], tag))
        expected = samples["value"][-1].as_py()
        node_id = sink.node_ids[tag]
        state_id = sink.node_ids["tiny/s1/a/l1/pressing/press1"]

        async def read() -> tuple[float, str]:
            async with Client(url=url + "/") as client:
                value = await client.get_node(node_id).read_value()
                state = await client.get_node(state_id).read_value()
                return value, state

        value, state = asyncio.run(read())
    finally:
        sink.close()
    assert value == expected
    states = collected.table("state").filter(
        pc.equal(collected.table("state")["path"], "tiny/s1/a/l1/pressing/press1")
    )
    assert state == states["state"][-1].as_py()


def test_sparkplug_node_answers_a_rebirth_request(tiny: Model, mqtt_url: str) -> None:
    group = f"test{uuid.uuid4().hex[:8]}"
    client, got, _ = _collect(mqtt_url, f"spBv1.0/{group}/+/s1/#")
    sink = SparkplugSink(mqtt_url.replace("mqtt://", "sparkplug://"), model=tiny, group=group)
    try:
        _settle(got)
        births = sum(1 for m in got if m.topic.split("/")[2] == "NBIRTH")
        assert births == 1
        client.publish(f"spBv1.0/{group}/NCMD/s1", rebirth_payload(), qos=1)
        assert sink.nodes["s1"].rebirth.wait(10)
        sink.write(RecordKind.COUNT, MemorySink().table("count"), batch_id="x")
        _settle(got)
    finally:
        sink.close()
        client.loop_stop()
        client.disconnect()
    kinds = [m.topic.split("/")[2] for m in got]
    assert kinds.count("NBIRTH") == 2
    assert kinds.count("DBIRTH") == 2 * len(tiny.equipment)
