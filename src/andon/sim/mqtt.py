"""Publish the simulator's records to an MQTT broker as Unified Namespace JSON."""

from __future__ import annotations

import uuid
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
import pyarrow as pa
from paho.mqtt.enums import CallbackAPIVersion

from andon.connect.uns import encode_batch
from andon.errors import ConnectError
from andon.records import RecordKind

__all__ = ["MqttSink"]


class MqttSink:
    """Publishes every batch (QoS 1, not retained) under ``prefix`` + the UNS topic.

    Ground truth is not published. ``close`` waits until the broker acknowledged every
    message.
    """

    def __init__(self, url: str, *, root: str, prefix: str = "", timeout_s: float = 10.0) -> None:
        parsed = urlparse(url)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 1883
        self.root = root
        self.prefix = prefix.rstrip("/") + "/" if prefix else ""
        self.timeout_s = timeout_s
        self.published = 0
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"andon-sim-{uuid.uuid4().hex[:8]}"
        )
        self._client.max_inflight_messages_set(1000)
        try:
            self._client.connect(self.host, self.port, keepalive=30)
        except OSError as exc:
            msg = f"cannot reach the MQTT broker at {self.host}:{self.port}: {exc}"
            raise ConnectError(msg) from exc
        self._client.loop_start()
        self._pending: list[mqtt.MQTTMessageInfo] = []

    def write(self, kind: RecordKind, table: pa.Table, *, batch_id: str) -> None:
        """Publish one message per topic of the batch."""
        del batch_id
        for topic, payload in encode_batch(kind, table, root=self.root):
            info = self._client.publish(self.prefix + topic, payload, qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                msg = f"MQTT publish to {topic} failed: {mqtt.error_string(info.rc)}"
                raise ConnectError(msg)
            self._pending.append(info)
            self.published += 1
        if len(self._pending) > 5000:
            self._drain()

    def _drain(self) -> None:
        for info in self._pending:
            try:
                info.wait_for_publish(timeout=self.timeout_s)
            except (RuntimeError, ValueError) as exc:
                msg = f"MQTT broker at {self.host}:{self.port} did not take a message: {exc}"
                raise ConnectError(msg) from exc
            if not info.is_published():
                msg = f"MQTT broker at {self.host}:{self.port} did not acknowledge in time"
                raise ConnectError(msg)
        self._pending.clear()

    def write_truth(self, name: str, table: pa.Table) -> None:
        """Keep truth off the broker."""
        del name, table

    def close(self) -> None:
        """Wait for every acknowledgement, then disconnect."""
        try:
            self._drain()
        finally:
            self._client.disconnect()
            self._client.loop_stop()
