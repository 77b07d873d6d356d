"""``andon edge``: the runtime with sources and a forwarder, and no apps.

:class:`EdgeSettings` (``ANDON_EDGE_*`` variables, or the command's options) says what a
site's edge reads (a Unified Namespace of UNS JSON or a Sparkplug B group on an MQTT broker,
an OPC UA server), where it keeps its durable buffer, and where it forwards: the store, in
this process (``bus="in_process"``), or the site's NATS JetStream stream (``bus="nats"``).
:func:`edge_runtime` composes sources -> buffer -> forwarder -> store or bus into an
:class:`EdgeRuntime`, which speaks the decision loop's vocabulary: ``start()``, ``stop()``,
``status()``, and a schedule of one thing, writing its status every ``status_every_s``.

``andon ingest mqtt|sparkplug|opcua`` is the same runtime with a memory buffer (or a disk one
with ``--buffer``) writing straight to its store.

>>> settings = EdgeSettings(mqtt_url="mqtt://127.0.0.1:1883", store_url="duckdb://:memory:")
>>> settings.bus, settings.name, settings.uns_topics()
('in_process', 'andon-edge', ('#',))
>>> load_edge_settings({"store_url": "duckdb://:memory:"}, environ=False)
Traceback (most recent call last):
...
andon.errors.InputError: the edge settings are not valid (1 problem(s)):
  give a source to read: mqtt_url and/or opcua_endpoint [settings.no_source]
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, Self

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from andon.connect.agent import status_path_for, write_status
from andon.connect.buffer import Buffer, DiskBuffer, FullPolicy, MemoryBuffer
from andon.connect.forward import Forwarder, Sink, StoreSink
from andon.connect.metrics import Metrics
from andon.connect.mqtt import MqttSettings, MqttSource
from andon.errors import ConnectError, InputError, Problem, UsageError
from andon.model import Model

if TYPE_CHECKING:
    from andon.connect.opcua import OpcUaSettings

__all__ = ["ENV_PREFIX", "EdgeRuntime", "EdgeSettings", "edge_runtime", "load_edge_settings"]

_log: Final = logging.getLogger(__name__)

ENV_PREFIX: Final = "ANDON_EDGE_"
"""The prefix of the environment variables that :class:`EdgeSettings` reads."""


_READ_ENVIRONMENT: ContextVar[bool] = ContextVar("andon_edge_read_environment", default=True)
"""Whether :class:`EdgeSettings` being built reads ``ANDON_EDGE_*`` (see
:func:`load_edge_settings`)."""


class _SettingsConflictError(ValueError):
    """A rule across settings, naming the settings it involves (shown as the caller calls
    them: a field, an option, an environment variable)."""

    def __init__(self, code: str, template: str, *fields: str) -> None:
        self.code = code
        self.template = template
        self.fields = fields
        super().__init__(template.format(**{f: f for f in fields}))

    def render(self, labels: Mapping[str, str]) -> str:
        return self.template.format(**{f: labels.get(f, f) for f in self.fields})


class EdgeSettings(BaseSettings):
    """What a site's edge reads, where it buffers, and where it forwards.

    Values come from keyword arguments, else ``ANDON_EDGE_<FIELD>`` variables (tuples and
    mappings as JSON, ``ANDON_EDGE_MQTT_TOPICS='["a/#", "b/#"]'``), else the defaults.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="forbid", use_attribute_docstrings=True
    )

    # who -------------------------------------------------------------------------------------
    site: str | None = None
    """Site id; names the NATS JetStream stream (``ANDON_<SITE>``), so ``bus="nats"``
    needs it."""
    name: str = Field(default="andon-edge", min_length=1)
    """The edge's name: the source of its records, its MQTT client id and Sparkplug host id,
    and the prefix of its batch ids. Give each edge its own (two edges of one name share a
    client id, and the broker disconnects one for the other); their batch ids stay apart in
    any case, as each carries its buffer's random token."""

    # sources ---------------------------------------------------------------------------------
    mqtt_url: str | None = None
    """Broker to read from, ``mqtt://host:1883`` or ``mqtts://host:8883`` (TLS)."""
    protocol: Literal["uns", "sparkplug"] = "uns"
    """What the broker carries: ``uns`` (UNS JSON, docs/uns.md) or ``sparkplug`` (the edge is
    a Sparkplug B 3.0 host application)."""
    mqtt_topics: tuple[str, ...] | None = None
    """UNS topic filters; ``None`` subscribes to ``<mqtt_prefix>#``."""
    mqtt_prefix: str = ""
    """UNS topic prefix before the element paths."""
    sparkplug_group: str | None = None
    """Sparkplug group id to follow; ``None`` follows every group."""
    mqtt_username: str | None = None
    """Broker user name."""
    mqtt_password: SecretStr | None = None
    """Broker password (from ``ANDON_EDGE_MQTT_PASSWORD``; never on a command line)."""
    mqtt_ca_file: Path | None = None
    """CA certificate that the broker's TLS certificate is verified against (default: the
    system's store)."""
    mqtt_cert_file: Path | None = None
    """Client certificate for TLS."""
    mqtt_key_file: Path | None = None
    """Client private key for TLS."""
    mqtt_tls_insecure: bool = False
    """Do not verify the broker's certificate (logged as a warning)."""
    opcua_endpoint: str | None = None
    """OPC UA server to read from, ``opc.tcp://host:4840``; the model's ``node_id`` tags are
    subscribed to."""
    opcua_security: Literal["basic256sha256", "none"] = "basic256sha256"
    """OPC UA security: ``basic256sha256`` (Sign & Encrypt) or ``none`` (asked for, logged)."""
    opcua_certificate: Path | None = None
    """OPC UA client certificate (DER)."""
    opcua_private_key: Path | None = None
    """OPC UA client private key (PEM)."""
    opcua_server_certificate: Path | None = None
    """The OPC UA server's certificate, pinned."""
    opcua_trust_on_first_use: bool = False
    """Trust the OPC UA server certificate seen on the first connection when none is pinned
    (kept, logged loudly); without it an unpinned server is refused."""
    opcua_nodes: dict[str, str] = Field(default_factory=dict)
    """Node ids mapped to tag paths besides the model's, ``{"ns=2;s=T1": "acme/.../temp"}``."""

    # buffer ----------------------------------------------------------------------------------
    buffer_path: Path | None = None
    """Durable buffer (SQLite, WAL): MQTT messages are acknowledged only once their batch is
    on it, and a restart resumes from it. ``None`` keeps batches in memory and acknowledges
    on receipt (a central ingest writing to its own store)."""
    max_buffer_mb: int = Field(default=1024, gt=0)
    """Disk the durable buffer may use, MiB."""
    when_full: FullPolicy = FullPolicy.BLOCK
    """A full buffer: ``block`` stops acknowledging (the broker keeps the messages) or
    ``drop_oldest`` deletes the oldest batches, counted as ``dropped_records``."""
    status_path: Path | None = None
    """Where the status JSON is written; ``None``: ``<buffer_path>.status.json``, or
    nowhere without a buffer."""
    status_every_s: float = Field(default=1.0, gt=0)
    """Seconds between two writes of the status."""

    # forwarding ------------------------------------------------------------------------------
    bus: Literal["in_process", "nats"] = "in_process"
    """Where batches go: ``in_process`` checks and writes them to ``store_url`` here;
    ``nats`` sends them to the site's JetStream stream, read by ``andon ingest bus``."""
    store_url: str | None = None
    """Store that ``bus="in_process"`` writes to: a DuckDB file or ``postgresql://...``."""
    nats_url: str = "nats://127.0.0.1:4222"
    """NATS server of ``bus="nats"``."""
    stream_replicas: int = Field(default=1, ge=1, le=5)
    """Copies of the site's stream that the edge asks for when it creates it (3 on a
    three-node cluster); a stream that exists is left as it is configured."""
    future_bound_s: float = Field(default=300.0, gt=0)
    """How far ahead of the clock a record's time may be before it is quarantined."""
    forward_max_batches: int = Field(default=64, gt=0)
    """Buffered batches merged into one forwarded batch, at most."""
    forward_max_rows: int = Field(default=500_000, gt=0)
    """Rows of one forwarded batch, at most."""
    retry_min_s: float = Field(default=0.2, gt=0)
    """First wait after a failed forward; it doubles up to ``retry_max_s``, forever."""
    retry_max_s: float = Field(default=10.0, gt=0)
    """Longest wait between two tries of a forward."""
    drain_s: float = Field(default=10.0, ge=0)
    """On stop, seconds spent forwarding what waits; the rest stays in the durable buffer."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Read keywords, then ``ANDON_EDGE_*``; keywords only when told not to read the
        environment (``andon ingest``, whose options are the whole configuration)."""
        del settings_cls, dotenv_settings, file_secret_settings
        if not _READ_ENVIRONMENT.get():
            return (init_settings,)
        return (init_settings, env_settings)

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_url(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                MqttSettings(url=value).endpoint()
            except ConnectError as exc:
                raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.mqtt_url is None and self.opcua_endpoint is None:
            raise _SettingsConflictError(
                "settings.no_source",
                "give a source to read: {mqtt_url} and/or {opcua_endpoint}",
                "mqtt_url",
                "opcua_endpoint",
            )
        if self.bus == "in_process" and self.store_url is None:
            raise _SettingsConflictError(
                "settings.no_destination",
                "nothing to forward to: give {store_url} (bus in_process) or {nats_url} (bus nats)",
                "store_url",
                "nats_url",
            )
        if self.bus == "nats" and self.store_url is not None:
            raise _SettingsConflictError(
                "settings.two_destinations",
                "give one destination: {store_url} (bus in_process) or {nats_url} (bus nats), "
                "not both",
                "store_url",
                "nats_url",
            )
        if self.bus == "nats" and not self.site:
            raise _SettingsConflictError(
                "settings.no_site",
                "forwarding to NATS needs {site}: its stream is named after it",
                "site",
            )
        if self.retry_min_s > self.retry_max_s:
            raise _SettingsConflictError(
                "settings.retry_bounds",
                "{retry_min_s} must not exceed {retry_max_s}",
                "retry_min_s",
                "retry_max_s",
            )
        return self

    def uns_topics(self) -> tuple[str, ...]:
        """Return the UNS topic filters to subscribe to."""
        return self.mqtt_topics or (f"{self.mqtt_prefix}#",)

    def mqtt_settings(self) -> MqttSettings | None:
        """Return how to reach the broker, or ``None`` when the edge reads none."""
        if self.mqtt_url is None:
            return None
        return MqttSettings(
            url=self.mqtt_url,
            client_id=self.name,
            username=self.mqtt_username,
            password=None if self.mqtt_password is None else self.mqtt_password.get_secret_value(),
            ca_file=None if self.mqtt_ca_file is None else str(self.mqtt_ca_file),
            cert_file=None if self.mqtt_cert_file is None else str(self.mqtt_cert_file),
            key_file=None if self.mqtt_key_file is None else str(self.mqtt_key_file),
            tls_insecure=self.mqtt_tls_insecure,
        )

    def opcua_settings(self) -> OpcUaSettings | None:
        """Return how to reach the OPC UA server, or ``None`` when the edge reads none."""
        if self.opcua_endpoint is None:
            return None
        from andon.connect.opcua import OpcUaSettings  # noqa: PLC0415 - asyncua only when used

        return OpcUaSettings(
            endpoint=self.opcua_endpoint,
            security=self.opcua_security,
            certificate=self.opcua_certificate,
            private_key=self.opcua_private_key,
            server_certificate=self.opcua_server_certificate,
            trust_on_first_use=self.opcua_trust_on_first_use,
        )

    def status_location(self) -> Path | None:
        """Return where the status is written, or ``None``."""
        if self.status_path is not None:
            return self.status_path
        return None if self.buffer_path is None else status_path_for(self.buffer_path)

    @staticmethod
    def env_name(field: str) -> str:
        """Return the environment variable of a field.

        >>> EdgeSettings.env_name("max_buffer_mb")
        'ANDON_EDGE_MAX_BUFFER_MB'
        """
        return ENV_PREFIX + field.upper()


_SECRET_FIELDS: Final = frozenset({"mqtt_password"})
_NO_INPUT: Final = frozenset({"missing", "extra_forbidden", "value_error"})
"""Errors whose message already says what was given, or where nothing was."""


def load_edge_settings(
    values: Mapping[str, object] | None = None,
    *,
    environ: bool = True,
    labels: Mapping[str, str] | None = None,
) -> EdgeSettings:
    """Return the settings from ``values`` over ``ANDON_EDGE_*`` (with ``environ``) and the
    defaults; raise :class:`~andon.errors.InputError` with every problem otherwise.

    ``labels`` names the settings as the caller knows them (a command names its options,
    ``{"max_buffer_mb": "--max-buffer-mb"}``); a setting without a label is named by its
    field. Each problem's code is ``settings.<reason>``.
    """
    given: dict[str, Any] = dict(values or {})
    names = dict(labels or {})
    unknown = sorted(key for key in given if key not in EdgeSettings.model_fields)
    if unknown:
        # checked here: a key such as ``_env_file`` would be taken as an argument of
        # pydantic-settings itself instead of being refused
        problems = [
            Problem(code="settings.extra_forbidden", message="not a setting of the edge", path=k)
            for k in unknown
        ]
        raise InputError("the edge settings are not valid", problems)
    reading = _READ_ENVIRONMENT.set(environ)
    try:
        return EdgeSettings(**given)
    except ValidationError as exc:
        problems = [_problem(error, names) for error in exc.errors()]
    finally:
        _READ_ENVIRONMENT.reset(reading)
    raise InputError("the edge settings are not valid", problems)


def _problem(error: Any, labels: Mapping[str, str]) -> Problem:
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, _SettingsConflictError):
        return Problem(code=cause.code, message=cause.render(labels))
    location = [str(part) for part in error["loc"]]
    field = location[0] if location else ""
    label = labels.get(field, field)
    where = ".".join([label, *location[1:]]) if location else None
    message = str(error["msg"]).removeprefix("Value error, ")
    if field not in _SECRET_FIELDS and error["type"] not in _NO_INPUT:
        message += f", got {error.get('input')!r}"
    return Problem(code=f"settings.{error['type']}", message=message, path=where)


# the runtime ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Stage:
    """One part of the edge in its start order; ``start=None``: held since it was built."""

    name: str
    stop: Callable[[], None]
    start: Callable[[], None] | None = None


class EdgeRuntime:
    """A site's edge: sources, a buffer and a forwarder, started and stopped as one.

    Built by :func:`edge_runtime`. ``start()`` connects the bus, then the forwarder, then
    the sources, and starts writing the status; ``stop()`` undoes them in reverse: sources
    hand on what they took, the forwarder forwards what waits (within ``drain_s``), what is
    left stays in the durable buffer for the next start. ``status()`` is the counters that
    the status file holds.
    """

    def __init__(
        self,
        *,
        settings: EdgeSettings,
        metrics: Metrics,
        buffer: Buffer,
        forwarder: Forwarder,
        sources: tuple[str, ...],
        stages: tuple[_Stage, ...],
        on_status: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.settings: Final = settings
        self.metrics: Final = metrics
        self.buffer: Final = buffer
        self.forwarder: Final = forwarder
        self.sources: Final = sources
        """The names of the sources read, in start order (``mqtt``, ``opcua``)."""
        self.status_path: Final = settings.status_location()
        self._stages = stages
        self._on_status = on_status
        self._started: list[_Stage] = []
        self._state: Literal["built", "running", "stopping", "stopped"] = "built"
        self._ticker = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """Whether the edge was started and not yet stopped."""
        return self._state == "running"

    def start(self) -> None:
        """Start every stage in order; a stage that fails stops those started, then raises.

        A second call does nothing; a stopped edge does not start again (build a new one).
        """
        with self._lock:
            if self._state == "running":
                return
            if self._state == "stopped":
                msg = "a stopped edge runtime cannot start again: build a new one"
                raise UsageError(msg)
            try:
                for stage in self._stages:
                    if stage.start is not None:
                        stage.start()
                    self._started.append(stage)
            except BaseException:
                self._stop_locked()
                raise
            self._state = "running"
            self._thread = threading.Thread(
                target=self._publish_every, name="andon-edge-status", daemon=True
            )
            self._thread.start()
        _log.info("edge %s running with %s", self.settings.name, ", ".join(self.sources))

    def stop(self) -> None:
        """Stop every started stage in reverse order and write the last status (idempotent).

        An edge built and never started releases what it holds (its buffer, its store).
        """
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        if self._state == "stopped":
            return
        self._state = "stopping"
        self._ticker.set()
        if self._thread is not None:
            self._thread.join(max(self.settings.status_every_s * 2, 5.0))
        held = [stage for stage in self._stages if stage.start is None]
        started = [stage for stage in self._started if stage.start is not None]
        to_stop = [stage for stage in self._stages if stage in started or stage in held]
        publish = True
        for stage in reversed(to_stop):
            if stage.name == "buffer" and publish:
                self._publish()  # before the buffer closes: its depth is the last word
                publish = False
            try:
                stage.stop()
            except Exception:  # noqa: BLE001 - the other stages must still stop
                _log.exception("stopping the edge's %s failed", stage.name)
        self._state = "stopped"

    def status(self) -> dict[str, Any]:
        """Return the counters: received, written, quarantined by reason, depth, lag, and
        ``pid``, ``updated_at`` (Unix seconds), ``running``, ``name``, ``site``."""
        if self._state != "stopped":
            self.metrics.gauge("buffer_depth", self.buffer.depth())
        snapshot = self.metrics.snapshot()
        snapshot.update(
            pid=os.getpid(),
            updated_at=time.time(),
            running=self.running,
            name=self.settings.name,
            site=self.settings.site,
        )
        return snapshot

    def run(self, stop: threading.Event) -> dict[str, Any]:
        """Start, run until ``stop`` is set, stop; return the last status."""
        self.start()
        try:
            stop.wait()
        finally:
            self.stop()
        return self.status()

    def _publish_every(self) -> None:
        while not self._ticker.wait(self.settings.status_every_s):
            try:
                self._publish()
            except Exception:  # noqa: BLE001 - the edge must outlive a status write
                _log.exception("writing the edge's status failed")

    def _publish(self) -> None:
        snapshot = self.status()
        if self._on_status is not None:
            self._on_status(snapshot)
        if self.status_path is not None:
            write_status(self.status_path, snapshot)


# the builder ---------------------------------------------------------------------------------


def edge_runtime(
    settings: EdgeSettings,
    model: Model,
    *,
    metrics: Metrics | None = None,
    on_status: Callable[[dict[str, Any]], None] | None = None,
) -> EdgeRuntime:
    """Return the edge that ``settings`` describe over ``model``, built and not started.

    Building opens the buffer and, for ``bus="in_process"``, the store; it reaches no
    network (``start()`` does). ``on_status`` hears every status the edge writes.
    """
    metrics = metrics if metrics is not None else Metrics()
    stages: list[_Stage] = []
    try:
        buffer = _buffer(settings, metrics)
        stages.append(_Stage("buffer", buffer.close))
        sink = _sink(settings, model, metrics, stages)
        forwarder = Forwarder(
            buffer=buffer,
            sink=sink,
            name=settings.name,
            metrics=metrics,
            max_batches=settings.forward_max_batches,
            max_rows=settings.forward_max_rows,
            retry_min_s=settings.retry_min_s,
            retry_max_s=settings.retry_max_s,
        )
        stages.append(
            _Stage(
                "forwarder",
                start=forwarder.start,
                stop=lambda: forwarder.stop(drain_s=settings.drain_s),
            )
        )
        sources = _sources(settings, model, buffer, metrics, stages)
    except BaseException:
        for stage in reversed(stages):
            if stage.start is None:
                stage.stop()
        raise
    return EdgeRuntime(
        settings=settings,
        metrics=metrics,
        buffer=buffer,
        forwarder=forwarder,
        sources=sources,
        stages=tuple(stages),
        on_status=on_status,
    )


def _buffer(settings: EdgeSettings, metrics: Metrics) -> Buffer:
    if settings.buffer_path is None:
        return MemoryBuffer()
    return DiskBuffer(
        settings.buffer_path,
        max_bytes=settings.max_buffer_mb << 20,
        policy=settings.when_full,
        metrics=metrics,
    )


def _sink(settings: EdgeSettings, model: Model, metrics: Metrics, stages: list[_Stage]) -> Sink:
    if settings.bus == "in_process":
        from andon.connect.pipeline import Pipeline  # noqa: PLC0415 - the store's stack
        from andon.store import open_store  # noqa: PLC0415

        store = open_store(settings.store_url or "")
        stages.append(_Stage("store", store.close))
        pipeline = Pipeline(
            store=store, model=model, metrics=metrics, future_bound_s=settings.future_bound_s
        )
        return StoreSink(pipeline)
    from andon.connect.bus import NatsPublisher  # noqa: PLC0415 - nats only when used

    publisher = NatsPublisher(
        url=settings.nats_url,
        site=settings.site or "",
        metrics=metrics,
        replicas=settings.stream_replicas,
    )
    stages.append(_Stage("bus", start=publisher.start, stop=publisher.close))
    return publisher


def _sources(
    settings: EdgeSettings,
    model: Model,
    buffer: Buffer,
    metrics: Metrics,
    stages: list[_Stage],
) -> tuple[str, ...]:
    names: list[str] = []
    mqtt = settings.mqtt_settings()
    if mqtt is not None:
        source = _mqtt_source(settings, mqtt, model, buffer, metrics)
        stages.append(_Stage(f"mqtt {settings.protocol}", start=source.start, stop=source.stop))
        names.append(f"mqtt {settings.protocol}")
    opcua = settings.opcua_settings()
    if opcua is not None:
        from andon.connect.opcua import OpcUaSource, node_map, node_rates  # noqa: PLC0415

        nodes = node_map(model, settings.opcua_nodes)
        reader = OpcUaSource(
            settings=opcua,
            nodes=nodes,
            handler=buffer.append,
            source=settings.name,
            metrics=metrics,
            rates=node_rates(model, nodes),
        )
        stages.append(_Stage("opcua", start=reader.start, stop=reader.stop))
        names.append("opcua")
    return tuple(names)


def _mqtt_source(
    settings: EdgeSettings, mqtt: MqttSettings, model: Model, buffer: Buffer, metrics: Metrics
) -> MqttSource:
    durable = settings.buffer_path is not None
    if settings.protocol == "sparkplug":
        from andon.connect.sparkplug import SparkplugHost  # noqa: PLC0415

        host = SparkplugHost(
            model=model, group=settings.sparkplug_group, host_id=settings.name, source=settings.name
        )
        return MqttSource(
            # a host application connects with Clean Session true (Sparkplug B 3.0,
            # tck-id-message-flow-phid-sparkplug-clean-session-311): what it missed, it asks
            # again with rebirths; edge nodes keep their data while its STATE is offline
            settings=dataclasses.replace(mqtt, persistent_session=False),
            topics=host.subscriptions(),
            decode=host.decode,
            handler=buffer.append,
            metrics=metrics,
            ack_after_handler=durable,
            presence=host.presence,
            commands=host.take_commands,
        )
    from andon.connect.uns import UnsDecoder  # noqa: PLC0415

    decoder = UnsDecoder(source=settings.name, prefix=settings.mqtt_prefix)
    return MqttSource(
        settings=mqtt,
        topics=settings.uns_topics(),
        decode=decoder.decode,
        handler=buffer.append,
        metrics=metrics,
        ack_after_handler=durable,
    )
