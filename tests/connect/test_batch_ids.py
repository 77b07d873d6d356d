"""Batch ids: two edges of one name, each with its own buffer, never give the store one id."""

from __future__ import annotations

import time
from pathlib import Path

from andon.connect.buffer import DiskBuffer, MemoryBuffer
from andon.connect.decoded import Batch
from andon.connect.uns import UnsDecoder
from andon.model import Model
from andon.records import RecordKind
from andon.runtime.edge import EdgeSettings, edge_runtime
from andon.store import DuckDBStore

TOPIC = "acme/lyon/machining/m1/milling/mill1/sample/spindle_temperature"


def _batch(edge: int, i: int, n: int = 10) -> Batch:
    base = 1_700_000_000_000 + edge * 10_000_000 + i * 1000
    payload = '{{"ts": [{}], "value": [{}]}}'.format(
        ",".join(str(base + j) for j in range(n)), ",".join("40.0" for _ in range(n))
    )
    decoded = UnsDecoder(source="andon-edge").decode([(TOPIC, payload.encode())])
    return Batch.of(decoded, received_at_us=i)


def _drain(buffers: list[DiskBuffer | MemoryBuffer], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while any(b.depth() for b in buffers) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_two_edges_with_the_default_name_into_one_store_lose_nothing(
    tmp_path: Path, example_model: Model
) -> None:
    store_path = tmp_path / "central.duckdb"
    DuckDBStore(store_path).close()  # made once; both edges write to it
    edges = []
    for number in range(2):
        settings = EdgeSettings(
            mqtt_url="mqtt://127.0.0.1:1",  # never started: only the forwarders run
            store_url=f"duckdb://{store_path}",
            buffer_path=tmp_path / f"edge{number}" / "buffer.db",
        )
        assert settings.name == "andon-edge"
        edges.append(edge_runtime(settings, example_model))
    try:
        for edge in edges:
            edge.forwarder.start()
        for number, edge in enumerate(edges):
            for i in range(50):
                edge.buffer.append(_batch(number, i))
        _drain([e.buffer for e in edges])  # type: ignore[misc]
        for edge in edges:
            edge.forwarder.stop()
    finally:
        for edge in edges:
            edge.stop()
    store = DuckDBStore(store_path)
    try:
        assert store.count_rows(RecordKind.SAMPLE) == 2 * 50 * 10
    finally:
        store.close()


def test_a_disk_buffer_keeps_its_token_and_two_buffers_differ(tmp_path: Path) -> None:
    first = DiskBuffer(tmp_path / "a.db")
    token = first.token
    first.close()
    again = DiskBuffer(tmp_path / "a.db")
    other = DiskBuffer(tmp_path / "b.db")
    try:
        assert again.token == token  # a replay after a restart keeps its batch ids
        assert other.token != token
        assert len(token) == 32
    finally:
        again.close()
        other.close()
    assert MemoryBuffer().token != MemoryBuffer().token
