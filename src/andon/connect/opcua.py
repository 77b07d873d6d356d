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
import hashlib
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import pyarrow as pa
from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.node import Node
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256
from asyncua.ua.attribute_ids import AttributeIds
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
    "SubscriptionPlan",
    "browse",
    "fingerprint",
    "node_map",
    "node_rates",
    "overflowed",
    "subscription_plan",
    "to_quality",
]

_log: Final = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class OpcUaSettings:
    """How to reach an OPC UA server.

    ``security`` is ``"basic256sha256"`` (default: Sign & Encrypt with ``certificate`` and
    ``private_key``) or ``"none"``, which must be asked for and is logged. In the secure
    mode the server is authenticated: its certificate must be the one pinned in
    ``server_certificate`` (DER or PEM), or, with ``trust_on_first_use``, the one seen on
    the first connection (kept in ``trusted_certificates``, a folder; logged loudly), and a
    certificate that is neither is refused with its fingerprint.

    The subscription asks the server to sample each node every ``sampling_interval_ms``,
    to publish every ``publishing_interval_ms`` and to keep ``queue_size`` values per node
    between publications; ``None`` derives them from the tags' ``rate_s``
    (:func:`subscription_plan`). A reconnection waits ``reconnect_min_s`` doubling up to
    ``reconnect_max_s``, with up to 20 % jitter, so a restarted server is back within about
    a second.
    """

    endpoint: str
    security: Literal["basic256sha256", "none"] = "basic256sha256"
    certificate: Path | None = None
    private_key: Path | None = None
    server_certificate: Path | None = None
    trust_on_first_use: bool = False
    trusted_certificates: Path | None = None
    application_uri: str = "urn:andon:client"
    username: str | None = None
    password: str | None = None
    publishing_interval_ms: int | None = None
    sampling_interval_ms: int | None = None
    queue_size: int | None = None
    timeout_s: float = 5.0
    reconnect_min_s: float = 0.2
    reconnect_max_s: float = 1.0

    def check(self) -> None:
        """Raise :class:`ConnectError` for settings that cannot connect as asked."""
        if self.security == "none":
            return
        if self.certificate is None or self.private_key is None:
            msg = (
                "OPC UA Basic256Sha256 needs a client certificate and private key "
                "(--certificate, --private-key); give them, or choose security 'none' explicitly"
            )
            raise ConnectError(msg)
        for label, path in (
            ("client certificate", self.certificate),
            ("private key", self.private_key),
            ("server certificate", self.server_certificate),
        ):
            if path is not None and not path.is_file():
                msg = f"OPC UA {label} {path}: no such file"
                raise ConnectError(msg)


def fingerprint(der: bytes) -> str:
    """Return a certificate's SHA-256 fingerprint as colon-separated hex pairs.

    >>> fingerprint(b"x")[:11]
    '2D:71:16:42'
    """
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _der_of(path: Path) -> bytes:
    data = path.read_bytes()
    if b"-----BEGIN CERTIFICATE-----" in data:
        from cryptography import x509  # noqa: PLC0415 - only for a PEM file
        from cryptography.hazmat.primitives.serialization import Encoding  # noqa: PLC0415

        return x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)
    return data


def _trust_file(settings: OpcUaSettings) -> Path:
    folder = settings.trusted_certificates or Path.home() / ".andon" / "opcua-trusted"
    name = "".join(c if c.isalnum() else "_" for c in settings.endpoint)
    return folder / f"{name}.der"


def trusted_certificate(settings: OpcUaSettings, seen: bytes) -> bytes:
    """Return the server certificate to trust for ``settings``, having seen ``seen``.

    The pinned one, else (trust on first use) the one kept from an earlier connection or,
    the first time, ``seen`` itself, kept and logged. Raises :class:`ConnectError` saying
    the fingerprint seen and the one expected when they differ, or that nothing is trusted.
    """
    if settings.server_certificate is not None:
        expected = _der_of(settings.server_certificate)
        where = f"pinned in {settings.server_certificate}"
    elif settings.trust_on_first_use:
        kept = _trust_file(settings)
        if not kept.exists():
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_bytes(seen)
            _log.warning(
                "OPC UA %s: TRUSTING ON FIRST USE the server certificate %s, kept in %s; "
                "check this fingerprint with the server's administrator",
                settings.endpoint,
                fingerprint(seen),
                kept,
            )
            return seen
        expected = kept.read_bytes()
        where = f"trusted on first use, kept in {kept}"
    else:
        msg = (
            f"OPC UA {settings.endpoint}: the server's certificate {fingerprint(seen)} is not "
            "trusted: pin it with --server-certificate, or choose trust on first use"
        )
        raise ConnectError(msg, code="connect.untrusted_certificate")
    if expected != seen:
        msg = (
            f"OPC UA {settings.endpoint}: the server's certificate {fingerprint(seen)} is not "
            f"the one expected, {fingerprint(expected)} ({where}); refused"
        )
        raise ConnectError(msg, code="connect.untrusted_certificate")
    return expected


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
class SubscriptionPlan:
    """The intervals and queue size a subscription asks the server for."""

    publishing_interval_ms: int
    sampling_interval_ms: int
    queue_size: int


def subscription_plan(settings: OpcUaSettings, rates_s: Iterable[float]) -> SubscriptionPlan:
    """Return the subscription to ask for: settings given win, the rest from the tags' rates.

    Nodes are sampled at the fastest tag's rate (at most 10 Hz when none is known),
    published every half second, and each node's queue holds twice the values of
    one publication, so that nothing overflows at the expected rates (Part 4, 5.12.1.5).

    >>> subscription_plan(OpcUaSettings(endpoint="opc.tcp://h:4840"), [0.1, 10.0])
    SubscriptionPlan(publishing_interval_ms=500, sampling_interval_ms=100, queue_size=11)
    >>> subscription_plan(OpcUaSettings(endpoint="opc.tcp://h:4840", queue_size=3), [60.0])
    SubscriptionPlan(publishing_interval_ms=500, sampling_interval_ms=1000, queue_size=3)
    """
    known = [rate for rate in rates_s if rate > 0]
    fastest_ms = max(10, round(min(known) * 1000)) if known else 100
    sampling = settings.sampling_interval_ms or min(fastest_ms, 1000)
    publishing = settings.publishing_interval_ms or 500
    queue = settings.queue_size or min(1000, 2 * math.ceil(publishing / max(sampling, 1)) + 1)
    return SubscriptionPlan(publishing, sampling, max(queue, 1))


def node_rates(model: Model, nodes: Mapping[str, str]) -> dict[str, float]:
    """Return node id -> the expected interval (``rate_s``) of the tag it maps to."""
    rates: dict[str, float] = {}
    for node_id, path in nodes.items():
        tag = model.tags.get(path)
        rate = getattr(getattr(tag, "definition", None), "rate_s", None)
        if rate:
            rates[node_id] = float(rate)
    return rates


_OVERFLOW: Final = 0x0480
"""InfoType DataValue (bit 10) and the Overflow bit (bit 7) of a StatusCode (Part 4, 7.34.1)."""


def overflowed(status: Any) -> bool:
    """Return whether a value's status says the server's queue overflowed (values lost).

    >>> overflowed(0x00000480), overflowed(0x00000080), overflowed(0)
    (True, False, False)
    """
    value = int(getattr(status, "value", status) or 0)
    return value & 0x0C80 == _OVERFLOW


@dataclass(frozen=True, slots=True)
class _Item:
    Value: Any


@dataclass(frozen=True, slots=True)
class _Notification:
    monitored_item: _Item


@dataclass(frozen=True, slots=True)
class BrowsedVariable:
    """A variable found by :func:`browse`."""

    node_id: str
    browse_path: str
    data_type: str


async def _server_certificate(settings: OpcUaSettings) -> bytes:
    """Return the certificate the server offers for Basic256Sha256 SignAndEncrypt."""
    probe = Client(settings.endpoint, timeout=settings.timeout_s)
    endpoints = await probe.connect_and_get_server_endpoints()
    for endpoint in endpoints:
        if (
            endpoint.SecurityPolicyUri == SecurityPolicyBasic256Sha256.URI
            and endpoint.SecurityMode == ua.MessageSecurityMode.SignAndEncrypt
            and endpoint.ServerCertificate
        ):
            return bytes(endpoint.ServerCertificate)
    msg = (
        f"OPC UA {settings.endpoint} offers no Basic256Sha256 SignAndEncrypt endpoint "
        "with a certificate"
    )
    raise ConnectError(msg, code="connect.no_secure_endpoint")


async def _connect(settings: OpcUaSettings) -> Client:
    settings.check()
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
        trusted = trusted_certificate(settings, await _server_certificate(settings))
        await client.set_security(
            SecurityPolicyBasic256Sha256,
            certificate=str(settings.certificate),  # settings.check(): both given
            private_key=str(settings.private_key),
            server_certificate=trusted,
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
        self.overflows = 0
        """Values whose status said the server's queue overflowed: one value or more lost
        before each."""

    def datachange_notification(self, node: Node, value: Any, data: Any) -> None:
        self.count += 1
        path = self.paths.get(node.nodeid.to_string(), node.nodeid.to_string())
        data_value = data.monitored_item.Value
        if overflowed(data_value.StatusCode):
            self.overflows += 1
            if self.overflows == 1 or self.overflows % 100 == 0:
                _log.warning(
                    "OPC UA node %s: the server's queue overflowed, values were lost "
                    "(%d overflow(s) so far): raise queue_size or lower publishing_interval_ms",
                    node.nodeid.to_string(),
                    self.overflows,
                )
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
        rates: Mapping[str, float] | None = None,
    ) -> None:
        """``rates`` is each node id's expected interval in seconds (the tag's ``rate_s``),
        from which the subscription's intervals and queue size are derived."""
        if not nodes:
            msg = "no OPC UA node ids to subscribe to: map tags with node_id in the model"
            raise ConnectError(msg)
        settings.check()
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
        self.refused: ConnectError | None = None
        """Why the source gave up (a certificate refused, settings that cannot work)."""
        self._attempted = threading.Event()
        self._rates = dict(rates or {})

    @property
    def notifications(self) -> int:
        """Data changes received so far."""
        return self._collector.count

    async def run(self) -> None:
        """Connect, subscribe, flush, and reconnect with backoff until :meth:`stop`.

        A :class:`ConnectError` (a server certificate refused, settings that cannot work)
        ends the run: it is kept in :attr:`refused`, logged, and raised.
        """
        self._stop = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        delay = self.settings.reconnect_min_s
        flusher = asyncio.create_task(self._flush_loop())
        try:
            while not self._stop.is_set():
                try:
                    await self._session()
                    delay = self.settings.reconnect_min_s
                except ConnectError as exc:
                    self.refused = exc
                    _log.error("OPC UA %s: %s", self.settings.endpoint, exc)
                    raise
                except Exception as exc:  # noqa: BLE001 - any failure of the link means retry
                    self.connected.clear()
                    self._attempted.set()
                    self.metrics.add("disconnects")
                    wait = delay * (1.0 + 0.2 * random.random())
                    _log.warning(
                        "OPC UA %s: %s; reconnecting in %.1f s",
                        self.settings.endpoint,
                        exc or type(exc).__name__,
                        wait,
                    )
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), wait)
                    delay = min(delay * 2, self.settings.reconnect_max_s)
        finally:
            self._attempted.set()
            flusher.cancel()
            self._flush()

    async def _session(self) -> None:
        assert self._stop is not None
        client = await _connect(self.settings)
        try:
            plan = subscription_plan(self.settings, self._rates.values())
            subscription = await client.create_subscription(
                plan.publishing_interval_ms, self._collector
            )
            nodes = [client.get_node(node_id) for node_id in self.nodes]
            handles = await subscription.subscribe_data_change(
                nodes,
                queuesize=plan.queue_size,
                sampling_interval=ua.Double(float(plan.sampling_interval_ms)),
            )
            failed = [n for n, h in zip(self.nodes, handles, strict=True) if not isinstance(h, int)]
            if failed:
                _log.warning(
                    "OPC UA: %d node id(s) could not be subscribed: %s",
                    len(failed),
                    ", ".join(failed[:5]),
                )
                self.metrics.add("unsubscribed_nodes", len(failed))
            self.metrics.add("connects")
            if self.metrics.count("connects") > 1:
                await self._read_current(client, nodes)
            self.connected.set()
            self._attempted.set()
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

    async def _read_current(self, client: Client, nodes: list[Node]) -> None:
        """After a reconnection, read every node's current value, so that a value that
        changed while the link was down (and will not change again) is not missing."""
        try:
            values = await client.read_attributes(nodes, AttributeIds.Value)
        except (UaError, OSError, TimeoutError) as exc:
            _log.warning(
                "OPC UA %s: reading current values failed: %s", self.settings.endpoint, exc
            )
            return
        for node, data_value in zip(nodes, values, strict=True):
            if data_value.StatusCode is not None and not data_value.StatusCode.is_good():
                continue
            notification = _Notification(_Item(data_value))
            payload = data_value.Value.Value if data_value.Value is not None else None
            self._collector.datachange_notification(node, payload, notification)
        self.metrics.add("current_value_reads", len(nodes))

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self._flush_interval_s)
            self._flush()

    def _flush(self) -> None:
        overflows, self._collector.overflows = self._collector.overflows, 0
        if overflows:
            self.metrics.add("lost_values_at_least", overflows)
        decoded = self._collector.take(self.source)
        if not decoded.rows and not decoded.rejected:
            return
        self.metrics.received(messages=decoded.rows + len(decoded.rejected))
        self.metrics.decoded(records=decoded.rows, rejected=len(decoded.rejected))
        self._handler(Batch.of(decoded, received_at_us=time.time_ns() // 1000))

    def start(self) -> None:
        """Run in a thread of its own (for synchronous callers).

        Waits for the first connection attempt: a refusal (a server certificate not
        trusted) is raised here, as a :class:`ConnectError`; a server that does not answer
        yet is retried in the background.
        """

        def main() -> None:
            with contextlib.suppress(ConnectError):  # kept in self.refused
                asyncio.run(self.run())

        self._thread = threading.Thread(target=main, name="andon-opcua", daemon=True)
        self._thread.start()
        self._attempted.wait(3 * self.settings.timeout_s + 5)
        if self.refused is not None:
            self._thread.join(5)
            raise self.refused

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
