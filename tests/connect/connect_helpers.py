"""Helpers of the connector tests: publish to Mosquitto, wait for a condition, run an edge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from andon.connect.mqtt import MqttSettings


def publish(
    url: str, messages: list[tuple[str, bytes]], *, qos: int = 1, retain: bool = False
) -> None:
    """Publish messages and wait until the broker has each (QoS 1)."""
    host, port, _ = MqttSettings(url=url).endpoint()
    client = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2)
    client.max_inflight_messages_set(100)
    client.connect(host, port)
    client.loop_start()
    try:
        for topic, payload in messages:
            client.publish(topic, payload, qos=qos, retain=retain).wait_for_publish(30)
    finally:
        client.loop_stop()
        client.disconnect()


def wait_for(predicate: object, timeout_s: float = 60.0) -> bool:
    """Poll a condition until it holds or the timeout passes; return whether it held."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return bool(predicate())  # type: ignore[operator]


ROOT = Path(__file__).resolve().parents[2]


def start_edge(
    *,
    buffer: Path,
    mqtt_url: str,
    prefix: str,
    name: str,
    forward_to: list[str],
    stdout: int = subprocess.PIPE,
) -> subprocess.Popen[bytes]:
    """Start ``andon edge run`` on the discrete example as its own process.

    ``forward_to`` names where it forwards: ``["--store", url]`` or
    ``["--nats", url, "--site", site]``.
    """
    command = [sys.executable, "-m", "andon", "edge", "run"]
    command += ["--model", str(ROOT / "examples" / "discrete"), "--buffer", str(buffer)]
    command += [*forward_to, "--mqtt", mqtt_url, "--prefix", prefix, "--name", name]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen(command, env=env, stdout=stdout, stderr=subprocess.PIPE)


def uns_messages(
    prefix: str, equipment: str, *, messages: int, samples: int
) -> list[tuple[str, bytes]]:
    """UNS JSON sample batches of one tag, an hour old, each timestamp distinct."""
    start_ms = int(time.time() * 1000) - 3_600_000
    out = []
    for i in range(messages):
        ts = [start_ms + i * samples + j for j in range(samples)]
        payload = json.dumps({"ts": ts, "value": [40.0 + (j % 5) for j in range(samples)]})
        out.append((f"{prefix}{equipment}/sample/spindle_temperature", payload.encode()))
    return out
