"""The bus between edge and central: in-process, or NATS JetStream (a stream per site).

A bus carries :class:`~andon.connect.decoded.Batch` values as bytes (Arrow IPC). Both
implementations offer the same two sides, tested by one test body:

* ``send(batch, batch_id=...)``: returns once the bus holds the batch (JetStream: once the
  stream acknowledged it, so the edge may then drop it from its disk buffer);
* ``consume(handler)``: calls ``handler(batch, batch_id)`` for each batch in order, and
  acknowledges only after the handler returned; a handler that raises gets the batch again
  later (at least once; the store's idempotent writes make it exactly once in effect).

On NATS each site has a stream ``ANDON_<SITE>`` on subjects ``andon.<site>.>`` (the site id
as one subject token, :func:`site_token`: ``acme/lyon`` is ``acme~2Flyon``); central
reads it through a durable consumer, so a central restart resumes where it stopped. A batch
larger than the server's message limit is split by rows; each part carries a message id
(``Nats-Msg-Id``) so that a part sent twice within the stream's duplicate window is
stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import re
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Final, Protocol, TypeVar

import nats
import pyarrow as pa
from nats.errors import Error as NatsError
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig
from nats.js.errors import Error as JetStreamError

from andon.connect.decoded import Batch
from andon.connect.metrics import Metrics
from andon.errors import AndonError, ConnectError

__all__ = [
    "Bus",
    "InProcessBus",
    "NatsConsumer",
    "NatsPublisher",
    "site_token",
    "split_batch",
    "stream_name",
    "subjects",
]

_log: Final = logging.getLogger(__name__)
_T = TypeVar("_T")

Handler = Callable[[Batch, str], object]


class Bus(Protocol):
    """What edge and central need of a bus."""

    def send(self, batch: Batch, *, batch_id: str) -> None:
        """Return once the bus holds the batch."""
        ...


_PLAIN: Final = re.compile(r"[A-Za-z0-9_-]")


def site_token(site: str) -> str:
    """Return a site id as one NATS subject token: ``-``, ``_``, letters and digits as they
    are, any other character as ``~`` and the hex of each of its UTF-8 bytes.

    One function names both the stream's subjects and the subject batches go to, so a site id
    with a slash, a dot or a space reaches its own stream. Two different site ids never share
    a token.

    >>> site_token("acme/lyon"), site_token("lyon-2"), site_token("a.b")
    ('acme~2Flyon', 'lyon-2', 'a~2Eb')
    """
    return "".join(
        char if _PLAIN.fullmatch(char) else "".join(f"~{b:02X}" for b in char.encode())
        for char in site
    )


def nats_servers(url: str) -> list[str]:
    """Return the servers of a NATS URL that may name several, comma-separated (a cluster's
    nodes: the client tries them in turn and learns the others from the one it reaches).

    >>> nats_servers("nats://a:4222, nats://b:4222")
    ['nats://a:4222', 'nats://b:4222']
    """
    return [server.strip() for server in url.split(",") if server.strip()]


def stream_name(site: str) -> str:
    """Return the JetStream stream of a site: ``ANDON_`` and its token in capitals (a plain
    id's ``-`` as ``_``, as before site tokens).

    >>> stream_name("acme/lyon"), stream_name("lyon-2")
    ('ANDON_ACME~2FLYON', 'ANDON_LYON_2')
    """
    return "ANDON_" + re.sub(r"[^A-Za-z0-9~]", "_", site_token(site)).upper()


def subjects(site: str) -> tuple[str, str]:
    """Return the subject filter of a site's stream and the subject its batches go to.

    >>> subjects("acme/lyon")
    ('andon.acme~2Flyon.>', 'andon.acme~2Flyon.batches')
    """
    token = site_token(site)
    return f"andon.{token}.>", f"andon.{token}.batches"


def split_batch(batch: Batch, max_bytes: int) -> list[Batch]:
    """Return parts of a batch, each serialised within ``max_bytes`` (by halving rows)."""
    if len(batch.to_bytes()) <= max_bytes or batch.rows <= 1:
        return [batch]
    first: dict[Any, pa.Table] = {}
    second: dict[Any, pa.Table] = {}
    for kind, table in batch.tables.items():
        half = table.num_rows // 2
        first[kind], second[kind] = table.slice(0, half), table.slice(half)
    half_q = batch.quarantine.num_rows // 2
    parts = [
        Batch(first, batch.quarantine.slice(0, half_q), batch.received_at_us),
        Batch(second, batch.quarantine.slice(half_q), batch.received_at_us),
    ]
    return [piece for part in parts for piece in split_batch(part, max_bytes)]


class InProcessBus:
    """A bus inside one process: a bounded queue with redelivery when a handler fails."""

    def __init__(self, *, max_batches: int = 1000) -> None:
        self._queue: queue.Queue[tuple[Batch, str]] = queue.Queue(max_batches)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def send(self, batch: Batch, *, batch_id: str) -> None:
        """Queue a batch (waits while the queue is full)."""
        self._queue.put((batch, batch_id))

    def consume(self, handler: Handler, *, retry_s: float = 0.2) -> None:
        """Call ``handler`` for each batch in order on a thread; retry a failed batch."""

        def run() -> None:
            while not self._stop.is_set():
                try:
                    batch, batch_id = self._queue.get(timeout=0.1)
                except queue.Empty:
                    continue
                while not self._stop.is_set():
                    try:
                        handler(batch, batch_id)
                        break
                    except AndonError as exc:
                        _log.warning("bus handler failed (%s); retrying in %.1f s", exc, retry_s)
                        self._stop.wait(retry_s)

        self._thread = threading.Thread(target=run, name="andon-bus", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop consuming."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)


class _Loop:
    """An asyncio loop on a thread of its own, for the synchronous side of andon."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="andon-nats", daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, _T], timeout_s: float | None = 30.0) -> _T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout_s)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


async def _ensure_stream(js: Any, site: str, replicas: int = 1) -> None:
    """Create the site's stream with ``replicas`` copies when it does not exist yet.

    An existing stream is left as its operator configured it; one with fewer replicas than
    asked is logged, since a stream on one node of a cluster loses data when that node does.
    """
    config = StreamConfig(
        name=stream_name(site),
        subjects=[subjects(site)[0]],
        duplicate_window=300.0,
        num_replicas=replicas,
    )
    try:
        info = await js.stream_info(config.name)
    except JetStreamError:
        try:
            await js.add_stream(config)
        except JetStreamError as exc:
            msg = f"cannot create stream {config.name} with {replicas} replica(s): {exc}"
            raise ConnectError(msg) from exc
        return
    have = int(getattr(info.config, "num_replicas", 1) or 1)
    if have < replicas:
        _log.warning(
            "stream %s has %d replica(s), %d asked: left as configured", config.name, have, replicas
        )


class NatsPublisher:
    """The edge side: sends batches to the site's stream and waits for its acknowledgement."""

    def __init__(
        self, *, url: str, site: str, metrics: Metrics | None = None, replicas: int = 1
    ) -> None:
        self.url: Final = url
        self.site: Final = site
        self.metrics: Final = metrics if metrics is not None else Metrics()
        self.replicas: Final = replicas
        self._loop = _Loop()
        self._nc: Any = None
        self._js: Any = None

    def start(self) -> None:
        """Connect (the client reconnects by itself) and make sure the stream exists."""
        try:
            self._loop.run(self._connect())
        except (OSError, NatsError, JetStreamError, TimeoutError) as exc:
            msg = f"cannot reach NATS at {self.url}: {exc}"
            raise ConnectError(msg) from exc

    async def _connect(self) -> None:
        if self._nc is not None:  # connected before; only the stream was missing
            js = self._nc.jetstream()
            await _ensure_stream(js, self.site, self.replicas)
            self._js = js
            return
        self._nc = await nats.connect(
            nats_servers(self.url),
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=5,
        )
        js = self._nc.jetstream()
        await _ensure_stream(js, self.site, self.replicas)
        self._js = js  # only once the stream is there: a failed start is tried again

    def send(self, batch: Batch, *, batch_id: str) -> None:
        """Publish a batch (in parts if large); raise ConnectError if NATS does not ack."""
        if self._js is None:
            self.start()
        limit = int(getattr(self._nc, "max_payload", 1 << 20)) - 4096
        parts = split_batch(batch, limit)
        try:
            for index, part in enumerate(parts):
                msg_id = f"{batch_id}#{index}/{len(parts)}"
                self._loop.run(
                    self._js.publish(
                        subjects(self.site)[1],
                        part.to_bytes(),
                        headers={"Nats-Msg-Id": msg_id},
                        timeout=10,
                    )
                )
        except (OSError, NatsError, JetStreamError, TimeoutError) as exc:
            msg = f"NATS did not take batch {batch_id}: {exc or type(exc).__name__}"
            raise ConnectError(msg) from exc
        self.metrics.add("bus_sent_batches", len(parts))

    def close(self) -> None:
        """Drain and disconnect."""
        if self._nc is not None:
            with contextlib.suppress(OSError, NatsError, TimeoutError):
                self._loop.run(self._close(), 10)
        self._loop.close()

    async def _close(self) -> None:
        await self._nc.flush(2)
        await self._nc.close()


class NatsConsumer:
    """The central side: a durable pull consumer of a site's stream."""

    def __init__(
        self,
        *,
        url: str,
        site: str,
        durable: str = "andon-central",
        metrics: Metrics | None = None,
        retry_s: float = 1.0,
        replicas: int = 1,
    ) -> None:
        self.url: Final = url
        self.site: Final = site
        self.durable: Final = durable
        self.replicas: Final = replicas
        self.metrics: Final = metrics if metrics is not None else Metrics()
        self.retry_s: Final = retry_s
        self._loop = _Loop()
        self._task: Any = None
        self._stop: asyncio.Event | None = None

    def consume(self, handler: Handler) -> None:
        """Start calling ``handler(batch, msg_id)`` in order; ack after it returns."""
        try:
            self._loop.run(self._setup())
        except (OSError, NatsError, JetStreamError, TimeoutError) as exc:
            msg = f"cannot reach NATS at {self.url}: {exc}"
            raise ConnectError(msg) from exc
        self._task = asyncio.run_coroutine_threadsafe(self._run(handler), self._loop.loop)

    async def _setup(self) -> None:
        self._stop = asyncio.Event()
        self._nc = await nats.connect(
            nats_servers(self.url),
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=5,
        )
        js = self._nc.jetstream()
        await _ensure_stream(js, self.site, self.replicas)
        self._sub = await js.pull_subscribe(
            subjects(self.site)[1],
            durable=self.durable,
            stream=stream_name(self.site),
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=30, max_ack_pending=64),
        )

    async def _run(self, handler: Handler) -> None:
        assert self._stop is not None
        while not self._stop.is_set():
            try:
                messages = await self._sub.fetch(16, timeout=0.5)
            except (TimeoutError, NatsError, JetStreamError):
                continue
            for position, message in enumerate(messages):
                msg_id = (message.headers or {}).get("Nats-Msg-Id", "")
                try:
                    batch = Batch.from_bytes(message.data)
                except (ValueError, KeyError, pa.ArrowInvalid) as exc:
                    _log.error("bus message %s is not a batch (%s): terminated", msg_id, exc)
                    self.metrics.add("bus_bad_messages")
                    await message.term()
                    continue
                try:
                    await asyncio.to_thread(handler, batch, msg_id)
                except AndonError as exc:
                    _log.warning("writing bus batch %s failed (%s): redelivery", msg_id, exc)
                    self.metrics.add("forward_retries")
                    # The rest of this fetch is handed back too: left unacknowledged, it
                    # would come again only after ack_wait (30 s), behind later batches.
                    for later in messages[position:]:
                        await later.nak(delay=self.retry_s)
                    break
                await message.ack()
                self.metrics.add("bus_received_batches")

    def close(self) -> None:
        """Stop consuming and disconnect."""
        if self._stop is not None:
            self._loop.loop.call_soon_threadsafe(self._stop.set)
        if self._task is not None:
            with contextlib.suppress(Exception):  # closing: its errors were logged
                self._task.result(10)
        with contextlib.suppress(Exception):  # closing
            self._loop.run(self._nc.close(), 10)
        self._loop.close()
