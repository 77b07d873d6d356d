"""andon's Sparkplug B host against Eclipse Tahu's JavaScript edge client (npm
``sparkplug-client`` 3.2.4, pinned in ``package-lock.json`` beside this file).

The peer (``edge.js``, run with the machine's Node.js) publishes to the real Mosquitto, in a
group of the test's own: NBIRTH, a DBIRTH with every scalar data type and aliases, DDATA by
alias, a sequence gap, the rebirth the host asks for, more DDATA and an NDEATH. andon's host
(MqttSource + SparkplugHost + Pipeline) writes into a DuckDB store; every value the peer
printed is then looked up in the store: stored exactly, births included, and the death
leaves every metric marked stale.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as paho
import pyarrow as pa
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from andon.connect.mqtt import MqttSettings, MqttSource
from andon.connect.pipeline import Pipeline
from andon.connect.sparkplug import SparkplugHost
from andon.model import Model, load_model
from andon.records import RecordKind
from andon.store import DuckDBStore

pytestmark = [pytest.mark.services]

HERE = Path(__file__).resolve().parent
EQ = "peer/plant9/hall/line7/cell2/cnc42"


def _unavailable(reason: str) -> None:
    if os.environ.get("ANDON_REQUIRE_SERVICES") == "1":
        pytest.fail(f"ANDON_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def tahu() -> Path:
    """The peer's folder with its node_modules (``npm ci`` once, from the lock file)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("Node.js and npm are needed for the Tahu peer (apt install nodejs npm)")
    if not (HERE / "node_modules" / "sparkplug-client").is_dir():
        done = subprocess.run(
            [npm or "npm", "ci", "--no-audit", "--no-fund"],
            cwd=HERE,
            capture_output=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            _unavailable(f"npm ci of the Tahu peer failed: {done.stderr.decode()[-800:]}")
    return HERE


@pytest.fixture(scope="module")
def peer_model() -> Model:
    return load_model(HERE / "plant.yaml")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    store = DuckDBStore(tmp_path / "peer.duckdb")
    yield store
    store.close()


def _clear_retained(url: str, topic: str) -> None:
    """Leave nothing of the test on the shared broker: the host's retained STATE."""
    host, port, _ = MqttSettings(url=url).endpoint()
    client = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2)
    client.connect(host, port)
    client.loop_start()
    try:
        client.publish(topic, b"", qos=1, retain=True).wait_for_publish(10)
    finally:
        client.loop_stop()
        client.disconnect()


def _stored(store: DuckDBStore) -> list[dict[str, Any]]:
    table = store.execute("SELECT path, ts, value, quality FROM rec_sample ORDER BY ts")
    ts = table.column("ts").cast(pa.int64()).to_pylist()
    return [
        {"path": p, "ts_us": t, "value": v, "quality": q}
        for p, t, v, q in zip(
            table.column("path").to_pylist(),
            ts,
            table.column("value").to_pylist(),
            table.column("quality").to_pylist(),
            strict=True,
        )
    ]


def test_every_value_of_the_tahu_edge_is_stored_exactly(
    tahu: Path, peer_model: Model, store: DuckDBStore, mqtt_url: str
) -> None:
    run = uuid.uuid4().hex[:10]
    group, node = f"tahu{run}", "edge1"
    host = SparkplugHost(model=peer_model, group=group, host_id=f"andon-{run}", source="tahu")
    source = MqttSource(
        settings=MqttSettings(url=mqtt_url, client_id=f"host-{run}", persistent_session=False),
        topics=host.subscriptions(),
        decode=host.decode,
        handler=Pipeline(store=store, model=peer_model).write,
        presence=host.presence,
        commands=host.take_commands,
    )
    source.start()
    try:
        assert source.wait_connected(15)
        done = subprocess.run(
            ["node", str(tahu / "edge.js"), mqtt_url, group, node, "cnc42"],
            cwd=tahu,
            capture_output=True,
            timeout=90,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        sent = [json.loads(line) for line in done.stdout.decode().splitlines()]
        values = [r for r in sent if r["kind"] in {"birth", "data"}]
        tags = {r["name"] for r in values}
        expected = len(values) + len(tags)  # and one stale mark per tag after the NDEATH
        deadline = time.monotonic() + 20
        while store.count_rows(RecordKind.SAMPLE) < expected and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        source.stop()
        _clear_retained(mqtt_url, host.state_topic)
    kinds = [r["kind"] for r in sent]
    assert kinds.count("gap") == 1
    assert "rebirth_asked" in kinds  # the host saw the gap and asked, through the broker
    assert sent[-1] == {"kind": "done", "births": 2}
    assert host.counts.get("seq_gaps", 0) >= 1
    assert store.quarantine_summary().num_rows == 0

    rows = _stored(store)
    good = {(r["path"], r["ts_us"]): r["value"] for r in rows if r["quality"] == "good"}
    for record in values:
        key = (f"{EQ}/{record['name']}", record["ts"] * 1000)
        value = record["value"]
        want = float(np.float32(value)) if record["type"] == "Float" else float(value)
        assert key in good, f"{record} was not stored"
        assert good[key] == want, record
    assert len(good) == len(values)  # births stored, nothing else
    speeds = [r for r in values if r["name"] == "spindle_speed" and r["kind"] == "data"]
    assert len(speeds) >= 28
    assert any(r["value"] > 2**31 for r in speeds)  # UInt32 above Int32, in long_value
    constant = [r for r in rows if r["path"] == f"{EQ}/constant" and r["quality"] == "good"]
    assert [r["value"] for r in constant] == [42.0, 42.0]  # only in its two births

    last_good = max(r["ts_us"] for r in rows if r["quality"] == "good")
    stale = [r for r in rows if r["quality"] == "uncertain"]
    assert sorted(r["path"] for r in stale) == sorted(f"{EQ}/{t}" for t in tags)
    assert all(r["value"] is None and r["ts_us"] > last_good for r in stale)
