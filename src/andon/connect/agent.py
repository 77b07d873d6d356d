"""The ingest agent: sources -> buffer -> forwarder -> store or bus, with a status file.

``andon edge run`` and ``andon ingest ...`` are this one runtime with different settings:
the edge keeps a :class:`~andon.connect.buffer.DiskBuffer` and acknowledges MQTT messages
only once they are on disk; a central ingest may keep a memory buffer and write straight to
its store. Every second the agent writes its metrics as JSON beside the buffer (or where
``status_path`` says), which ``andon ingest status`` and ``andon edge status`` read.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from andon.connect.buffer import Buffer, DiskBuffer, FullPolicy, MemoryBuffer
from andon.connect.forward import Forwarder, Sink, StoreSink
from andon.connect.metrics import Metrics
from andon.connect.mqtt import MqttSettings, MqttSource
from andon.connect.opcua import OpcUaSettings, OpcUaSource, node_map
from andon.connect.pipeline import Pipeline
from andon.connect.sparkplug import SparkplugHost, state_payload
from andon.connect.uns import UnsDecoder
from andon.errors import ConnectError
from andon.model import Model
from andon.store import open_store

__all__ = ["AgentSettings", "run_agent", "status_path_for"]

_log: Final = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSettings:
    """What one agent reads, where it keeps its buffer, and where it forwards.

    Exactly one of ``store_url`` and ``nats_url`` is the destination. ``mqtt`` with
    ``protocol="uns"`` subscribes to ``topics`` (UNS JSON under ``prefix``); with
    ``protocol="sparkplug"`` the agent is a Sparkplug B host for ``sparkplug_group``.
    """

    name: str
    buffer_path: Path | None = None
    max_buffer_bytes: int = 1 << 30
    when_full: FullPolicy = FullPolicy.BLOCK
    store_url: str | None = None
    nats_url: str | None = None
    site: str | None = None
    mqtt: MqttSettings | None = None
    protocol: Literal["uns", "sparkplug"] = "uns"
    topics: tuple[str, ...] = ("#",)
    prefix: str = ""
    sparkplug_group: str | None = None
    opcua: OpcUaSettings | None = None
    status_path: Path | None = None
    future_bound_s: float = 300.0
    extra_nodes: dict[str, str] = field(default_factory=dict)


def status_path_for(buffer_path: Path) -> Path:
    """Return where an agent with this buffer writes its status."""
    return buffer_path.with_name(buffer_path.name + ".status.json")


def _sink(
    settings: AgentSettings, model: Model, metrics: Metrics
) -> tuple[Sink, Callable[[], None]]:
    if (settings.store_url is None) == (settings.nats_url is None):
        msg = "give exactly one destination: a store URL or a NATS URL"
        raise ConnectError(msg)
    if settings.store_url is not None:
        store = open_store(settings.store_url)
        pipeline = Pipeline(
            store=store, model=model, metrics=metrics, future_bound_s=settings.future_bound_s
        )
        return StoreSink(pipeline), store.close
    from andon.connect.bus import NatsPublisher  # noqa: PLC0415 - nats only when used

    if settings.site is None:
        msg = "forwarding to NATS needs the site (its stream is named after it)"
        raise ConnectError(msg)
    publisher = NatsPublisher(url=settings.nats_url or "", site=settings.site, metrics=metrics)
    publisher.start()
    return publisher, publisher.close


def run_agent(
    settings: AgentSettings,
    model: Model,
    *,
    stop: threading.Event,
    metrics: Metrics | None = None,
    on_status: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run until ``stop`` is set; return the final metrics. Nothing received is lost.

    On stop, sources stop taking messages, what was taken is forwarded (within a bound),
    and what could not be forwarded stays in the disk buffer for the next start.
    """
    metrics = metrics if metrics is not None else Metrics()
    durable = settings.buffer_path is not None
    buffer: Buffer
    if settings.buffer_path is not None:
        buffer = DiskBuffer(
            settings.buffer_path,
            max_bytes=settings.max_buffer_bytes,
            policy=settings.when_full,
            metrics=metrics,
        )
    else:
        buffer = MemoryBuffer()
    status_path = settings.status_path or (
        status_path_for(settings.buffer_path) if settings.buffer_path else None
    )
    sink, close_sink = _sink(settings, model, metrics)
    forwarder = Forwarder(buffer=buffer, sink=sink, name=settings.name, metrics=metrics)
    sources: list[Any] = []
    if settings.mqtt is not None:
        if settings.protocol == "sparkplug":
            host = SparkplugHost(
                model=model,
                group=settings.sparkplug_group,
                host_id=settings.name,
                source=settings.name,
            )
            sources.append(
                MqttSource(
                    settings=settings.mqtt,
                    topics=host.subscriptions(),
                    decode=host.decode,
                    handler=buffer.append,
                    metrics=metrics,
                    ack_after_handler=durable,
                    will=(host.state_topic, state_payload(online=False)),
                    birth=(host.state_topic, state_payload(online=True)),
                    commands=host.take_commands,
                )
            )
        else:
            decoder = UnsDecoder(source=settings.name, prefix=settings.prefix)
            sources.append(
                MqttSource(
                    settings=settings.mqtt,
                    topics=settings.topics,
                    decode=decoder.decode,
                    handler=buffer.append,
                    metrics=metrics,
                    ack_after_handler=durable,
                )
            )
    if settings.opcua is not None:
        sources.append(
            OpcUaSource(
                settings=settings.opcua,
                nodes=node_map(model, settings.extra_nodes),
                handler=buffer.append,
                source=settings.name,
                metrics=metrics,
            )
        )
    if not sources:
        msg = "no source to read: give an MQTT broker or an OPC UA endpoint"
        raise ConnectError(msg)
    forwarder.start()
    for source in sources:
        source.start()
    _log.info("agent %s running with %d source(s)", settings.name, len(sources))
    try:
        while not stop.wait(1.0):
            _publish_status(status_path, metrics, buffer, on_status)
    finally:
        for source in sources:
            source.stop()
        forwarder.stop(drain_s=10.0)
        _publish_status(status_path, metrics, buffer, on_status)
        close_sink()
        buffer.close()
    return metrics.snapshot()


def _publish_status(
    path: Path | None,
    metrics: Metrics,
    buffer: Buffer,
    on_status: Callable[[dict[str, Any]], None] | None,
) -> None:
    metrics.gauge("buffer_depth", buffer.depth())
    snapshot = metrics.snapshot()
    snapshot["pid"] = os.getpid()
    snapshot["updated_at"] = time.time()
    if on_status is not None:
        on_status(snapshot)
    if path is None:
        return
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(snapshot, indent=2, sort_keys=True))
    temporary.replace(path)
