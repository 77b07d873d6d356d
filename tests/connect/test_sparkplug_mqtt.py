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

import paho.mqtt.client as paho
import pytest
from connect_helpers import wait_for

from andon.connect.metrics import Metrics
from andon.connect.mqtt import MqttSettings, MqttSource
from andon.connect.pipeline import Pipeline
from andon.connect.sparkplug import SparkplugHost, decode_payload, encode_payload, state_payload
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
        will=(host.state_topic, state_payload(online=False)),
        birth=(host.state_topic, state_payload(online=True)),
        commands=host.take_commands,
    )
    host_, port, _ = MqttSettings(url=mqtt_url).endpoint()
    node = paho.Client(
        callback_api_version=paho.CallbackAPIVersion.VERSION2, client_id=f"node-{run_id}"
    )
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
        send("DBIRTH", 1, [("spindle_temperature", 7, now_ms, 40.0)])
        send("DDATA", 2, [(None, 7, now_ms + i, 41.0 + i) for i in range(10)])
        assert wait_for(lambda: store.count_rows(RecordKind.SAMPLE) == 10, 20)
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
    assert store.count_rows(RecordKind.SAMPLE) == 11  # the data after the gap is kept
    table = store.execute("SELECT DISTINCT path FROM rec_sample")
    assert table.column("path").to_pylist() == [TAG]
    assert host.counts["seq_gaps"] == 1
