"""The OPC UA source against an asyncua server started in the test, on a free loopback port."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from asyncua import Server, ua
from asyncua.crypto.cert_gen import (
    dump_private_key_as_pem,
    generate_private_key,
    generate_self_signed_app_certificate,
)
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from andon.connect.buffer import MemoryBuffer
from andon.connect.forward import Forwarder, StoreSink
from andon.connect.opcua import OpcUaSettings, OpcUaSource, browse, node_map, to_quality
from andon.connect.pipeline import Pipeline
from andon.errors import ConnectError
from andon.model import Model
from andon.records import RecordKind
from andon.store import Store

NODE = "ns=2;s=Lyon.M1.Mill1.SpindleTemp"
TAG = "acme/lyon/machining/m1/milling/mill1/spindle_temperature"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def _server(
    port: int, *, secure: Path | None = None
) -> AsyncIterator[tuple[Server, ua.NodeId]]:
    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}")
    if secure is None:
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    else:
        server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
        await server.load_certificate(str(secure / "server.der"))
        await server.load_private_key(str(secure / "server.pem"))
    idx = await server.register_namespace("urn:acme:lyon")
    assert idx == 2
    mill = await server.nodes.objects.add_object(idx, "Mill1")
    variable = await mill.add_variable(
        ua.NodeId("Lyon.M1.Mill1.SpindleTemp", idx), "SpindleTemp", 20.0
    )
    async with server:
        yield server, variable.nodeid


async def _write(server: Server, node: ua.NodeId, value: float) -> None:
    now = dt.datetime.now(dt.UTC)
    await server.write_attribute_value(
        node,
        ua.DataValue(
            ua.Variant(value, ua.VariantType.Double), SourceTimestamp=now, ServerTimestamp=now
        ),
    )


async def _wait(predicate: object, timeout_s: float = 15.0) -> bool:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while loop.time() < end:
        if predicate():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.05)
    return False


def _values(store: Store) -> list[float]:
    return store.samples(tags=[TAG]).column("value").to_pylist()


def test_node_map_and_quality() -> None:
    assert to_quality(ua.StatusCode(ua.StatusCodes.Good)) == "good"
    assert to_quality(ua.StatusCode(ua.StatusCodes.UncertainInitialValue)) == "uncertain"
    assert to_quality(ua.StatusCode(ua.StatusCodes.BadNodeIdUnknown)) == "bad"


def test_subscribes_to_mapped_nodes_and_resubscribes_after_a_restart(
    store: Store, example_model: Model
) -> None:
    nodes = node_map(example_model)
    assert nodes == {NODE: TAG}
    buffer = MemoryBuffer()
    forwarder = Forwarder(buffer=buffer, sink=StoreSink(Pipeline(store=store, model=example_model)))
    forwarder.start()
    port = _free_port()

    async def scenario() -> None:
        source = OpcUaSource(
            settings=OpcUaSettings(
                endpoint=f"opc.tcp://127.0.0.1:{port}",
                security="none",
                publishing_interval_ms=100,
                reconnect_max_s=1.0,
            ),
            nodes=nodes,
            handler=buffer.append,
            flush_interval_s=0.1,
        )
        async with _server(port) as (server, node):
            task = asyncio.create_task(source.run())
            assert await _wait(source.connected.is_set)
            for value in (41.0, 42.0, 43.0):
                await _write(server, node, value)
                await asyncio.sleep(0.3)
            assert await _wait(lambda: {41.0, 42.0, 43.0} <= set(_values(store)))
        # the server is gone; the source keeps trying, then subscribes again
        assert await _wait(lambda: not source.connected.is_set())
        async with _server(port) as (server, node):
            assert await _wait(source.connected.is_set, 30)
            await asyncio.sleep(0.3)
            await _write(server, node, 55.5)
            assert await _wait(lambda: 55.5 in _values(store))
        await source.stop_async()
        await task
        assert source.metrics.count("connects") == 2
        assert source.metrics.count("disconnects") >= 1

    asyncio.run(scenario())
    forwarder.stop()


def _certificates(folder: Path) -> None:
    for name, uri, usage in (
        ("server", "urn:andon:test-server", ExtendedKeyUsageOID.SERVER_AUTH),
        ("client", "urn:andon:client", ExtendedKeyUsageOID.CLIENT_AUTH),
    ):
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


def test_basic256sha256_with_certificates(
    tmp_path: Path, store: Store, example_model: Model
) -> None:
    _certificates(tmp_path)
    port = _free_port()
    received = []
    settings = OpcUaSettings(
        endpoint=f"opc.tcp://127.0.0.1:{port}",
        certificate=tmp_path / "client.der",
        private_key=tmp_path / "client.pem",
        server_certificate=tmp_path / "server.der",
        publishing_interval_ms=100,
    )

    async def scenario() -> None:
        async with _server(port, secure=tmp_path) as (server, node):
            found = await browse(settings)
            assert NODE in {v.node_id for v in found}
            source = OpcUaSource(
                settings=settings, nodes={NODE: TAG}, handler=received.append, flush_interval_s=0.1
            )
            task = asyncio.create_task(source.run())
            assert await _wait(source.connected.is_set)
            await _write(server, node, 47.0)
            assert await _wait(
                lambda: any(
                    47.0 in b.tables[RecordKind.SAMPLE].column("value").to_pylist()
                    for b in received
                    if RecordKind.SAMPLE in b.tables
                )
            )
            await source.stop_async()
            await task

    asyncio.run(scenario())


def test_security_is_not_dropped_silently(example_model: Model) -> None:
    settings = OpcUaSettings(endpoint="opc.tcp://127.0.0.1:1")
    with pytest.raises(ConnectError, match="certificate"):
        asyncio.run(browse(settings))
    with pytest.raises(ConnectError, match="node_id"):
        OpcUaSource(settings=settings, nodes={}, handler=print)


def test_capacity_steps_are_valid_json_when_nothing_arrives() -> None:
    from andon.connect.opcua import _capacity_step  # noqa: PLC0415 - private helper

    for started, connected, reason in (
        (False, False, "did not start"),
        (True, False, "did not connect"),
        (True, True, "no value change"),
    ):
        step = _capacity_step(100, 0.0, [], started=started, connected=connected)
        text = json.dumps(step, allow_nan=False)  # Infinity and NaN are not JSON
        assert json.loads(text)["lag_p99_s"] is None
        assert step["sustained"] is False
        assert reason in step["reason"]
    kept = _capacity_step(10, 10.0, [0.1] * 50, started=True, connected=True)
    assert kept["sustained"] is True
    assert kept["lag_p99_s"] == 0.1
    assert kept["server_limited"] is False
    # a server that made only half the changes: the client kept up with what was made,
    # but the step says it does not measure the client
    slow = _capacity_step(10, 5.0, [0.1] * 50, started=True, connected=True, made_per_s=5.0)
    assert slow["server_limited"] is True
    assert "does not measure the client" in slow["reason"]
    behind = _capacity_step(10, 5.0, [0.1] * 50, started=True, connected=True, made_per_s=10.0)
    assert behind["sustained"] is False
    assert behind["server_limited"] is False
