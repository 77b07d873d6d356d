"""Fault tests of the edge agent, run as the real ``andon edge run`` process.

SIGKILL of the agent, and a broker stopped and restarted, in the middle of a stream:
afterwards every record sent is stored exactly once (counted in PostgreSQL, where the
test can read while the agent writes). The broker that is stopped is a Mosquitto of the
test's own on a free port; the machine's broker is never touched.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from connect_helpers import start_edge, uns_messages, wait_for
from paho.mqtt.enums import CallbackAPIVersion

from andon.records import RecordKind
from andon.store.postgres import PostgresStore

pytestmark = [pytest.mark.services, pytest.mark.slow]

EQ = "acme/lyon/machining/m1/milling/mill1"
MESSAGES = 240
SAMPLES = 25


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Publisher:
    """Publishes at QoS 1 from a persistent session, paced, through broker outages."""

    def __init__(self, url: str, client_id: str) -> None:
        host, port = url.removeprefix("mqtt://").split(":")
        self.client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
        )
        self.client.max_queued_messages_set(0)
        self.client.max_inflight_messages_set(50)
        self.client.reconnect_delay_set(0.2, 1)  # type: ignore[arg-type]  # paho takes seconds as floats
        self.acked: set[int] = set()
        self.mids: list[int] = []
        self.client.on_publish = lambda _c, _u, mid, _rc, _p: self.acked.add(mid)
        self.client.connect(host, int(port))
        self.client.loop_start()

    def run(self, messages: list[tuple[str, bytes]], rate: float) -> threading.Thread:
        def go() -> None:
            for topic, payload in messages:
                # while the broker is away paho keeps QoS 1 messages and sends them later
                self.mids.append(self.client.publish(topic, payload, qos=1).mid)
                time.sleep(1 / rate)

        thread = threading.Thread(target=go, daemon=True)
        thread.start()
        return thread

    def all_acked(self) -> bool:
        return len(self.mids) == MESSAGES and set(self.mids) <= self.acked

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def pg_store(postgres_url: str, run_id: str) -> Iterator[tuple[str, PostgresStore]]:
    schema = f"edge_{run_id}"
    url = f"{postgres_url}?schema={schema}"
    store = PostgresStore(postgres_url, schema=schema)
    yield url, store
    store.drop_schema()
    store.close()


def _exactly_once(store: PostgresStore) -> tuple[int, int]:
    rows = store.execute(
        "SELECT count(*) AS n, count(DISTINCT (source, path, ts, seq)) AS d FROM rec_sample"
    )
    return int(rows.column("n")[0].as_py()), int(rows.column("d")[0].as_py())


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def test_sigkill_of_the_edge_agent_loses_and_duplicates_nothing(
    mqtt_url: str, pg_store: tuple[str, PostgresStore], run_id: str, tmp_path: Path
) -> None:
    store_url, store = pg_store
    prefix = f"kill/{run_id}/"
    name = f"edge-{run_id}"
    buffer = tmp_path / "buffer.db"
    agent = start_edge(
        buffer=buffer,
        mqtt_url=mqtt_url,
        prefix=prefix,
        name=name,
        forward_to=["--store", store_url],
    )
    publisher = Publisher(mqtt_url, f"pub-{run_id}")
    try:
        assert wait_for((tmp_path / "buffer.db.status.json").exists, 60)
        time.sleep(1.0)  # subscribed: the persistent session exists at the broker
        thread = publisher.run(
            uns_messages(prefix, EQ, messages=MESSAGES, samples=SAMPLES), rate=80
        )
        assert wait_for(lambda: len(publisher.mids) >= MESSAGES // 3, 60)
        agent.send_signal(signal.SIGKILL)  # in the middle of the stream
        agent.wait(10)
        published_at_kill = len(publisher.mids)
        killed_at = store.count_rows(RecordKind.SAMPLE)
        time.sleep(0.5)
        agent = start_edge(
            buffer=buffer,
            mqtt_url=mqtt_url,
            prefix=prefix,
            name=name,
            forward_to=["--store", store_url],
        )
        thread.join(60)
        assert wait_for(publisher.all_acked, 60)
        expected = MESSAGES * SAMPLES
        reached = wait_for(lambda: store.count_rows(RecordKind.SAMPLE) >= expected, 120)
        assert reached, (store.count_rows(RecordKind.SAMPLE), _status(tmp_path))
        time.sleep(1.0)  # anything redelivered late would show up now
        _stop(agent)
    finally:
        if agent.poll() is None:
            agent.kill()
        publisher.close()
    assert published_at_kill < MESSAGES
    assert killed_at < expected
    total, distinct = _exactly_once(store)
    assert total == distinct == expected
    assert store.quarantine_summary().num_rows == 0
    print(
        f"SIGKILL test: {MESSAGES} messages, {expected} samples sent; {killed_at} stored "
        f"before the kill; {total} stored after, {distinct} distinct"
    )


@pytest.mark.skipif(
    shutil.which("mosquitto") is None,
    reason="needs the mosquitto binary to run a broker of its own",
)
def test_a_broker_stopped_midstream_loses_and_duplicates_nothing(
    pg_store: tuple[str, PostgresStore], run_id: str, tmp_path: Path
) -> None:
    store_url, store = pg_store
    port = _free_port()
    conf = tmp_path / "mosquitto.conf"
    (tmp_path / "broker").mkdir()
    # "user root": started as root, Mosquitto would switch to its own user, which cannot
    # write its persistence file into the test's folder; as any other user it is ignored.
    conf.write_text(
        f"user root\nlistener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
        f"persistence_location {tmp_path / 'broker'}/\nmax_queued_messages 100000\n"
    )
    url = f"mqtt://127.0.0.1:{port}"

    def broker() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            ["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        assert wait_for(lambda: _answers(port), 10)
        return process

    mosquitto = broker()
    prefix = f"stop/{run_id}/"
    agent = start_edge(
        buffer=tmp_path / "buffer.db",
        mqtt_url=url,
        prefix=prefix,
        name=f"edge-{run_id}",
        forward_to=["--store", store_url],
    )
    publisher = None
    try:
        assert wait_for((tmp_path / "buffer.db.status.json").exists, 60)
        time.sleep(1.0)
        publisher = Publisher(url, f"pub-{run_id}")
        thread = publisher.run(
            uns_messages(prefix, EQ, messages=MESSAGES, samples=SAMPLES), rate=80
        )
        assert wait_for(lambda: len(publisher.mids) >= MESSAGES // 3, 60)
        mosquitto.send_signal(signal.SIGTERM)  # the broker goes away mid-stream
        mosquitto.wait(10)
        published_at_stop = len(publisher.mids)
        stopped_at = store.count_rows(RecordKind.SAMPLE)
        time.sleep(1.5)
        mosquitto = broker()
        thread.join(60)
        assert wait_for(publisher.all_acked, 120)
        expected = MESSAGES * SAMPLES
        reached = wait_for(lambda: store.count_rows(RecordKind.SAMPLE) >= expected, 120)
        assert reached, (store.count_rows(RecordKind.SAMPLE), _status(tmp_path))
        time.sleep(1.0)
        status = json.loads((tmp_path / "buffer.db.status.json").read_text())
        _stop(agent)
    finally:
        if agent.poll() is None:
            agent.kill()
        if publisher is not None:
            publisher.close()
        mosquitto.kill()
        mosquitto.wait(10)
    assert published_at_stop < MESSAGES
    assert stopped_at < expected
    assert status["disconnects"] >= 1
    total, distinct = _exactly_once(store)
    assert total == distinct == expected
    print(
        f"broker-stop test: {expected} samples sent; {stopped_at} stored before the stop; "
        f"{total} stored after, {distinct} distinct"
    )


def _status(folder: Path) -> dict[str, object]:
    path = folder / "buffer.db.status.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
