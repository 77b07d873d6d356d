"""One test body over both buses: in-process and NATS JetStream (real server)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from connect_helpers import wait_for

from andon.connect.bus import InProcessBus, NatsConsumer, NatsPublisher, split_batch, stream_name
from andon.connect.decoded import Batch
from andon.connect.pipeline import Pipeline
from andon.connect.uns import UnsDecoder
from andon.errors import ConnectError, StoreError
from andon.model import Model
from andon.records import RecordKind
from andon.store import Store

TOPIC = "acme/lyon/machining/m1/milling/mill1/sample/spindle_temperature"


def _batch(i: int, n: int = 50) -> Batch:
    now_ms = int(time.time() * 1000) - 600_000 + i * n
    payload = '{{"ts": [{}], "value": [{}]}}'.format(
        ",".join(str(now_ms + j) for j in range(n)),
        ",".join("41.0" for _ in range(n)),
    )
    return Batch.of(UnsDecoder(source="edge").decode([(TOPIC, payload.encode())]), received_at_us=i)


@pytest.fixture(params=["inprocess", "nats", "nats_site_with_slash"])
def bus(request: pytest.FixtureRequest, run_id: str) -> Iterator[tuple[Any, Any]]:
    if request.param == "inprocess":
        bus = InProcessBus()
        yield bus, bus
        bus.close()
        return
    url = request.getfixturevalue("nats_url")
    # a site id is an element path segment or a path (acme/lyon): both reach their stream
    site = f"t{run_id}" if request.param == "nats" else f"acme/t{run_id}"
    publisher = NatsPublisher(url=url, site=site)
    publisher.start()
    consumer = NatsConsumer(url=url, site=site, durable=f"central-{run_id}", retry_s=0.1)
    yield publisher, consumer
    consumer.close()
    publisher.close()


def test_every_batch_is_stored_once_through_the_bus(
    bus: tuple[Any, Any], store: Store, example_model: Model
) -> None:
    sender, receiver = bus
    pipeline = Pipeline(store=store, model=example_model)
    failures = {"left": 2}

    def handler(batch: Batch, batch_id: str) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise StoreError("store is down for a moment")
        pipeline.write(batch, batch_id=batch_id)

    receiver.consume(handler)
    for i in range(10):
        sender.send(_batch(i), batch_id=f"edge:{i}")
    sender.send(_batch(3), batch_id="edge:3")  # the edge resends after a crash: stored once
    assert wait_for(lambda: store.count_rows(RecordKind.SAMPLE) == 500, timeout_s=30)
    time.sleep(0.5)
    assert store.count_rows(RecordKind.SAMPLE) == 500
    assert failures["left"] == 0


def test_large_batches_are_split_within_the_limit() -> None:
    batch = _batch(0, n=5000)
    parts = split_batch(batch, 20_000)
    assert len(parts) > 1
    assert all(len(p.to_bytes()) <= 20_000 for p in parts)
    assert sum(p.tables[RecordKind.SAMPLE].num_rows for p in parts) == 5000
    assert stream_name("lyon-1") == "ANDON_LYON_1"


def test_a_refused_batch_does_not_strand_the_rest_of_its_fetch(
    nats_url: str, store: Store, example_model: Model, run_id: str
) -> None:
    site = f"n{run_id}"
    publisher = NatsPublisher(url=nats_url, site=site)
    publisher.start()
    for i in range(10):  # all in the stream before the consumer starts: one fetch takes many
        publisher.send(_batch(i), batch_id=f"edge:{i}")
    pipeline = Pipeline(store=store, model=example_model)
    handled: list[str] = []
    refused = {"left": 1}

    def handler(batch: Batch, batch_id: str) -> None:
        if batch_id.startswith("edge:2#") and refused["left"]:
            refused["left"] -= 1
            raise StoreError("store is down for a moment")
        pipeline.write(batch, batch_id=batch_id)
        handled.append(batch_id.split("#", maxsplit=1)[0])

    consumer = NatsConsumer(url=nats_url, site=site, durable=f"central-{run_id}", retry_s=0.1)
    consumer.consume(handler)
    try:
        # well within the consumer's ack_wait (30 s), after which unacknowledged batches
        # would come again anyway: the batches after the refused one are handed back at once
        assert wait_for(lambda: len(handled) >= 10, timeout_s=20)
    finally:
        consumer.close()
        publisher.close()
    assert handled == [f"edge:{i}" for i in range(10)]  # in order, each once
    assert store.count_rows(RecordKind.SAMPLE) == 500


def test_site_ids_map_to_distinct_subject_tokens() -> None:
    from andon.connect.bus import site_token, subjects  # noqa: PLC0415 - beside its checks

    sites = ["acme/lyon", "acme_lyon", "acme.lyon", "acme lyon", "acme~2Flyon", "lyon-1", "é"]
    tokens = [site_token(site) for site in sites]
    assert len(set(tokens)) == len(sites)
    for site, token in zip(sites, tokens, strict=True):
        assert not set(token) & set(" .*>/\\"), token
        stream_filter, subject = subjects(site)
        assert subject.startswith(stream_filter.removesuffix(">"))
        assert stream_name(site).startswith("ANDON_")


def test_a_stream_andon_cannot_replicate_as_asked_is_a_clear_error_and_tried_again(
    nats_url: str, run_id: str
) -> None:
    # one server cannot hold three copies: the edge is told so, each time it tries
    publisher = NatsPublisher(url=nats_url, site=f"r{run_id}", replicas=3)
    try:
        for _ in range(2):
            with pytest.raises(ConnectError, match=r"3 replica\(s\)"):
                publisher.start()
    finally:
        publisher.close()
    publisher = NatsPublisher(url=nats_url, site=f"r{run_id}", replicas=1)
    try:
        publisher.start()
        publisher.send(_batch(0, n=2), batch_id="edge:0")
        assert publisher.metrics.snapshot().get("bus_sent_batches") == 1
    finally:
        publisher.close()
