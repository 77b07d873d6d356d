"""A multi-site deployment on one machine, made of the real servers, to inject faults into.

- **Sites:** each site is a Linux network namespace joined to the host by a veth pair
  (``10.<net>.<i>.2`` inside, ``10.<net>.<i>.1`` on the host). Inside it run the site's own
  Mosquitto (on the namespace's loopback), the plant (``publisher.py``) and ``andon edge
  run`` with a durable buffer, forwarding to the NATS cluster through the veth.
- **Centre:** a three-node NATS JetStream cluster (``nats-server`` processes on their own
  ports, each site's stream replicated three times), a PostgreSQL of its own (``initdb`` in a
  temporary folder, run by the ``postgres`` user on its own port), one ``andon ingest bus``
  per site and ``andon serve``.

Faults: SIGKILL an edge and start it again; cut a site off the network (its veth down) and
reconnect it; kill a NATS node and restart it; restart PostgreSQL (immediate shutdown, as a
crash). Nothing here touches the machine's own servers.

Needs root (namespaces), ``ip``, ``nats-server``, ``mosquitto`` and PostgreSQL's server
binaries; :func:`missing` says which are absent.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import psycopg
from nats.js.errors import NotFoundError

from andon.connect.bus import stream_name

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
MODEL = HERE / "plant.yaml"
ENTERPRISE = "tri"
SITES = ("north", "east", "south")
PYTHON = sys.executable


def _pg_bin() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    return None


def missing() -> list[str]:
    """What this machine lacks to run the deployment; empty when it can."""
    lacking = []
    if os.geteuid() != 0:
        lacking.append("root (network namespaces)")
    lacking.extend(t for t in ("ip", "nats-server", "mosquitto") if shutil.which(t) is None)
    if _pg_bin() is None:
        lacking.append("PostgreSQL server binaries (initdb)")
    if shutil.which("runuser") is None:
        lacking.append("runuser")
    return lacking


def free_port() -> int:
    """A TCP port that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``predicate`` until it holds; raise with ``what`` when it does not in time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if predicate():
                return
        time.sleep(0.1)
    msg = f"timed out after {timeout_s:.0f} s waiting for {what}"
    raise TimeoutError(msg)


def _listening(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONUNBUFFERED": "1"}


def _stop(process: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


@dataclass
class NatsCluster:
    """Three ``nats-server`` processes with JetStream, routed to each other."""

    folder: Path
    client_ports: list[int] = field(default_factory=list)
    cluster_ports: list[int] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes] | None] = field(default_factory=list)

    def start(self) -> None:
        self.client_ports = [free_port() for _ in range(3)]
        self.cluster_ports = [free_port() for _ in range(3)]
        self.processes = [None, None, None]
        for index in range(3):
            self.start_node(index)
        wait_until(self._has_leader, 60, "a JetStream meta leader")

    def config(self, index: int) -> Path:
        routes = ", ".join(
            f'"nats-route://127.0.0.1:{p}"' for i, p in enumerate(self.cluster_ports) if i != index
        )
        store = self.folder / f"n{index}"
        store.mkdir(parents=True, exist_ok=True)
        text = (
            f'server_name: "n{index}"\n'
            f'listen: "0.0.0.0:{self.client_ports[index]}"\n'
            f'jetstream {{ store_dir: "{store}", max_file_store: 4G }}\n'
            f'cluster {{ name: "andon", listen: "127.0.0.1:{self.cluster_ports[index]}", '
            f"routes: [{routes}] }}\n"
        )
        path = self.folder / f"n{index}.conf"
        path.write_text(text, encoding="utf-8")
        return path

    def start_node(self, index: int) -> None:
        log = (self.folder / f"n{index}.log").open("ab")
        self.processes[index] = subprocess.Popen(
            ["nats-server", "-c", str(self.config(index))], stdout=log, stderr=log
        )
        wait_until(
            lambda: _listening("127.0.0.1", self.client_ports[index]), 30, f"NATS node {index}"
        )

    def kill_node(self, index: int) -> None:
        _stop(self.processes[index], signal.SIGKILL)
        self.processes[index] = None

    def urls(self, host: str = "127.0.0.1") -> str:
        """Every node's client URL, comma-separated."""
        return ",".join(f"nats://{host}:{p}" for p in self.client_ports)

    def _has_leader(self) -> bool:
        return bool(self.jsz(0).get("meta_cluster", {}).get("leader"))

    def jsz(self, index: int) -> dict[str, Any]:
        """The JetStream state of one node (its monitoring port is not opened: use a request)."""

        async def ask() -> dict[str, Any]:
            nc = await nats.connect(f"nats://127.0.0.1:{self.client_ports[index]}")
            try:
                reply = await nc.request("$JS.API.INFO", b"", timeout=2)
                info: dict[str, Any] = json.loads(reply.data)
                return {"meta_cluster": {"leader": "error" not in info}, **info}
            finally:
                await nc.close()

        return asyncio.run(ask())

    def stream_replicas(self, sites: tuple[str, ...]) -> dict[str, int]:
        """Replicas of each site's stream, as andon created it (0 when missing)."""

        async def ask() -> dict[str, int]:
            nc = await nats.connect(self.urls().split(","))
            js = nc.jetstream()
            found: dict[str, int] = {}
            for site in sites:
                try:
                    info = await js.stream_info(stream_name(site))
                    found[site] = int(info.config.num_replicas or 1)
                except NotFoundError:
                    found[site] = 0
            await nc.close()
            return found

        return asyncio.run(ask())

    def stop(self) -> None:
        for process in self.processes:
            _stop(process)


@dataclass
class Postgres:
    """A PostgreSQL server of its own, owned by the ``postgres`` user, on its own port."""

    folder: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *command: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command]

    def start(self) -> None:
        binaries = _pg_bin()
        assert binaries is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.folder, "postgres", "postgres")
        data = self.folder / "data"
        if not data.exists():
            subprocess.run(
                self._as_postgres(
                    str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"
                ),
                check=True,
                capture_output=True,
            )
        if not self.port:
            self.port = free_port()
        self._run()

    def _run(self) -> None:
        binaries = _pg_bin()
        assert binaries is not None
        log = (self.folder / "postgres.log").open("ab")
        self.process = subprocess.Popen(
            self._as_postgres(
                str(binaries / "postgres"),
                "-D",
                str(self.folder / "data"),
                "-p",
                str(self.port),
                "-k",
                str(self.folder),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=200",
            ),
            stdout=log,
            stderr=log,
        )
        wait_until(self._ready, 60, "PostgreSQL")

    def _ready(self) -> bool:
        with psycopg.connect(self.url, connect_timeout=2) as connection:
            connection.execute("SELECT 1")
        return True

    def crash_and_restart(self) -> None:
        """An immediate shutdown (no checkpoint, as a crash), then a start with recovery."""
        _stop(self.process, signal.SIGQUIT)
        self._run()

    def stop(self) -> None:
        _stop(self.process, signal.SIGINT)


@dataclass
class Site:
    """A site: a network namespace with its broker, its plant and its edge."""

    name: str
    index: int
    net: int
    folder: Path
    nats_urls: str = ""
    rate: float = 500.0
    samples: int = 50
    broker: subprocess.Popen[bytes] | None = None
    plant: subprocess.Popen[bytes] | None = None
    edge: subprocess.Popen[bytes] | None = None
    edge_starts: int = 0

    @property
    def namespace(self) -> str:
        return f"andon{self.net}s{self.index}"

    @property
    def host_link(self) -> str:
        return f"an{self.net}s{self.index}h"

    @property
    def host_ip(self) -> str:
        return f"10.{self.net}.{self.index}.1"

    @property
    def site_ip(self) -> str:
        return f"10.{self.net}.{self.index}.2"

    @property
    def buffer(self) -> Path:
        return self.folder / "buffer.db"

    @property
    def counts_path(self) -> Path:
        return self.folder / "counts.json"

    def _in_ns(self, *command: str) -> list[str]:
        return ["ip", "netns", "exec", self.namespace, *command]

    def create(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        inner = f"an{self.net}s{self.index}n"
        subprocess.run(["ip", "netns", "add", self.namespace], check=True)
        steps = [
            ["ip", "link", "add", self.host_link, "type", "veth", "peer", "name", inner],
            ["ip", "link", "set", inner, "netns", self.namespace],
            ["ip", "addr", "add", f"{self.host_ip}/24", "dev", self.host_link],
            ["ip", "link", "set", self.host_link, "up"],
            self._in_ns("ip", "addr", "add", f"{self.site_ip}/24", "dev", inner),
            self._in_ns("ip", "link", "set", inner, "up"),
            self._in_ns("ip", "link", "set", "lo", "up"),
        ]
        for step in steps:
            subprocess.run(step, check=True, capture_output=True)

    def start_broker(self) -> None:
        conf = self.folder / "mosquitto.conf"
        conf.write_text(
            "listener 1883 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_queued_messages 0\nmax_queued_bytes 0\nmax_inflight_messages 100\n",
            encoding="utf-8",
        )
        log = (self.folder / "mosquitto.log").open("ab")
        self.broker = subprocess.Popen(
            self._in_ns("mosquitto", "-c", str(conf)), stdout=log, stderr=log
        )
        time.sleep(0.5)

    def start_edge(self) -> None:
        log = (self.folder / "edge.log").open("ab")
        env = {
            **_env(),
            "ANDON_EDGE_RETRY_MIN_S": "0.2",
            "ANDON_EDGE_RETRY_MAX_S": "2",
            "ANDON_EDGE_DRAIN_S": "5",
            "ANDON_EDGE_STREAM_REPLICAS": "3",  # the edge creates its stream on all nodes
        }
        command = [PYTHON, "-m", "andon", "edge", "run", "--model", str(MODEL)]
        command += ["--buffer", str(self.buffer), "--mqtt", "mqtt://127.0.0.1:1883"]
        command += ["--nats", self.nats_urls, "--site", self.name, "--name", f"edge-{self.name}"]
        command += ["--topic", f"{ENTERPRISE}/{self.name}/#"]
        self.edge = subprocess.Popen(self._in_ns(*command), stdout=log, stderr=log, env=env)
        self.edge_starts += 1
        status = Path(f"{self.buffer}.status.json")
        wait_until(
            lambda: json.loads(status.read_text()).get("pid") == self._edge_pid(),
            90,
            f"the edge of {self.name}",
        )

    def _edge_pid(self) -> int | None:
        """The pid of the ``andon`` process inside ``ip netns exec`` (exec replaces it)."""
        return self.edge.pid if self.edge is not None else None

    def start_plant(self) -> None:
        log = (self.folder / "plant.log").open("ab")
        command = [PYTHON, str(HERE / "publisher.py"), "--url", "127.0.0.1:1883"]
        command += ["--prefix", f"{ENTERPRISE}/{self.name}/plant/l1/c1"]
        command += ["--rate", str(self.rate), "--samples", str(self.samples)]
        command += ["--counts", str(self.counts_path)]
        self.plant = subprocess.Popen(self._in_ns(*command), stdout=log, stderr=log, env=_env())

    def stop_plant(self) -> int:
        """Stop publishing; return the samples the broker acknowledged."""
        _stop(self.plant)
        document = json.loads(self.counts_path.read_text())
        assert document["final"], document
        return int(document["samples"])

    def sent_so_far(self) -> int:
        with contextlib.suppress(OSError, ValueError):
            return int(json.loads(self.counts_path.read_text())["samples"])
        return 0

    def kill_edge(self) -> None:
        _stop(self.edge, signal.SIGKILL)

    def cut_off(self) -> None:
        subprocess.run(["ip", "link", "set", self.host_link, "down"], check=True)

    def reconnect(self) -> None:
        subprocess.run(["ip", "link", "set", self.host_link, "up"], check=True)

    def edge_status(self) -> dict[str, Any]:
        with contextlib.suppress(OSError, ValueError):
            status: dict[str, Any] = json.loads(Path(f"{self.buffer}.status.json").read_text())
            return status
        return {}

    def destroy(self) -> None:
        _stop(self.plant, signal.SIGKILL)
        _stop(self.edge)
        _stop(self.broker)
        subprocess.run(["ip", "link", "del", self.host_link], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", self.namespace], capture_output=True, check=False)


@dataclass
class Deployment:
    """Three sites, the NATS cluster, a central PostgreSQL, the ingest processes and serve."""

    folder: Path
    rate: float = 500.0
    samples: int = 50
    net: int = field(default_factory=lambda: 200 + os.getpid() % 50)
    nats: NatsCluster = field(init=False)
    postgres: Postgres = field(init=False)
    sites: list[Site] = field(default_factory=list)
    ingest: dict[str, subprocess.Popen[bytes] | None] = field(default_factory=dict)
    serve: subprocess.Popen[bytes] | None = None
    serve_port: int = 0

    def __post_init__(self) -> None:
        self.nats = NatsCluster(self.folder / "nats")
        # The postgres user must reach its folder: a test's tmp_path is private to root.
        own = Path(tempfile.mkdtemp(prefix="andon-pg-"))
        own.chmod(0o755)
        self.postgres = Postgres(own / "postgres")

    def start(self) -> None:
        self.nats.folder.mkdir(parents=True, exist_ok=True)
        self.nats.start()
        self.postgres.start()
        for index, name in enumerate(SITES, start=1):
            site = Site(name, index, self.net, self.folder / name, rate=self.rate)
            site.samples = self.samples
            site.create()
            site.nats_urls = self.nats.urls(site.host_ip)
            self.sites.append(site)
        for site in self.sites:
            site.start_broker()
            site.start_edge()
        for name in SITES:
            self.start_ingest(name)
        self.start_serve()
        for site in self.sites:
            site.start_plant()

    def start_ingest(self, site: str) -> None:
        log = (self.folder / f"ingest-{site}.log").open("ab")
        command = [PYTHON, "-m", "andon", "ingest", "bus", "--model", str(MODEL)]
        command += ["--store", self.postgres.url, "--nats", self.nats.urls(), "--site", site]
        command += ["--durable", f"central-{site}", "--stream-replicas", "3"]
        self.ingest[site] = subprocess.Popen(command, stdout=log, stderr=log, env=_env())

    def start_serve(self) -> None:
        self.serve_port = free_port()
        log = (self.folder / "serve.log").open("ab")
        command = [PYTHON, "-m", "andon", "serve", "--model", str(MODEL)]
        command += ["--store", self.postgres.url, "--port", str(self.serve_port)]
        self.serve = subprocess.Popen(command, stdout=log, stderr=log, env=_env())

    def stored(self) -> dict[str, tuple[int, int]]:
        """Per site: rows stored and distinct natural keys among them."""
        query = (
            "SELECT split_part(path, '/', 2) AS site, count(*), "
            "count(DISTINCT (path, ts, seq)) FROM rec_sample GROUP BY 1"
        )
        with psycopg.connect(self.postgres.url, connect_timeout=5) as connection:
            rows = connection.execute(query).fetchall()
        return {str(site): (int(total), int(distinct)) for site, total, distinct in rows}

    def newest(self) -> dict[str, int]:
        """Per site: the newest sample time stored, microseconds."""
        query = "SELECT split_part(path, '/', 2), max(ts) FROM rec_sample GROUP BY 1"
        with psycopg.connect(self.postgres.url, connect_timeout=5) as connection:
            rows = connection.execute(query).fetchall()
        return {str(site): _micros(ts) for site, ts in rows}

    def quarantined(self) -> int:
        with psycopg.connect(self.postgres.url, connect_timeout=5) as connection:
            row = connection.execute("SELECT count(*) FROM quarantine").fetchone()
        return int(row[0]) if row else 0

    def stop(self) -> None:
        for site in self.sites:
            site.destroy()
        for process in self.ingest.values():
            _stop(process)
        _stop(self.serve)
        self.nats.stop()
        self.postgres.stop()
        shutil.rmtree(self.postgres.folder.parent, ignore_errors=True)


def _micros(value: object) -> int:
    if isinstance(value, int):
        return value
    assert isinstance(value, dt.datetime)
    return int(value.timestamp() * 1_000_000)


@contextlib.contextmanager
def deployment(folder: Path, *, rate: float = 500.0, samples: int = 50) -> Iterator[Deployment]:
    """Start the whole deployment and take it down again, whatever happens in between."""
    setup = Deployment(folder, rate=rate, samples=samples)
    try:
        setup.start()
        yield setup
    finally:
        setup.stop()
