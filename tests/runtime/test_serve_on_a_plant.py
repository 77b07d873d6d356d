"""``andon serve`` on PostgreSQL decides for a plant with no manual command, end to end.

The simulator's Unified Namespace publisher sends two weeks of a fast-wearing plant to
Mosquitto; ``andon ingest mqtt`` (its own process) writes them into a PostgreSQL schema of
the test's own; ``andon serve`` (its own process) fits the maintenance app, proposes at its
first round (and every 15 minutes after, so that the decision the test approves is not
superseded meanwhile) and hands approved work to the plant executor. The test approves an
intervention through the REST API, sees the work request on the UNS topic and in the outbox,
answers it as a CMMS would, and sees the decision executed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import paho.mqtt.client as paho
import pytest

from andon.connect.mqtt import MqttSettings
from andon.decisions import PasswordPolicy, UserService
from andon.executors import AckStatus, WorkRequestAck, decode_request, encode_ack
from andon.model import load_model
from andon.records import RecordKind
from andon.sim import Scenario, simulate
from andon.sim.mqtt import MqttSink
from andon.sim.scenario import SitePractice
from andon.store import PostgresStore

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "examples" / "discrete"
WORK = frozenset({"intervene", "expedite", "move_production", "order_part"})

pytestmark = [pytest.mark.services, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(predicate: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout_s:g} s waiting for {what}")


class _Listener:
    """A plant-side MQTT client: hears work requests and answers them."""

    def __init__(self, url: str, prefix: str) -> None:
        host, port, _ = MqttSettings(url=url).endpoint()
        self.prefix = prefix
        self.requests: list[tuple[str, bytes]] = []
        self._ready = threading.Event()
        self.client = paho.Client(callback_api_version=paho.CallbackAPIVersion.VERSION2)
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda _c, _u, m: self.requests.append(
            (str(m.topic), bytes(m.payload))
        )
        self.client.connect(host, port)
        self.client.loop_start()
        assert self._ready.wait(10)

    def _on_connect(self, client: paho.Client, *_: object) -> None:
        client.subscribe(f"{self.prefix}#", qos=1)
        self._ready.set()

    def answer(self, topic: str, payload: bytes) -> None:
        self.client.publish(self.prefix + topic, payload, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def plant_schema(postgres_url: str) -> Iterator[tuple[PostgresStore, str]]:
    schema = f"t_{uuid.uuid4().hex}"
    store = PostgresStore(postgres_url, schema=schema)
    sep = "&" if "?" in postgres_url else "?"
    try:
        yield store, f"{postgres_url}{sep}schema={schema}"
    finally:
        store.drop_schema()


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "andon", *args], stdout=out, stderr=subprocess.STDOUT, env=env
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_serve_proposes_without_a_command_and_sends_approved_work_to_the_plant(
    plant_schema: tuple[PostgresStore, str], mqtt_url: str, tmp_path: Path
) -> None:
    store, store_url = plant_schema
    model = load_model(MODEL)
    prefix = f"t{uuid.uuid4().hex[:10]}/"
    users = UserService(store=store, passwords=PasswordPolicy(memory_kib=1024, time_cost=1))
    users.add("planner", role="engineer", sites=["*"], password=None, actor="test")
    token = users.issue_token("planner", name="e2e", actor="test").secret
    headers = {"Authorization": f"Bearer {token}"}

    ingest = _start(
        ["ingest", "mqtt", "--model", str(MODEL), "--store", store_url, "--mqtt", mqtt_url,
         "--prefix", prefix, "--name", f"ingest-{prefix[:-1]}", "-v"],
        tmp_path / "ingest.log",
    )  # fmt: skip
    port = _free_port()
    serve: subprocess.Popen[bytes] | None = None
    listener = _Listener(mqtt_url, prefix)
    try:
        _wait(
            lambda: b"connected to" in (tmp_path / "ingest.log").read_bytes(),
            60,
            "andon ingest mqtt to connect",
        )
        time.sleep(1.0)  # its subscription follows the connection
        # Two weeks of a plant that wears eight times faster than the example's, ending now.
        now = int(time.time() * 1_000_000)
        start = dt.datetime.fromtimestamp((now - 14 * 86_400_000_000) / 1e6, tz=dt.UTC)
        scenario = Scenario(
            start=start.isoformat(),
            practices={site: SitePractice(wear_factor=8.0) for site in ("lyon", "brno")},
        )
        sink = MqttSink(mqtt_url, root=model.root, prefix=prefix)
        simulate(model, days=14, seed=1, sink=sink, scenario=scenario)
        sink.close()
        assert sink.published > 0
        seen: list[int] = []

        def settled() -> bool:
            seen.append(store.count_rows(RecordKind.SAMPLE))
            return len(seen) > 6 and seen[-1] > 0 and seen[-1] == seen[-7]

        _wait(settled, 300, "ingest to write the whole history")
        assert store.count_rows(RecordKind.MAINTENANCE) > 0

        serve = _start(
            ["serve", "--store", store_url, "--model", str(MODEL), "--port", str(port),
             "--apps", "maintenance", "--executor", "plant", "--mqtt", mqtt_url,
             "--mqtt-prefix", prefix, "--propose-every", "900", "--fit-every", "0",
             "--upkeep-every", "5"],
            tmp_path / "serve.log",
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}/api/v1"

        def proposals() -> list[dict[str, object]]:
            try:
                answer = httpx.get(
                    f"{base}/decisions", params={"status": "proposed", "limit": 500},
                    headers=headers, timeout=60,
                )  # fmt: skip
            except httpx.HTTPError:
                return []
            return list(answer.json()["items"]) if answer.status_code == 200 else []

        _wait(lambda: bool(proposals()), 300, "proposals in the inbox with no manual command")
        status = httpx.get(f"{base}/apps", headers=headers, timeout=60).json()
        assert [s["name"] for s in status] == ["maintenance"]
        assert status[0]["fit_version"]  # fitted at start, no command given
        assert status[0]["last_round_at"] is not None

        work = [p for p in proposals() if p["action"]["kind"] in WORK]  # type: ignore[index]
        assert work, "a plant wearing this fast must need some intervention"
        chosen = max(work, key=lambda p: float(p["expected_value"]))  # type: ignore[arg-type]
        decision_id = str(chosen["id"])
        approved = httpx.post(
            f"{base}/decisions/{decision_id}/approve", json={"reason": "e2e"},
            headers=headers, timeout=60,
        )  # fmt: skip
        assert approved.status_code == 200, approved.text

        def request() -> tuple[str, bytes] | None:
            for topic, payload in list(listener.requests):
                if topic.endswith("/request") and json.loads(payload).get("request_id") == (
                    decision_id
                ):
                    return topic, payload
            return None

        _wait(lambda: request() is not None, 120, "the work request on the UNS")
        found = request()
        assert found is not None
        topic, payload = found
        work_request = decode_request(payload)
        assert topic == f"{prefix}{chosen['subject']}/maintenance/request"
        assert work_request.action.kind == chosen["action"]["kind"]  # type: ignore[index]
        assert work_request.action.subject == chosen["subject"]
        assert work_request.approved_by == "planner"
        assert work_request.expected_value == chosen["expected_value"]
        assert work_request.currency == model.currency
        [outbox] = store.rows(
            "SELECT state, executor, action FROM executions WHERE decision_id = ?", [decision_id]
        )
        assert (outbox["state"], outbox["executor"]) == ("dispatched", "plant")
        assert json.loads(outbox["action"])["kind"] == work_request.action.kind

        ack_topic, ack = encode_ack(
            WorkRequestAck(
                request_id=decision_id,
                status=AckStatus.ACCEPTED,
                subject=work_request.action.subject,
                work_order="WO-E2E-1",
            ),
            app="maintenance",
        )
        listener.answer(ack_topic, ack)

        def executed() -> bool:
            record = httpx.get(f"{base}/decisions/{decision_id}", headers=headers, timeout=60)
            return record.json()["status"] == "executed"

        _wait(executed, 120, "the acknowledged decision to be executed")
        execution = httpx.get(
            f"{base}/decisions/{decision_id}/execution", headers=headers, timeout=10
        ).json()
        assert execution["state"] == "done"
        assert execution["reference"] == "WO-E2E-1"
    finally:
        listener.close()
        if serve is not None:
            _stop(serve)
        _stop(ingest)
        for log in ("serve.log", "ingest.log"):
            path = tmp_path / log
            if path.exists():
                sys.stderr.write(f"--- {log} ---\n{path.read_text(errors='replace')[-3000:]}\n")
