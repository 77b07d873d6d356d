"""Helpers of the connector tests: publish to Mosquitto, wait for a condition."""

from __future__ import annotations

import time

import paho.mqtt.client as paho

from andon.connect.mqtt import MqttSettings


def publish(url: str, messages: list[tuple[str, bytes]], *, qos: int = 1) -> None:
    """Publish messages and wait until the broker has each (QoS 1)."""
    host, port, _ = MqttSettings(url=url).endpoint()
    client = paho.Client(callback_api_version=paho.CallbackAPIVersion.VERSION2)
    client.max_inflight_messages_set(100)
    client.connect(host, port)
    client.loop_start()
    try:
        for topic, payload in messages:
            client.publish(topic, payload, qos=qos).wait_for_publish(30)
    finally:
        client.loop_stop()
        client.disconnect()


def wait_for(predicate: object, timeout_s: float = 20.0) -> bool:
    """Poll a condition until it holds or the timeout passes; return whether it held."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return bool(predicate())  # type: ignore[operator]
