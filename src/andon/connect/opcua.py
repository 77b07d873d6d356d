"""An OPC UA source on asyncua: browse, subscribe to the model's node ids, reconnect, secure.

The model maps tags to OPC UA node ids (``TagOverride.node_id``); :func:`node_map` reads
them. :class:`OpcUaSource` connects with security policy Basic256Sha256 and
SignAndEncrypt by default (a certificate and key are then required); no security is only
used when ``security="none"`` is chosen explicitly, and it is logged as a warning. It
subscribes to every mapped node, turns data changes into ``sample`` batches every
``flush_interval_s``, watches the connection, and on a loss reconnects with exponential
backoff and subscribes again.

Mapping a notification to a record is a pure function (:func:`to_quality`), tested without
a server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import pyarrow as pa
from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.node import Node
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256
from asyncua.ua.object_ids import ObjectIds
from asyncua.ua.uaerrors import UaError

from andon.connect.decoded import Batch, Decoded, Rejected
from andon.connect.metrics import Metrics
from andon.errors import ConnectError
from andon.model import Model
from andon.records import TS_TYPE, Quality, RecordKind

__all__ = [
    "BrowsedVariable",
    "OpcUaSettings",
    "OpcUaSource",
    "browse",
    "node_map",
    "to_quality",
]

_log: Final = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class OpcUaSettings:
    """How to reach an OPC UA server.

    ``security`` is ``"basic256sha256"`` (default: Sign & Encrypt with ``certificate`` and
    ``private_key``, the server's certificate in ``server_certificate`` when pinned) or
    ``"none"``, which must be asked for.
    """

    endpoint: str
    security: Literal["basic256sha256", "none"] = "basic256sha256"
    certificate: Path | None = None
    private_key: Path | None = None
    server_certificate: Path | None = None
    application_uri: str = "urn:andon:client"
    username: str | None = None
    password: str | None = None
    publishing_interval_ms: int = 1000
    timeout_s: float = 5.0
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 30.0


def node_map(model: Model, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return node id -> tag path for every tag the model maps, plus ``extra``."""
    found = {tag.node_id: path for path, tag in model.tags.items() if tag.node_id}
    found.update(extra or {})
    return found


def to_quality(status: Any) -> str:
    """Return andon's quality for an OPC UA status code (Part 4, 7.34: the top two bits)."""
    value = int(getattr(status, "value", status) or 0)
    severity = (value >> 30) & 0b11
    if severity == 0:
        return Quality.GOOD.value
    if severity == 1:
        return Quality.UNCERTAIN.value
    return Quality.BAD.value


@dataclass(frozen=True, slots=True)
class BrowsedVariable:
    """A variable found by :func:`browse`."""

    node_id: str
    browse_path: str
    data_type: str


async def _connect(settings: OpcUaSettings) -> Client:
    client = Client(settings.endpoint, timeout=settings.timeout_s)
    client.application_uri = settings.application_uri
    if settings.username is not None:
        client.set_user(settings.username)
        client.set_password(settings.password or "")
    if settings.security == "none":
        _log.warning(
            "OPC UA security is OFF for %s: chosen explicitly (security='none')", settings.endpoint
        )
    else:
        if settings.certificate is None or settings.private_key is None:
            msg = (
                "OPC UA Basic256Sha256 needs a client certificate and private key; "
                "give them, or choose security='none' explicitly"
            )
            raise ConnectError(msg)
        await client.set_security(
            SecurityPolicyBasic256Sha256,
            certificate=str(settings.certificate),
            private_key=str(settings.private_key),
            server_certificate=(
                str(settings.server_certificate) if settings.server_certificate else None
            ),
            mode=ua.MessageSecurityMode.SignAndEncrypt,
        )
    await client.connect()
    return client


async def browse(settings: OpcUaSettings, *, max_depth: int = 6) -> list[BrowsedVariable]:
    """Return every variable below the server's Objects folder (for mapping tags)."""
    try:
        client = await _connect(settings)
    except (OSError, TimeoutError, UaError) as exc:
        msg = f"cannot connect to OPC UA server {settings.endpoint}: {exc}"
        raise ConnectError(msg) from exc
    found: list[BrowsedVariable] = []
    try:

        async def walk(node: Node, path: str, depth: int) -> None:
            for child in await node.get_children():
                name = (await child.read_browse_name()).Name
                node_class = await child.read_node_class()
                child_path = f"{path}/{name}" if path else name
                if node_class == ua.NodeClass.Variable:
                    data_type = await child.read_data_type_as_variant_type()
                    found.append(
                        BrowsedVariable(child.nodeid.to_string(), child_path, data_type.name)
                    )
                elif depth < max_depth and node_class == ua.NodeClass.Object:
                    if (
                        child.nodeid.NamespaceIndex == 0
                        and child.nodeid.Identifier == ObjectIds.Server
                    ):
                        continue
                    await walk(child, child_path, depth + 1)

        await walk(client.nodes.objects, "", 0)
    finally:
        await client.disconnect()
    return found


class _Collector:
    """asyncua's subscription handler: keeps notifications as columns until a flush."""

    def __init__(self, paths: Mapping[str, str]) -> None:
        self.paths = paths
        self.ts: list[int] = []
        self.path: list[str] = []
        self.value: list[float | None] = []
        self.quality: list[str] = []
        self.rejects: list[Rejected] = []
        self.count = 0

    def datachange_notification(self, node: Node, value: Any, data: Any) -> None:
        self.count += 1
        path = self.paths.get(node.nodeid.to_string(), node.nodeid.to_string())
        data_value = data.monitored_item.Value
        stamp = data_value.SourceTimestamp or data_value.ServerTimestamp
        ts = int(stamp.timestamp() * 1_000_000) if stamp is not None else time.time_ns() // 1000
        if value is not None and not isinstance(value, bool | int | float):
            self.rejects.append(
                Rejected(
                    "opcua.non_numeric",
                    f"node {node.nodeid.to_string()} sent a {type(value).__name__}, not a number",
                    node.nodeid.to_string(),
                    repr(value).encode(),
                    RecordKind.SAMPLE.value,
                )
            )
            return
        self.ts.append(ts)
        self.path.append(path)
        self.value.append(None if value is None else float(value))
        self.quality.append(to_quality(data_value.StatusCode))

    def take(self, source: str) -> Decoded:
        n = len(self.ts)
        tables: dict[RecordKind, pa.Table] = {}
        if n:
            tables[RecordKind.SAMPLE] = pa.Table.from_arrays(
                [
                    pa.array(self.ts, type=pa.int64()).cast(TS_TYPE),
                    pa.repeat(source, n),
                    pa.repeat(0, n).cast(pa.int64()),
                    pa.array(self.path, type=pa.string()),
                    pa.array(self.value, type=pa.float64()),
                    pa.array(self.quality, type=pa.string()),
                ],
                names=["ts", "source", "seq", "path", "value", "quality"],
            )
        decoded = Decoded(tables, tuple(self.rejects))
        self.ts, self.path, self.value, self.quality, self.rejects = [], [], [], [], []
        return decoded


class OpcUaSource:
    """Subscribes to mapped nodes and hands sample batches to a handler; reconnects forever."""

    def __init__(
        self,
        *,
        settings: OpcUaSettings,
        nodes: Mapping[str, str],
        handler: Callable[[Batch], object],
        source: str = "opcua",
        metrics: Metrics | None = None,
        flush_interval_s: float = 0.5,
    ) -> None:
        if not nodes:
            msg = "no OPC UA node ids to subscribe to: map tags with node_id in the model"
            raise ConnectError(msg)
        self.settings: Final = settings
        self.nodes: Final = dict(nodes)
        self.source: Final = source
        self.metrics: Final = metrics if metrics is not None else Metrics()
        self._handler = handler
        self._flush_interval_s = flush_interval_s
        self._collector = _Collector(self.nodes)
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()

    @property
    def notifications(self) -> int:
        """Data changes received so far."""
        return self._collector.count

    async def run(self) -> None:
        """Connect, subscribe, flush, and reconnect with backoff until :meth:`stop`."""
        self._stop = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        delay = self.settings.reconnect_min_s
        flusher = asyncio.create_task(self._flush_loop())
        try:
            while not self._stop.is_set():
                try:
                    await self._session()
                    delay = self.settings.reconnect_min_s
                except ConnectError:
                    raise
                except Exception as exc:  # noqa: BLE001 - any failure of the link means retry
                    self.connected.clear()
                    self.metrics.add("disconnects")
                    _log.warning(
                        "OPC UA %s: %s; reconnecting in %.1f s",
                        self.settings.endpoint,
                        exc or type(exc).__name__,
                        delay,
                    )
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), delay)
                    delay = min(delay * 2, self.settings.reconnect_max_s)
        finally:
            flusher.cancel()
            self._flush()

    async def _session(self) -> None:
        assert self._stop is not None
        client = await _connect(self.settings)
        try:
            subscription = await client.create_subscription(
                self.settings.publishing_interval_ms, self._collector
            )
            nodes = [client.get_node(node_id) for node_id in self.nodes]
            handles = await subscription.subscribe_data_change(nodes, queuesize=10)
            failed = [n for n, h in zip(self.nodes, handles, strict=True) if not isinstance(h, int)]
            if failed:
                _log.warning(
                    "OPC UA: %d node id(s) could not be subscribed: %s",
                    len(failed),
                    ", ".join(failed[:5]),
                )
                self.metrics.add("unsubscribed_nodes", len(failed))
            self.metrics.add("connects")
            self.connected.set()
            _log.info(
                "OPC UA %s: subscribed to %d node(s)", self.settings.endpoint, len(self.nodes)
            )
            while not self._stop.is_set():
                try:
                    await asyncio.wait_for(self._stop.wait(), 1.0)
                except TimeoutError:
                    await client.check_connection()
        finally:
            self.connected.clear()
            with contextlib.suppress(Exception):  # the link may already be gone
                await asyncio.wait_for(client.disconnect(), 2.0)

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self._flush_interval_s)
            self._flush()

    def _flush(self) -> None:
        decoded = self._collector.take(self.source)
        if not decoded.rows and not decoded.rejected:
            return
        self.metrics.received(messages=decoded.rows + len(decoded.rejected))
        self.metrics.decoded(records=decoded.rows, rejected=len(decoded.rejected))
        self._handler(Batch.of(decoded, received_at_us=time.time_ns() // 1000))

    def start(self) -> None:
        """Run in a thread of its own (for synchronous callers)."""
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self.run()), name="andon-opcua", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Flush what was received and disconnect."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    async def stop_async(self) -> None:
        """Stop from inside the event loop."""
        if self._stop is not None:
            self._stop.set()


async def measure_capacity(*, items_steps: list[int], seconds: float) -> list[dict[str, Any]]:
    """For each count of items, serve that many variables changing at 1 Hz and follow them.

    The server runs in a child process so that its work does not count against the client,
    and counts the changes it actually made: on a loaded machine it may not manage ``items``
    changes a second, and then the step says so (``server_limited``) rather than blaming the
    client. Returns, per step, the changes made and the notifications received per second,
    and whether the client kept up (at least 95 % of the changes made, source-to-receipt lag
    p99 under 1 s).
    """
    import multiprocessing as mp  # noqa: PLC0415
    import socket  # noqa: PLC0415

    results: list[dict[str, Any]] = []
    for items in items_steps:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        ready = mp.Event()
        changes = mp.Value("q", 0)
        process = mp.Process(
            target=_serve_changing,
            args=(port, items, seconds + 10, ready, changes),
            daemon=True,
        )
        process.start()
        started = ready.wait(60)
        lags: list[float] = []

        def handler(batch: Batch, lags: list[float] = lags) -> None:
            table = batch.tables.get(RecordKind.SAMPLE)
            if table is not None:
                now = time.time_ns() // 1000
                ts = table.column("ts").cast(pa.int64()).to_numpy()
                lags.extend(((now - ts) / 1e6).tolist())

        nodes = {f"ns=2;i={1000 + i}": f"capacity/item{i}" for i in range(items)}
        source = OpcUaSource(
            settings=OpcUaSettings(
                endpoint=f"opc.tcp://127.0.0.1:{port}", security="none", publishing_interval_ms=200
            ),
            nodes=nodes,
            handler=handler,
            flush_interval_s=0.2,
        )
        task = asyncio.create_task(source.run())
        deadline = time.monotonic() + (60 if started else 5)
        while not source.connected.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        connected = source.connected.is_set()
        await asyncio.sleep(2.0)  # initial values and warm-up
        start_count, made_before = source.notifications, changes.value
        lags.clear()
        await asyncio.sleep(seconds)
        received = source.notifications - start_count
        made = changes.value - made_before
        await source.stop_async()
        await task
        process.terminate()
        process.join(5)
        step = _capacity_step(
            items,
            received / seconds,
            lags,
            started=started,
            connected=connected,
            made_per_s=made / seconds,
        )
        results.append(step)
    return results


def _capacity_step(
    items: int,
    rate: float,
    lags: list[float],
    *,
    started: bool,
    connected: bool,
    made_per_s: float | None = None,
) -> dict[str, Any]:
    """One step of :func:`measure_capacity`, valid JSON: no lag is ``null`` with the reason.

    ``made_per_s`` is how many changes the server made a second (``None``: every one due).

    >>> _capacity_step(10, 0.0, [], started=True, connected=True)["lag_p99_s"] is None
    True
    """
    import numpy as np  # noqa: PLC0415

    made = float(items) if made_per_s is None else made_per_s
    step: dict[str, Any] = {
        "items": items,
        "changes_made_per_s": round(made, 1),
        "notifications_per_s": round(rate, 1),
        "server_limited": made < 0.95 * items,
    }
    if lags:
        p99 = float(np.percentile(lags, 99))
        step["lag_p99_s"] = round(p99, 3)
        step["sustained"] = made > 0 and rate >= 0.95 * made and p99 < 1.0
        if step["server_limited"]:
            step["reason"] = (
                f"the test server made only {made:.0f} of {items} changes a second: "
                "the step does not measure the client"
            )
        return step
    step["lag_p99_s"] = None
    step["sustained"] = False
    if not started:
        step["reason"] = "the OPC UA test server did not start within 60 s"
    elif not connected:
        step["reason"] = "the client did not connect to the test server"
    else:
        step["reason"] = "no value change reached the client in the measured window"
    return step


def _serve_changing(port: int, items: int, seconds: float, ready: Any, changes: Any) -> None:
    """Child process: an OPC UA server whose ``items`` variables all change every second."""
    import datetime  # noqa: PLC0415
    from typing import cast  # noqa: PLC0415

    from asyncua.server.server import Server  # noqa: PLC0415

    async def main() -> None:
        server = Server()
        await server.init()
        server.set_endpoint(f"opc.tcp://127.0.0.1:{port}")
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        idx = await server.register_namespace("urn:andon:capacity")
        folder = await server.nodes.objects.add_folder(idx, "capacity")
        variables = [
            await folder.add_variable(f"ns={idx};i={1000 + i}", f"item{i}", 0.0)
            for i in range(items)
        ]
        async with server:
            ready.set()
            end = time.monotonic() + seconds
            tick = 0
            while time.monotonic() < end:
                started = time.monotonic()
                tick += 1
                now = cast("ua.DateTime", datetime.datetime.now(datetime.UTC))
                for number, variable in enumerate(variables, 1):
                    if number % 50 == 0:  # counted as it goes: a late tick still counts
                        with changes.get_lock():
                            changes.value += 50
                    await server.write_attribute_value(
                        variable.nodeid,
                        ua.DataValue(
                            ua.Variant(float(tick), ua.VariantType.Double),
                            SourceTimestamp=now,
                            ServerTimestamp=now,
                        ),
                    )
                with changes.get_lock():
                    changes.value += items % 50
                await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))

    asyncio.run(main())
