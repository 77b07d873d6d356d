"""Connectors: MQTT UNS JSON, Sparkplug B, historian files; the buffer, forwarder and bus.

Decoders are pure functions over bytes (:class:`UnsDecoder`, :class:`SparkplugHost`); sources
move bytes and reconnect (:class:`MqttSource`); a :class:`Forwarder` takes batches from a
buffer (:class:`DiskBuffer` survives a killed process) to a sink (the store through the
:class:`Pipeline`, or a bus), at least once, into idempotent writes.
"""

from andon.connect.buffer import Buffer, DiskBuffer, FullPolicy, MemoryBuffer
from andon.connect.decoded import Batch, Decoded, Rejected
from andon.connect.forward import Forwarder, Sink, StoreSink
from andon.connect.metrics import Metrics
from andon.connect.mqtt import MqttSettings, MqttSource
from andon.connect.pipeline import Pipeline, PipelineResult
from andon.connect.sparkplug import SparkplugHost
from andon.connect.uns import UnsDecoder

__all__ = [
    "Batch",
    "Buffer",
    "Decoded",
    "DiskBuffer",
    "Forwarder",
    "FullPolicy",
    "MemoryBuffer",
    "Metrics",
    "MqttSettings",
    "MqttSource",
    "Pipeline",
    "PipelineResult",
    "Rejected",
    "Sink",
    "SparkplugHost",
    "StoreSink",
    "UnsDecoder",
]
