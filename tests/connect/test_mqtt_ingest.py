"""UNS JSON through the real Mosquitto into the store, bad input included."""

from __future__ import annotations

import json
import time

import pytest
from connect_helpers import publish, wait_for

from andon.connect.buffer import MemoryBuffer
from andon.connect.forward import Forwarder, StoreSink
from andon.connect.metrics import Metrics
from andon.connect.mqtt import MqttSettings, MqttSource
from andon.connect.pipeline import Pipeline
from andon.connect.uns import UnsDecoder
from andon.errors import ConnectError
from andon.model import Model
from andon.records import RecordKind
from andon.store import Store

pytestmark = pytest.mark.services

EQ = "acme/lyon/machining/m1/milling/mill1"


def _ingest(
    url: str, prefix: str, store: Store, model: Model, metrics: Metrics
) -> tuple[MqttSource, Forwarder]:
    buffer = MemoryBuffer()
    forwarder = Forwarder(
        buffer=buffer,
        sink=StoreSink(Pipeline(store=store, model=model, metrics=metrics)),
        metrics=metrics,
    )
    source = MqttSource(
        settings=MqttSettings(
            url=url, client_id=f"t-{prefix.strip('/')}", persistent_session=False
        ),
        topics=[f"{prefix}#"],
        decode=UnsDecoder(source="test", prefix=prefix).decode,
        handler=buffer.append,
        metrics=metrics,
    )
    forwarder.start()
    source.start()
    assert source.wait_connected(10)
    return source, forwarder


def test_uns_json_reaches_the_store_and_bad_input_is_quarantined(
    mqtt_url: str, run_id: str, store: Store, example_model: Model
) -> None:
    prefix = f"t/{run_id}/"
    metrics = Metrics()
    source, forwarder = _ingest(mqtt_url, prefix, store, example_model, metrics)
    now_ms = int(time.time() * 1000) - 60_000
    good = [
        (
            f"{prefix}{EQ}/sample/spindle_temperature",
            json.dumps(
                {
                    "ts": [now_ms + i * 10 + j for j in range(10)],
                    "value": [40.0 + j for j in range(10)],
                }
            ).encode(),
        )
        for i in range(20)
    ]
    bad = [
        (f"{prefix}{EQ}/sample/spindle_temperature", b"{malformed"),
        (
            f"{prefix}acme/nowhere/line9/press/sample/temp",
            json.dumps({"ts": now_ms, "value": 1.0}).encode(),
        ),
        (
            f"{prefix}{EQ}/sample/spindle_temperature",
            json.dumps({"ts": now_ms, "value": 9999.0}).encode(),
        ),
        (f"{prefix}{EQ}/not-a-kind", b"{}"),
    ]
    try:
        publish(mqtt_url, good + bad)
        assert wait_for(
            lambda: (
                store.count_rows(RecordKind.SAMPLE) == 200
                and metrics.count("quarantined_records") == 4
            )
        )
        publish(mqtt_url, good)  # redelivered copies are stored once
        time.sleep(0.5)
        assert wait_for(lambda: metrics.count("received_messages") == 44)
    finally:
        source.stop()
        forwarder.stop()
    assert store.count_rows(RecordKind.SAMPLE) == 200
    reasons = {r["reason"]: r["rows"] for r in store.quarantine_summary().to_pylist()}
    assert reasons == {
        "payload.malformed": 1,
        "unknown_path": 1,
        "out_of_range": 1,
        "topic.unknown": 1,
    }
    kept = store.quarantined(reason="payload.malformed").column("record").to_pylist()
    assert kept == ["{malformed"]


def test_a_100_mb_payload_is_quarantined_and_ingest_goes_on(
    mqtt_url: str, run_id: str, store: Store, example_model: Model
) -> None:
    prefix = f"t/{run_id}/"
    metrics = Metrics()
    source, forwarder = _ingest(mqtt_url, prefix, store, example_model, metrics)
    huge = b'{"ts": 1, "value": [' + b"1," * (50 * 1024 * 1024) + b"1]}"
    assert len(huge) > 100 * 1024 * 1024
    now_ms = int(time.time() * 1000) - 1000
    after = (
        f"{prefix}{EQ}/sample/spindle_temperature",
        json.dumps({"ts": now_ms, "value": 42.0}).encode(),
    )
    try:
        publish(mqtt_url, [(f"{prefix}{EQ}/sample/spindle_temperature", huge), after])
        assert wait_for(lambda: store.count_rows(RecordKind.SAMPLE) == 1, timeout_s=60)
    finally:
        source.stop()
        forwarder.stop()
    rows = store.quarantined(reason="payload.too_large")
    assert rows.num_rows == 1
    assert "sha256" in rows.column("record")[0].as_py()
    del huge


def test_bad_urls_are_clear_errors() -> None:
    with pytest.raises(ConnectError, match="mqtt://"):
        MqttSettings(url="http://broker").endpoint()
    settings = MqttSettings(url="mqtt://user:s%40cret@broker:1884")
    assert settings.endpoint() == ("broker", 1884, False)
    assert settings.credentials() == ("user", "s@cret")
    assert MqttSettings(url="mqtts://broker").endpoint() == ("broker", 8883, True)
