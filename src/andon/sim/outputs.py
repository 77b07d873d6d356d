"""Open the sink a command-line target names: the store, MQTT UNS, Sparkplug B or OPC UA."""

from __future__ import annotations

from andon.errors import SimulationError
from andon.model import Model
from andon.sim.sinks import PipelineSink, Sink
from andon.store import open_store

__all__ = ["open_sink"]


def open_sink(target: str, *, store_url: str, model: Model) -> Sink:
    """Return a sink for ``store``, ``mqtt://``, ``sparkplug://`` or ``opc.tcp://`` targets.

    ``store`` goes through the contracts (:class:`~andon.sim.sinks.PipelineSink`), as a
    connector's data does.
    """
    scheme = target.split("://", 1)[0] if "://" in target else target
    if scheme == "store":
        return PipelineSink.into(open_store(store_url), model=model)
    if scheme == "mqtt":
        from andon.sim.mqtt import MqttSink  # noqa: PLC0415 - paho loads only when asked

        return MqttSink(target, root=model.root)
    if scheme == "sparkplug":
        from andon.sim.sparkplug import SparkplugSink  # noqa: PLC0415

        return SparkplugSink(target, model=model)
    if scheme == "opc.tcp":
        from andon.sim.opcua import OpcUaSink  # noqa: PLC0415 - asyncua is slow to import

        return OpcUaSink(target, model=model)
    msg = f"unknown target {target!r}: use store, mqtt://, sparkplug:// or opc.tcp://"
    raise SimulationError(msg)
