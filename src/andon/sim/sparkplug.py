"""Publish the simulator's condition samples and states as Sparkplug B 3.0 edge nodes.

Each site is an edge node of the group (the enterprise id by default); each equipment is a
device whose id is its path with ``:`` for ``/`` (``acme:lyon:machining:m1:milling:mill1``).
Device metrics are the class's tags (Double) and ``state`` (String), with aliases from the
DBIRTH. The node sends NBIRTH with ``bdSeq`` and ``Node Control/Rebirth``, registers NDEATH as
its will, answers a rebirth command (NCMD ``Node Control/Rebirth`` = true) with new births,
and numbers every message with ``seq`` modulo 256 (Sparkplug B 3.0, sections 6.4 and 7).

Payloads are written by ``andon.connect``'s encoder
(:func:`andon.connect.sparkplug.encode_payload` over :mod:`andon.connect.spb_wire`), the one
beside the host's decoder, and commands are read with its decoder: one codec, both ways.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Final
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
import pyarrow as pa
from paho.mqtt.enums import CallbackAPIVersion

from andon.connect.sparkplug import asks_rebirth, data_payload, device_data, encode_payload
from andon.connect.spb_wire import DataType, Metric
from andon.errors import ConnectError
from andon.model import Model
from andon.records import RecordKind

__all__ = ["SparkplugSink"]

_REBIRTH: Final = "Node Control/Rebirth"


class _EdgeNode:
    def __init__(self, host: str, port: int, group: str, node: str, devices: dict[str, list[str]]):
        self.group, self.node, self.devices = group, node, devices
        self.seq = 0
        self.bd_seq = 0
        self.rebirth = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"andon-sim-{node}-{uuid.uuid4().hex[:6]}"
        )
        self.client.will_set(self.topic("NDEATH"), self._death(), qos=1)
        self.client.on_message = self._on_message
        try:
            self.client.connect(host, port, keepalive=30)
        except OSError as exc:
            msg = f"cannot reach the MQTT broker at {host}:{port}: {exc}"
            raise ConnectError(msg) from exc
        self.client.loop_start()
        self.client.subscribe(self.topic("NCMD"), qos=1)
        self.birth()

    def topic(self, kind: str, device: str | None = None) -> str:
        base = f"spBv1.0/{self.group}/{kind}/{self.node}"
        return f"{base}/{device}" if device else base

    def _death(self) -> bytes:
        return encode_payload(
            timestamp_ms=int(time.time() * 1000),
            seq=None,
            metrics=[Metric("bdSeq", None, None, DataType.INT64, self.bd_seq)],
        )

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        del client, userdata
        # The only command a simulated node honours is a rebirth.
        if asks_rebirth(bytes(message.payload)):
            self.rebirth.set()

    def next_seq(self) -> int:
        seq = self.seq
        self.seq = (self.seq + 1) % 256
        return seq

    def publish(self, topic: str, payload: bytes) -> mqtt.MQTTMessageInfo:
        info = self.client.publish(topic, payload, qos=0)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            msg = f"Sparkplug publish to {topic} failed: {mqtt.error_string(info.rc)}"
            raise ConnectError(msg)
        return info

    def birth(self) -> None:
        now = int(time.time() * 1000)
        self.seq = 0
        self.publish(
            self.topic("NBIRTH"),
            encode_payload(
                timestamp_ms=now,
                seq=self.next_seq(),
                metrics=[
                    Metric("bdSeq", None, now, DataType.INT64, self.bd_seq),
                    Metric(_REBIRTH, None, now, DataType.BOOLEAN, value=False),
                ],
            ),
        )
        for device, tags in self.devices.items():
            metrics = [Metric(tag, i, now, DataType.DOUBLE, None) for i, tag in enumerate(tags)]
            metrics.append(Metric("state", len(tags), now, DataType.STRING, None))
            self.publish(
                self.topic("DBIRTH", device),
                encode_payload(timestamp_ms=now, seq=self.next_seq(), metrics=metrics),
            )
        self.rebirth.clear()

    def close(self) -> None:
        info = self.client.publish(self.topic("NDEATH"), self._death(), qos=1)
        info.wait_for_publish(timeout=5)
        self.client.disconnect()
        self.client.loop_stop()


class SparkplugSink:
    """Publishes samples and states as Sparkplug B DDATA; other kinds are not metrics."""

    def __init__(self, url: str, *, model: Model, group: str | None = None) -> None:
        parsed = urlparse(url)
        host, port = parsed.hostname or "127.0.0.1", parsed.port or 1883
        self.model = model
        self.alias: dict[str, tuple[str, int]] = {}
        """Tag path -> (device id, alias)."""
        self.state_alias: dict[str, tuple[str, int]] = {}
        """Equipment path -> (device id, alias of ``state``)."""
        self.site_of: dict[str, str] = {}
        per_site: dict[str, dict[str, list[str]]] = {}
        for path, info in model.equipment.items():
            site = path.split("/")[1]
            device = path.replace("/", ":")
            tags = [t.name for t in info.equipment_class.tags]
            per_site.setdefault(site, {})[device] = tags
            self.site_of[device] = site
            for i, tag in enumerate(tags):
                self.alias[f"{path}/{tag}"] = (device, i)
            self.state_alias[path] = (device, len(tags))
        self.nodes = {
            site: _EdgeNode(host, port, group or model.root, site, devices)
            for site, devices in per_site.items()
        }
        self.published = 0

    def write(self, kind: RecordKind, table: pa.Table, *, batch_id: str) -> None:
        """Publish samples and states as DDATA, one message per device."""
        del batch_id
        for node in self.nodes.values():
            if node.rebirth.is_set():
                node.birth()
        kind = RecordKind(kind)
        aliases = self.alias if kind is RecordKind.SAMPLE else self.state_alias
        for device, metrics in device_data(kind, table, aliases=aliases):
            node = self.nodes[self.site_of[device]]
            node.publish(node.topic("DDATA", device), data_payload(metrics, seq=node.next_seq()))
            self.published += 1

    def write_truth(self, name: str, table: pa.Table) -> None:
        """Keep truth off the broker."""
        del name, table

    def close(self) -> None:
        """Send NDEATH for every node and disconnect."""
        for node in self.nodes.values():
            node.close()
