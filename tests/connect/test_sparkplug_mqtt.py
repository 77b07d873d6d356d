"""The Sparkplug B host through the real Mosquitto: STATE, births, data to the store, rebirth.

An edge node played by a paho client publishes NBIRTH, DBIRTH and DDATA in a group of the
test's own; andon's host (MqttSource + SparkplugHost + Pipeline) writes the samples to the
store, publishes its retained STATE, and on a ``seq`` gap sends the node an NCMD
``Node Control/Rebirth`` through the broker.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from connect_helpers import publish, wait_for
from paho.mqtt.enums import CallbackAPIVersion

from andon.connect.metrics import Metrics
from andon.connect.mqtt import MqttSettings, MqttSource
from andon.connect.pipeline import Pipeline
from andon.connect.sparkplug import SparkplugHost, decode_payload, encode_payload
from andon.model import Model
from andon.records import RecordKind
from andon.store import Store

pytestmark = [pytest.mark.services]

DEVICE = "acme:lyon:machining:m1:milling:mill1"
TAG = "acme/lyon/machining/m1/milling/mill1/spindle_temperature"


def test_host_writes_samples_publishes_state_and_asks_for_a_rebirth_on_a_gap(
    mqtt_url: str, store: Store, example_model: Model, run_id: str
) -> None:
    group = f"g{run_id}"
    host = SparkplugHost(model=example_model, group=group, host_id=f"andon-{run_id}", source="spb")
    pipeline = Pipeline(store=store, model=example_model)
    source = MqttSource(
        settings=MqttSettings(url=mqtt_url, client_id=f"host-{run_id}", persistent_session=False),
        topics=host.subscriptions(),
        decode=host.decode,
        handler=pipeline.write,
        metrics=Metrics(),
        presence=host.presence,
        commands=host.take_commands,
    )
    host_, port, _ = MqttSettings(url=mqtt_url).endpoint()
    node = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"node-{run_id}")
    seen: dict[str, list[bytes]] = {"ncmd": [], "state": []}
    lock = threading.Lock()

    def on_message(_c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        with lock:
            kind = "ncmd" if "/NCMD/" in message.topic else "state"
            seen[kind].append(bytes(message.payload))

    node.on_message = on_message
    node.connect(host_, port)
    node.subscribe([(f"spBv1.0/{group}/NCMD/edge1", 1), (host.state_topic, 1)])
    node.loop_start()
    source.start()
    try:
        assert source.wait_connected(15)
        assert wait_for(lambda: bool(seen["state"]), 15)
        assert json.loads(seen["state"][-1])["online"] is True

        def send(
            kind: str, seq: int, metrics: list[tuple[str | None, int | None, int, float]]
        ) -> None:
            topic = f"spBv1.0/{group}/{kind}/edge1" + ("" if kind == "NBIRTH" else f"/{DEVICE}")
            payload = encode_payload(timestamp_ms=metrics[0][2], seq=seq, metrics=metrics)
            node.publish(topic, payload, qos=1).wait_for_publish(10)

        now_ms = int(time.time() * 1000) - 60_000
        send("NBIRTH", 0, [("bdSeq", None, now_ms, 0.0)])
        send("DBIRTH", 1, [("spindle_temperature", 7, now_ms - 1000, 40.0)])
        send("DDATA", 2, [(None, 7, now_ms + i, 41.0 + i) for i in range(10)])
        # the birth's value is stored too
        assert wait_for(lambda: store.count_rows(RecordKind.SAMPLE) == 11, 20)
        first = json.loads(seen["state"][0])
        # the connection drops: the reconnect's STATE (and its will) carry a new timestamp
        time.sleep(0.01)
        source.client.socket().close()  # type: ignore[union-attr]

        def states() -> list[dict[str, object]]:
            with lock:
                return [json.loads(p) for p in seen["state"] if p]

        assert wait_for(lambda: len([s for s in states() if s["online"]]) >= 2, 20)
        # the broker sent the first connection's will: the birth's own timestamp
        (will,) = [s for s in states() if not s["online"]]
        assert will["timestamp"] == first["timestamp"]
        again = [s for s in states() if s["online"]][-1]
        assert int(again["timestamp"]) > int(first["timestamp"])  # type: ignore[call-overload]
        assert not seen["ncmd"]
        send("DDATA", 9, [(None, 7, now_ms + 100, 50.0)])  # seq 3 to 8 never came
        assert wait_for(lambda: bool(seen["ncmd"]), 20)
    finally:
        source.stop()
        # clear the retained STATE so that the shared broker keeps nothing of the test
        node.publish(host.state_topic, b"", qos=1, retain=True).wait_for_publish(10)
        node.loop_stop()
        node.disconnect()
    rebirth = decode_payload(seen["ncmd"][0]).metrics[0]
    assert rebirth.name == "Node Control/Rebirth"
    assert rebirth.boolean_value is True
    assert store.count_rows(RecordKind.SAMPLE) == 12  # the data after the gap is kept
    table = store.execute("SELECT DISTINCT path FROM rec_sample")
    assert table.column("path").to_pylist() == [TAG]
    assert host.counts["seq_gaps"] == 1


def test_the_host_follows_the_sparkplug_host_rules(example_model: Model, tmp_path: Path) -> None:
    from andon.runtime.edge import EdgeSettings, edge_runtime  # noqa: PLC0415

    host = SparkplugHost(model=example_model, group="g1", host_id="central")
    # tck-id-host-topic-phid-birth-sub-required: its own STATE, with a group too
    assert host.subscriptions() == ["spBv1.0/g1/#", "spBv1.0/STATE/central"]
    assert SparkplugHost(model=example_model).subscriptions() == ["spBv1.0/+/#"]
    for _ in range(2000):  # the birth and the will of one connection: one timestamp
        topic, online, offline = host.presence()
        assert topic == "spBv1.0/STATE/central"
        assert json.loads(online)["timestamp"] == json.loads(offline)["timestamp"]
        assert (json.loads(online)["online"], json.loads(offline)["online"]) == (True, False)
    earlier = json.loads(host.presence()[1])["timestamp"]
    time.sleep(0.005)
    assert json.loads(host.presence()[1])["timestamp"] > earlier
    settings = EdgeSettings(
        mqtt_url="mqtt://127.0.0.1:1",
        protocol="sparkplug",
        sparkplug_group="g1",
        store_url=f"duckdb://{tmp_path / 's.duckdb'}",
        buffer_path=tmp_path / "buffer.db",
    )
    edge = edge_runtime(settings, example_model)
    try:
        (stage,) = [s for s in edge._stages if s.name == "mqtt sparkplug"]
        source = stage.start.__self__  # type: ignore[union-attr]
        assert isinstance(source, MqttSource)
        # tck-id-message-flow-phid-sparkplug-clean-session-311
        assert source.settings.persistent_session is False
        assert source.topics == ("spBv1.0/g1/#", "spBv1.0/STATE/andon-edge")
    finally:
        edge.stop()


def test_a_poison_message_is_quarantined_and_later_data_is_written(
    mqtt_url: str, store: Store, example_model: Model, run_id: str
) -> None:
    group = f"p{run_id}"
    host = SparkplugHost(model=example_model, group=group, host_id=f"andon-{run_id}")
    pipeline = Pipeline(store=store, model=example_model)

    def decode(messages: list[tuple[str, bytes]]) -> object:
        if any(payload == b"decoder defect" for _, payload in messages):
            raise RuntimeError("a defect of a decoder")  # what a future decoder bug would do
        return host.decode(messages)

    source = MqttSource(
        settings=MqttSettings(url=mqtt_url, client_id=f"host-{run_id}", persistent_session=False),
        topics=host.subscriptions(),
        decode=decode,  # type: ignore[arg-type]
        handler=pipeline.write,
        presence=host.presence,
    )
    source.start()
    now_ms = int(time.time() * 1000) - 60_000
    try:
        assert source.wait_connected(15)
        publish(
            mqtt_url,
            [
                (
                    f"spBv1.0/{group}/NBIRTH/edge2",
                    encode_payload(
                        timestamp_ms=now_ms, seq=0, metrics=[("bdSeq", None, now_ms, 0.0)]
                    ),
                ),
                (
                    f"spBv1.0/{group}/DBIRTH/edge2/{DEVICE}",
                    encode_payload(
                        timestamp_ms=now_ms - 1,
                        seq=1,
                        metrics=[("spindle_temperature", 7, now_ms - 1, 40.0)],
                    ),
                ),
                (f"spBv1.0/{group}/NBIRTH/edge1", bytes.fromhex("080112030a01c91800")),
                (f"spBv1.0/{group}/NDATA/edge3", b"decoder defect"),
                *(
                    (
                        f"spBv1.0/{group}/DDATA/edge2/{DEVICE}",
                        encode_payload(
                            timestamp_ms=now_ms + i,
                            seq=2 + i,
                            metrics=[(None, 7, now_ms + i, 41.0 + i)],
                        ),
                    )
                    for i in range(5)
                ),
            ],
        )
        assert wait_for(lambda: store.count_rows(RecordKind.SAMPLE) == 6, 20)
        assert wait_for(
            lambda: (
                sorted(store.execute("SELECT reason FROM quarantine").column("reason").to_pylist())
                == ["decoder.failed", "sparkplug.not_utf8"]
            ),
            10,
        )
    finally:
        source.stop()
        publish(mqtt_url, [(host.state_topic, b"")], retain=True)  # clear the retained STATE


def test_the_host_publishes_its_birth_again_when_its_state_says_offline(
    mqtt_url: str, example_model: Model, run_id: str
) -> None:
    host = SparkplugHost(model=example_model, group=f"g{run_id}", host_id=f"andon-s{run_id}")
    metrics = Metrics()
    source = MqttSource(
        settings=MqttSettings(url=mqtt_url, client_id=f"host-s{run_id}", persistent_session=False),
        topics=host.subscriptions(),
        decode=host.decode,
        handler=lambda _batch: None,
        metrics=metrics,
        presence=host.presence,
    )
    host_, port, _ = MqttSettings(url=mqtt_url).endpoint()
    other = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"o-{run_id}")
    other.connect(host_, port)
    other.loop_start()
    source.start()
    try:
        assert source.wait_connected(15)
        assert wait_for(lambda: source.received_count >= 1, 15)  # its own birth, back
        # a stale offline STATE lands on the host's topic (a will delivered late)
        stale = json.dumps({"online": False, "timestamp": 1}).encode()
        other.publish(host.state_topic, stale, qos=1, retain=True).wait_for_publish(10)
        assert wait_for(lambda: metrics.snapshot().get("presence_restored", 0) >= 1, 15)

        def retained() -> dict[str, object]:
            seen: list[bytes] = []
            reader = paho.Client(
                callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"r-{run_id}"
            )
            reader.on_message = lambda _c, _u, m: seen.append(bytes(m.payload))
            reader.connect(host_, port)
            reader.subscribe(host.state_topic, 1)
            reader.loop_start()
            try:
                wait_for(lambda: bool(seen), 10)
            finally:
                reader.loop_stop()
                reader.disconnect()
            return json.loads(seen[-1]) if seen else {}

        assert wait_for(lambda: retained().get("online") is True, 15)
    finally:
        source.stop()
        other.publish(host.state_topic, b"", qos=1, retain=True).wait_for_publish(10)
        other.loop_stop()
        other.disconnect()
