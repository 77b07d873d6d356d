"""End to end through NATS JetStream: MQTT -> ``andon edge run`` -> JetStream -> central store.

The edge agent runs as the real process, reads UNS JSON from the machine's Mosquitto and
forwards to the site's JetStream stream on the machine's NATS server; the central side is
the durable consumer that ``andon ingest bus`` runs, writing to a DuckDB store. The edge is
killed with SIGKILL in the middle of the stream and started again: afterwards every sample
sent is stored exactly once.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from connect_helpers import publish, start_edge, uns_messages, wait_for

from andon.connect.bus import NatsConsumer
from andon.connect.decoded import Batch
from andon.connect.pipeline import Pipeline
from andon.model import Model
from andon.records import RecordKind
from andon.store import Store

pytestmark = [pytest.mark.services, pytest.mark.slow]

EQ = "acme/lyon/machining/m1/milling/mill1"
MESSAGES = 200
SAMPLES = 20


def test_edge_to_jetstream_to_central_store_exactly_once_through_a_sigkill(
    mqtt_url: str,
    nats_url: str,
    store: Store,
    example_model: Model,
    run_id: str,
    tmp_path: Path,
) -> None:
    site = f"e2e{run_id}"
    prefix = f"e2e/{run_id}/"
    name = f"edge-{run_id}"
    buffer = tmp_path / "buffer.db"
    pipeline = Pipeline(store=store, model=example_model)
    consumer = NatsConsumer(url=nats_url, site=site, durable=f"central-{run_id}", retry_s=0.1)

    def central(batch: Batch, batch_id: str) -> None:
        pipeline.write(batch, batch_id=batch_id)

    consumer.consume(central)
    edge = start_edge(
        buffer=buffer,
        mqtt_url=mqtt_url,
        prefix=prefix,
        name=name,
        forward_to=["--nats", nats_url, "--site", site],
        stdout=subprocess.DEVNULL,
    )
    messages = uns_messages(prefix, EQ, messages=MESSAGES, samples=SAMPLES)
    sent = {"n": 0}

    def paced() -> None:
        for start in range(0, MESSAGES, 10):
            publish(mqtt_url, messages[start : start + 10])
            sent["n"] = start + 10
            time.sleep(0.1)

    publisher = threading.Thread(target=paced, daemon=True)
    try:
        assert wait_for((tmp_path / "buffer.db.status.json").exists, 60)
        time.sleep(1.0)  # subscribed: the persistent session exists at the broker
        publisher.start()
        assert wait_for(lambda: store.count_rows(RecordKind.SAMPLE) > 0, 60)
        edge.send_signal(signal.SIGKILL)  # in the middle of the stream
        edge.wait(10)
        stored_at_kill = store.count_rows(RecordKind.SAMPLE)
        sent_at_kill = sent["n"]
        edge = start_edge(
            buffer=buffer,
            mqtt_url=mqtt_url,
            prefix=prefix,
            name=name,
            forward_to=["--nats", nats_url, "--site", site],
            stdout=subprocess.DEVNULL,
        )
        publisher.join(120)
        expected = MESSAGES * SAMPLES
        reached = wait_for(lambda: store.count_rows(RecordKind.SAMPLE) >= expected, 120)
        assert reached, store.count_rows(RecordKind.SAMPLE)
        time.sleep(1.0)  # anything redelivered late would show up now
        edge.send_signal(signal.SIGTERM)
        edge.wait(30)
    finally:
        if edge.poll() is None:
            edge.kill()
        consumer.close()
    assert sent_at_kill < MESSAGES
    assert stored_at_kill < expected
    counts = store.execute(
        "SELECT count(*) AS n, count(DISTINCT (source, path, ts, seq)) AS d, "
        "min(source) AS first, max(source) AS last FROM rec_sample"
    ).to_pylist()[0]
    assert counts == {"n": expected, "d": expected, "first": name, "last": name}
    assert store.quarantine_summary().num_rows == 0
    print(
        f"edge -> NATS -> central: {expected} samples sent; {stored_at_kill} stored at the "
        f"SIGKILL; {counts['n']} stored after, {counts['d']} distinct"
    )
