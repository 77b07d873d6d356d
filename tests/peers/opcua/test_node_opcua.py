"""andon's OPC UA source against node-opcua, a server andon did not write.

The test setup runs ``npm ci`` here once when ``node_modules`` is missing; without Node.js
and npm the tests skip with the reason, and fail under ``ANDON_REQUIRE_SERVICES=1``. Each
test starts ``server.js`` on a free loopback port: security none (chosen explicitly),
Basic256Sha256 SignAndEncrypt with the server's certificate pinned, refused when another
one is pinned or none is, a restart of the server, and every scalar type.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from asyncua.crypto.cert_gen import (
    dump_private_key_as_pem,
    generate_private_key,
    generate_self_signed_app_certificate,
)
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from andon.connect.decoded import Batch
from andon.connect.opcua import OpcUaSettings, OpcUaSource, browse
from andon.connect.pipeline import Pipeline
from andon.errors import ConnectError
from andon.model import load_model
from andon.records import RecordKind
from andon.store import DuckDBStore

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
OVEN = "voltec/dresden/smt/s1/reflow/oven1/peak_zone_temperature"
COUNTER = "ns=1;s=andon.Counter"
SCALARS = {
    "Boolean": 1.0,
    "SByte": -12.0,
    "Byte": 200.0,
    "Int16": -30000.0,
    "UInt16": 60000.0,
    "Int32": -2_000_000_000.0,
    "UInt32": 4_000_000_000.0,
    "Int64": -10.0,
    "UInt64": float(5_000_000_000 % 2**32),
    "Float": 1.5,
    "Double": 2.25,
}


def _unavailable(reason: str) -> None:
    if os.environ.get("ANDON_REQUIRE_SERVICES") == "1":
        pytest.fail(f"ANDON_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def node() -> str:
    """The node binary, with node-opcua installed beside server.js (``npm ci`` once)."""
    binary, npm = shutil.which("node"), shutil.which("npm")
    if binary is None or npm is None:
        _unavailable("Node.js and npm are needed for the node-opcua peer; install them")
    assert binary is not None
    assert npm is not None
    if not (HERE / "node_modules" / "node-opcua").exists():
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            _unavailable(f"npm ci for node-opcua failed: {done.stderr[-500:]}")
    return binary


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _peer(node: str, port: int, pki: Path, start: float = 0.0) -> Iterator[Path]:
    """Run server.js until the block ends; yield its certificate (PEM)."""
    process = subprocess.Popen(
        [node, str(HERE / "server.js"), str(port), str(pki), str(start)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        seen: list[str] = []
        for line in process.stdout:  # node-opcua writes its own notes to stdout first
            if line.startswith("READY "):
                break
            seen.append(line)
        else:
            pytest.fail(f"the node-opcua peer did not start: {''.join(seen)[-500:]}")
        stdout = process.stdout
        threading.Thread(target=stdout.read, daemon=True).start()  # a full pipe blocks
        yield Path(line.split(" ", 1)[1].strip())
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture(scope="module")
def client_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("client")
    for name, usage in (
        ("client", ExtendedKeyUsageOID.CLIENT_AUTH),
        ("stranger", ExtendedKeyUsageOID.SERVER_AUTH),
    ):
        key = generate_private_key()
        cert = generate_self_signed_app_certificate(
            key,
            name,
            {"commonName": name},
            [x509.UniformResourceIdentifier("urn:andon:client"), x509.DNSName("localhost")],
            extended=[usage],
        )
        (folder / f"{name}.der").write_bytes(cert.public_bytes(Encoding.DER))
        (folder / f"{name}.pem").write_bytes(dump_private_key_as_pem(key))
    return folder


def _collect(settings: OpcUaSettings, nodes: dict[str, str], until: object) -> list[Batch]:
    received: list[Batch] = []

    async def scenario() -> None:
        source = OpcUaSource(
            settings=settings, nodes=nodes, handler=received.append, flush_interval_s=0.1
        )
        task = asyncio.create_task(source.run())
        end = time.monotonic() + 30
        while time.monotonic() < end and not until(received):  # type: ignore[operator]
            await asyncio.sleep(0.1)
        await source.stop_async()
        await task

    asyncio.run(scenario())
    return received


def _values(batches: list[Batch]) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    for batch in batches:
        table = batch.tables.get(RecordKind.SAMPLE)
        if table is None:
            continue
        for path, value in zip(
            table.column("path").to_pylist(), table.column("value").to_pylist(), strict=True
        ):
            found.setdefault(path, []).append(value)
    return found


def test_security_none_chosen_explicitly_and_every_scalar_type(node: str, tmp_path: Path) -> None:
    port = _free_port()
    nodes = {f"ns=1;s=andon.{name}": f"types/{name}" for name in SCALARS}
    with _peer(node, port, tmp_path / "pki"):
        settings = OpcUaSettings(endpoint=f"opc.tcp://127.0.0.1:{port}", security="none")
        found = _collect(settings, nodes, lambda got: len(_values(got)) == len(SCALARS))
    values = _values(found)
    assert {path: got[0] for path, got in values.items()} == {
        f"types/{name}": value for name, value in SCALARS.items()
    }


def test_basic256sha256_with_the_server_certificate_pinned(
    node: str, tmp_path: Path, client_certs: Path
) -> None:
    port = _free_port()
    with _peer(node, port, tmp_path / "pki") as server_certificate:
        settings = OpcUaSettings(
            endpoint=f"opc.tcp://127.0.0.1:{port}",
            certificate=client_certs / "client.der",
            private_key=client_certs / "client.pem",
            server_certificate=server_certificate,
        )
        found = _collect(settings, {COUNTER: OVEN}, lambda got: len(_values(got).get(OVEN, [])) > 3)
        assert len(_values(found)[OVEN]) > 3
        stranger = OpcUaSettings(
            endpoint=settings.endpoint,
            certificate=settings.certificate,
            private_key=settings.private_key,
            server_certificate=client_certs / "stranger.der",
        )
        with pytest.raises(ConnectError, match="not the one expected"):
            asyncio.run(browse(stranger))
        unpinned = OpcUaSettings(
            endpoint=settings.endpoint,
            certificate=settings.certificate,
            private_key=settings.private_key,
        )
        with pytest.raises(ConnectError, match="not trusted"):
            asyncio.run(browse(unpinned))


def test_values_after_a_server_restart_are_stored_and_the_gap_is_counted(
    node: str, tmp_path: Path
) -> None:
    port = _free_port()
    model = load_model(ROOT / "examples" / "smt")
    store = DuckDBStore(tmp_path / "store.duckdb")
    pipeline = Pipeline(store=store, model=model)
    settings = OpcUaSettings(endpoint=f"opc.tcp://127.0.0.1:{port}", security="none")
    pki = tmp_path / "pki"

    def stored() -> list[float]:
        return [v for v in store.samples(tags=[OVEN]).column("value").to_pylist() if v is not None]

    async def scenario() -> float:
        source = OpcUaSource(
            settings=settings,
            nodes={COUNTER: OVEN},
            handler=pipeline.write,
            flush_interval_s=0.1,
            rates={COUNTER: 0.1},
        )
        task = asyncio.create_task(source.run())
        with _peer(node, port, pki, start=20.0):
            while len(stored()) < 10:
                await asyncio.sleep(0.1)
        await asyncio.sleep(2.0)
        with _peer(node, port, pki, start=200.0):
            up_at = time.monotonic()
            while not any(v >= 205 for v in stored()):
                await asyncio.sleep(0.1)
            back_at = time.monotonic()
        await source.stop_async()
        await task
        return back_at - up_at

    try:
        caught_up_s = asyncio.run(asyncio.wait_for(scenario(), 90))
        values = stored()
        after = sorted(v for v in values if v >= 200)
        # the server counts every 100 ms: the counts it made after the restart that are
        # missing from the store are the values lost to the restart
        missing = int(after[-1] - 200 + 1) - len(after)
        print(json.dumps({"caught_up_s": round(caught_up_s, 2), "missing_after_restart": missing}))
        assert after
        assert min(after) <= 205
        assert set(store.samples(tags=[OVEN]).column("quality").to_pylist()) == {"good"}
    finally:
        store.close()


def test_a_queue_that_overflows_is_counted_as_lost_values(node: str, tmp_path: Path) -> None:
    port = _free_port()
    received: list[Batch] = []
    settings = OpcUaSettings(
        endpoint=f"opc.tcp://127.0.0.1:{port}",
        security="none",
        publishing_interval_ms=1000,
        sampling_interval_ms=100,
        queue_size=2,  # ten changes a publication into two places: the server says overflow
    )

    async def scenario() -> int:
        source = OpcUaSource(
            settings=settings, nodes={COUNTER: OVEN}, handler=received.append, flush_interval_s=0.1
        )
        task = asyncio.create_task(source.run())
        end = time.monotonic() + 20
        while time.monotonic() < end and source.metrics.count("lost_values_at_least") < 2:
            await asyncio.sleep(0.1)
        await source.stop_async()
        await task
        return source.metrics.count("lost_values_at_least")

    with _peer(node, port, tmp_path / "pki"):
        lost = asyncio.run(scenario())
    assert lost >= 2
    assert _values(received)[OVEN]
