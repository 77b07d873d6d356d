"""OPC UA security by default, against asyncua servers on free loopback ports: a server
certificate is trusted only when pinned or, when chosen, on first use; a refusal names the
fingerprints; the CLI says what is missing in one line; a restart is caught up quickly."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from asyncua import ua
from asyncua.crypto.cert_gen import (
    dump_private_key_as_pem,
    generate_private_key,
    generate_self_signed_app_certificate,
)
from asyncua.server.server import Server
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from andon.connect.decoded import Batch
from andon.connect.opcua import (
    OpcUaSettings,
    OpcUaSource,
    browse,
    fingerprint,
    overflowed,
    subscription_plan,
)
from andon.errors import ConnectError
from andon.records import RecordKind

_ua: Any = ua  # asyncua's NewType fields do not take plain str, int or datetime
ROOT = Path(__file__).resolve().parents[2]
NODE = "ns=2;s=Lyon.M1.Mill1.SpindleTemp"
TAG = "acme/lyon/machining/m1/milling/mill1/spindle_temperature"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _certificate(folder: Path, name: str, uri: str, usage: x509.ObjectIdentifier) -> None:
    key = generate_private_key()
    cert = generate_self_signed_app_certificate(
        key,
        name,
        {"commonName": name},
        [x509.UniformResourceIdentifier(uri), x509.DNSName("localhost")],
        extended=[usage],
    )
    (folder / f"{name}.der").write_bytes(cert.public_bytes(Encoding.DER))
    (folder / f"{name}.pem").write_bytes(dump_private_key_as_pem(key))


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("certs")
    _certificate(folder, "client", "urn:andon:client", ExtendedKeyUsageOID.CLIENT_AUTH)
    for name in ("server", "other"):
        _certificate(folder, name, "urn:andon:test-server", ExtendedKeyUsageOID.SERVER_AUTH)
    return folder


@asynccontextmanager
async def _server(
    port: int, *, certs: Path | None = None, name: str = "server", value: float = 20.0
) -> AsyncIterator[tuple[Server, ua.NodeId]]:
    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}")
    if certs is None:
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    else:
        server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
        await server.load_certificate(str(certs / f"{name}.der"))
        await server.load_private_key(str(certs / f"{name}.pem"))
    idx = await server.register_namespace("urn:acme:lyon")
    mill = await server.nodes.objects.add_object(idx, "Mill1")
    variable = await mill.add_variable(
        _ua.NodeId("Lyon.M1.Mill1.SpindleTemp", idx), "SpindleTemp", value
    )
    async with server:
        yield server, variable.nodeid


def _secure(port: int, certs: Path, **extra: object) -> OpcUaSettings:
    return OpcUaSettings(
        endpoint=f"opc.tcp://127.0.0.1:{port}",
        certificate=certs / "client.der",
        private_key=certs / "client.pem",
        **extra,  # type: ignore[arg-type]
    )


def test_an_unpinned_server_is_refused_with_its_fingerprint(certs: Path) -> None:
    port = _free_port()
    seen = fingerprint((certs / "server.der").read_bytes())

    async def scenario() -> None:
        async with _server(port, certs=certs):
            with pytest.raises(ConnectError, match="not trusted") as refused:
                await browse(_secure(port, certs))
            assert seen in str(refused.value)
            assert refused.value.code == "connect.untrusted_certificate"

    asyncio.run(scenario())


def test_a_wrong_pinned_certificate_names_the_one_seen_and_the_one_expected(certs: Path) -> None:
    port = _free_port()
    seen = fingerprint((certs / "server.der").read_bytes())
    expected = fingerprint((certs / "other.der").read_bytes())

    async def scenario() -> None:
        async with _server(port, certs=certs):
            settings = _secure(port, certs, server_certificate=certs / "other.der")
            with pytest.raises(ConnectError) as refused:
                await browse(settings)
            text = str(refused.value)
            assert seen in text
            assert expected in text
            assert "BadTcpInternalError" not in text
            found = await browse(_secure(port, certs, server_certificate=certs / "server.der"))
            assert NODE in {v.node_id for v in found}

    asyncio.run(scenario())


def test_trust_on_first_use_keeps_the_first_certificate_and_refuses_another(
    certs: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = _free_port()
    settings = _secure(port, certs, trust_on_first_use=True, trusted_certificates=tmp_path)

    async def scenario() -> None:
        async with _server(port, certs=certs):
            with caplog.at_level(logging.WARNING, logger="andon.connect.opcua"):
                assert await browse(settings)
            assert "TRUSTING ON FIRST USE" in caplog.text
            kept = list(tmp_path.iterdir())
            assert [p.read_bytes() for p in kept] == [(certs / "server.der").read_bytes()]
            assert await browse(settings)  # the same server again
        async with _server(port, certs=certs, name="other"):
            with pytest.raises(ConnectError, match="trusted on first use"):
                await browse(settings)

    asyncio.run(scenario())


def test_a_refusal_is_raised_by_start_instead_of_dying_in_its_thread(certs: Path) -> None:
    port = _free_port()

    async def scenario() -> None:
        async with _server(port, certs=certs):
            source = OpcUaSource(settings=_secure(port, certs), nodes={NODE: TAG}, handler=print)
            with pytest.raises(ConnectError, match="not trusted"):
                await asyncio.to_thread(source.start)
            assert source.refused is not None

    asyncio.run(scenario())


def test_the_secure_default_without_a_client_certificate_is_one_line_and_exit_2(
    tmp_path: Path,
) -> None:
    argv = [str(Path(sys.executable).parent / "andon"), "ingest", "opcua"]
    argv += ["--model", str(ROOT / "examples" / "discrete"), "--store", str(tmp_path / "s.db")]
    argv += ["--endpoint", f"opc.tcp://127.0.0.1:{_free_port()}"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "client certificate" in lines[0]
    assert "Event loop is closed" not in done.stderr
    assert "Traceback" not in done.stderr
    OpcUaSettings(endpoint="opc.tcp://x:1", security="none").check()  # no certificate needed


def test_the_subscription_is_sized_from_the_tags_rates() -> None:
    base = OpcUaSettings(endpoint="opc.tcp://h:4840", security="none")
    plan = subscription_plan(base, [0.1, 1.0])
    assert plan.sampling_interval_ms == 100
    assert plan.queue_size * plan.sampling_interval_ms >= 2 * plan.publishing_interval_ms
    given = OpcUaSettings(
        endpoint="opc.tcp://h:4840", publishing_interval_ms=2000, queue_size=4, security="none"
    )
    assert subscription_plan(given, [0.1]).publishing_interval_ms == 2000
    assert subscription_plan(given, [0.1]).queue_size == 4
    assert overflowed(_ua.StatusCode(0x00000480))
    assert not overflowed(_ua.StatusCode(_ua.StatusCodes.Good))


def test_a_restart_is_caught_up_with_a_capped_back_off_and_current_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = _free_port()
    received: list[Batch] = []

    def values() -> set[float]:
        return {
            value
            for batch in received
            if RecordKind.SAMPLE in batch.tables
            for value in batch.tables[RecordKind.SAMPLE].column("value").to_pylist()
        }

    async def wait(predicate: object, timeout_s: float = 20.0) -> bool:
        end = asyncio.get_running_loop().time() + timeout_s
        while asyncio.get_running_loop().time() < end:
            if predicate():  # type: ignore[operator]
                return True
            await asyncio.sleep(0.05)
        return False

    async def scenario() -> None:
        source = OpcUaSource(
            settings=OpcUaSettings(endpoint=f"opc.tcp://127.0.0.1:{port}", security="none"),
            nodes={NODE: TAG},
            handler=received.append,
            flush_interval_s=0.1,
            rates={NODE: 0.1},
        )
        async with _server(port) as (server, node):
            task = asyncio.create_task(source.run())
            assert await wait(source.connected.is_set)
            now = dt.datetime.now(dt.UTC)
            await server.write_attribute_value(
                node, _ua.DataValue(ua.Variant(41.0, ua.VariantType.Double), SourceTimestamp=now)
            )
            assert await wait(lambda: 41.0 in values())
        with caplog.at_level(logging.WARNING, logger="andon.connect.opcua"):
            await asyncio.sleep(5.0)  # down long enough for an uncapped back-off to grow
            # back up with a value set before any client is there, and never changed again
            async with _server(port, value=77.5):
                assert await wait(lambda: 77.5 in values())
                await source.stop_async()
                await task
        waits = [float(w) for w in re.findall(r"reconnecting in ([0-9.]+) s", caplog.text)]
        assert len(waits) >= 3
        assert max(waits) <= 1.2 + 0.05  # 1 s cap and 20 % jitter, rounded to 0.1
        assert source.metrics.count("connects") == 2

    asyncio.run(scenario())


def test_andon_ingest_browse_trusts_on_first_use_when_told(certs: Path, tmp_path: Path) -> None:
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415
    import threading  # noqa: PLC0415

    port = _free_port()
    ready, done = threading.Event(), threading.Event()

    def serve() -> None:
        async def run() -> None:
            async with _server(port, certs=certs):
                ready.set()
                while not done.is_set():
                    await asyncio.sleep(0.05)

        asyncio.run(run())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(30)
    command = [sys.executable, "-m", "andon", "ingest", "browse"]
    command += ["--endpoint", f"opc.tcp://127.0.0.1:{port}"]
    command += ["--certificate", str(certs / "client.der")]
    command += ["--private-key", str(certs / "client.pem")]
    env = {**os.environ, "HOME": str(tmp_path), "COLUMNS": "200"}  # the kept certificate's home
    try:
        refused = subprocess.run(
            command, check=False, capture_output=True, text=True, env=env, timeout=120
        )
        trusted = subprocess.run(
            [*command, "--trust-on-first-use"],
            check=False,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    finally:
        done.set()
        thread.join(30)
    assert refused.returncode == 2, refused.stderr
    assert "not trusted" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert trusted.returncode == 0, trusted.stderr
    assert "Lyon.M1.Mill1.SpindleTemp" in trusted.stdout
    assert "TRUSTING ON FIRST USE" in trusted.stderr
    assert list((tmp_path / ".andon" / "opcua-trusted").iterdir())
