"""The edge as a runtime: its settings (keywords, ``ANDON_EDGE_*``, one clear error per bad
value) and its builder (sources -> buffer -> forwarder, started and stopped as one)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from connect_helpers import publish, uns_messages, wait_for

import andon.connect.opcua
import andon.runtime.edge
import andon.store
from andon.connect.buffer import DiskBuffer, FullPolicy, MemoryBuffer
from andon.connect.decoded import Batch
from andon.connect.uns import UnsDecoder
from andon.errors import ConnectError, InputError, UsageError
from andon.model import Model
from andon.records import RecordKind
from andon.runtime.edge import EdgeSettings, edge_runtime, load_edge_settings
from andon.store import DuckDBStore, Store

EQ = "acme/lyon/machining/m1/milling/mill1"
TOPIC = f"{EQ}/sample/spindle_temperature"
ROOT = Path(__file__).resolve().parents[2]
NOWHERE = "mqtt://127.0.0.1:9"
"""A broker URL that nothing answers: building an edge reaches no network."""


def _clear_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ANDON_EDGE_"):
            monkeypatch.delenv(name)


def _problem_codes(exc: InputError) -> list[str]:
    return [problem.code for problem in exc.problems]


# settings --------------------------------------------------------------------------------------


def test_settings_come_from_the_environment_under_keywords(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _clear_env(monkeypatch)
    monkeypatch.setenv("ANDON_EDGE_SITE", "lyon")
    monkeypatch.setenv("ANDON_EDGE_NAME", "edge-lyon")
    monkeypatch.setenv("ANDON_EDGE_MQTT_URL", "mqtts://broker.lyon:8883")
    monkeypatch.setenv("ANDON_EDGE_MQTT_TOPICS", '["a/#", "b/#"]')
    monkeypatch.setenv("ANDON_EDGE_MQTT_PASSWORD", "s3cret")
    monkeypatch.setenv("ANDON_EDGE_BUFFER_PATH", str(tmp_path / "buffer.db"))
    monkeypatch.setenv("ANDON_EDGE_MAX_BUFFER_MB", "64")
    monkeypatch.setenv("ANDON_EDGE_WHEN_FULL", "drop_oldest")
    monkeypatch.setenv("ANDON_EDGE_BUS", "nats")
    monkeypatch.setenv("ANDON_EDGE_OPCUA_NODES", '{"ns=2;s=T": "acme/x/temp"}')
    settings = load_edge_settings({"name": "edge-from-keyword"})
    assert settings.name == "edge-from-keyword"  # a keyword wins over the environment
    assert settings.site == "lyon"
    assert settings.uns_topics() == ("a/#", "b/#")
    assert settings.max_buffer_mb == 64
    assert settings.when_full is FullPolicy.DROP_OLDEST
    assert settings.bus == "nats"
    assert settings.opcua_nodes == {"ns=2;s=T": "acme/x/temp"}
    assert settings.status_location() == tmp_path / "buffer.db.status.json"
    assert "s3cret" not in repr(settings)
    mqtt = settings.mqtt_settings()
    assert mqtt is not None
    assert (mqtt.client_id, mqtt.password, mqtt.endpoint()) == (
        "edge-from-keyword",
        "s3cret",
        ("broker.lyon", 8883, True),
    )


def test_without_environ_the_environment_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_env(monkeypatch)
    monkeypatch.setenv("ANDON_EDGE_MAX_BUFFER_MB", "0")  # would be refused if read
    monkeypatch.setenv("ANDON_EDGE_NAME", "from-env")
    settings = load_edge_settings(
        {"mqtt_url": NOWHERE, "store_url": "s.duckdb", "name": "ingest"}, environ=False
    )
    assert (settings.name, settings.max_buffer_mb) == ("ingest", 1024)


def test_a_bad_environment_value_is_one_problem_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _clear_env(monkeypatch)
    monkeypatch.setenv("ANDON_EDGE_MAX_BUFFER_MB", "lots")
    with pytest.raises(InputError) as caught:
        load_edge_settings({"mqtt_url": NOWHERE, "store_url": "s.duckdb"})
    (problem,) = caught.value.problems
    assert problem.code == "settings.int_parsing"
    assert problem.path == "max_buffer_mb"
    assert "'lots'" in problem.message


def test_every_bad_value_is_reported_at_once_under_the_callers_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _clear_env(monkeypatch)
    with pytest.raises(InputError) as caught:
        load_edge_settings(
            {
                "mqtt_url": "http://broker",
                "store_url": "s.duckdb",
                "max_buffer_mb": 0,
                "when_full": "never",
                "protocol": "spb",
            },
            labels={"mqtt_url": "--mqtt", "max_buffer_mb": "--max-buffer-mb"},
        )
    found = {problem.path: problem.code for problem in caught.value.problems}
    assert found == {
        "--mqtt": "settings.value_error",
        "--max-buffer-mb": "settings.greater_than",
        "when_full": "settings.enum",
        "protocol": "settings.literal_error",
    }
    assert "mqtt://" in str(caught.value)


@pytest.mark.parametrize(
    ("values", "code", "text"),
    [
        ({"store_url": "s.duckdb"}, "settings.no_source", "--mqtt and/or opcua_endpoint"),
        ({"mqtt_url": NOWHERE}, "settings.no_destination", "--store (bus in_process)"),
        (
            {"mqtt_url": NOWHERE, "store_url": "s", "bus": "nats", "site": "lyon"},
            "settings.two_destinations",
            "not both",
        ),
        ({"mqtt_url": NOWHERE, "bus": "nats"}, "settings.no_site", "needs site"),
        (
            {"mqtt_url": NOWHERE, "store_url": "s", "retry_min_s": 5, "retry_max_s": 1},
            "settings.retry_bounds",
            "retry_min_s must not exceed retry_max_s",
        ),
        ({"mqtt_url": NOWHERE, "store_url": "s", "_env_file": "x"}, "settings.extra_forbidden", ""),
    ],
    ids=["no-source", "no-destination", "two-destinations", "no-site", "retry", "unknown"],
)
def test_settings_that_do_not_fit_together_give_one_clear_problem(
    monkeypatch: pytest.MonkeyPatch, values: dict[str, object], code: str, text: str
) -> None:
    _clear_env(monkeypatch)
    with pytest.raises(InputError) as caught:
        load_edge_settings(values, labels={"mqtt_url": "--mqtt", "store_url": "--store"})
    assert _problem_codes(caught.value) == [code]
    assert text in str(caught.value.problems[0])


def test_every_setting_has_a_docstring() -> None:
    undocumented = [
        name for name, field in EdgeSettings.model_fields.items() if not field.description
    ]
    assert undocumented == []


def test_the_edge_page_lists_every_setting_as_generated() -> None:
    spec = importlib.util.spec_from_file_location(
        "gen_settings_docs", ROOT / "scripts" / "gen_settings_docs.py"
    )
    assert spec is not None
    assert spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    page = (ROOT / "docs" / "edge.md").read_text()
    assert generator.render(page, "edge", EdgeSettings) == page, (
        "docs/edge.md is stale: run python scripts/gen_settings_docs.py"
    )
    assert all(f"`{EdgeSettings.env_name(name)}`" in page for name in EdgeSettings.model_fields)


@pytest.mark.services
def test_the_python_example_of_the_edge_page_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mqtt_url: str
) -> None:
    page = (ROOT / "docs" / "edge.md").read_text()
    (example,) = re.findall(r"```python\n(.*?)```", page, re.DOTALL)
    assert mqtt_url in example
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    _clear_env(monkeypatch)
    exec(compile(example, "docs/edge.md", "exec"), {})
    status = json.loads((tmp_path / "buffer.db.status.json").read_text())
    assert (status["running"], status["site"], status["buffer_depth"]) == (False, "lyon", 0)


# the builder -----------------------------------------------------------------------------------


def _batch(first_ms: int, n: int = 5) -> Batch:
    payload = json.dumps({"ts": [first_ms + i for i in range(n)], "value": [41.0] * n})
    decoded = UnsDecoder(source="edge-test").decode([(TOPIC, payload.encode())])
    return Batch.of(decoded, received_at_us=first_ms * 1000)


class _Closes:
    """Records which stores and buffers the builder opened, and which it closed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opened: list[str] = []
        self.closed: list[str] = []
        spy = self

        def open_store(url: str) -> Store:
            store = DuckDBStore(url)
            spy.opened.append("store")
            original = store.close

            def close() -> None:
                spy.closed.append("store")
                original()

            store.close = close  # type: ignore[method-assign]
            return store

        class Buffer(DiskBuffer):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                spy.opened.append("buffer")

            def close(self) -> None:
                spy.closed.append("buffer")
                super().close()

        monkeypatch.setattr(andon.store, "open_store", open_store)
        monkeypatch.setattr(andon.runtime.edge, "DiskBuffer", Buffer)


def test_the_builder_composes_without_reaching_the_network(
    tmp_path: Path, example_model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    closes = _Closes(monkeypatch)
    settings = EdgeSettings(
        name="edge-a",
        mqtt_url=NOWHERE,
        protocol="sparkplug",
        opcua_endpoint="opc.tcp://127.0.0.1:9",
        opcua_security="none",
        opcua_nodes={"ns=2;s=T": f"{EQ}/spindle_temperature"},
        buffer_path=tmp_path / "buffer.db",
        max_buffer_mb=2,
        store_url=str(tmp_path / "store.duckdb"),
    )
    runtime = edge_runtime(settings, example_model)
    assert runtime.sources == ("mqtt sparkplug", "opcua")
    assert isinstance(runtime.buffer, DiskBuffer)
    assert runtime.buffer.max_bytes == 2 << 20
    assert runtime.buffer.policy is FullPolicy.BLOCK
    assert runtime.forwarder.name == "edge-a"  # durable: batch ids survive a restart
    assert not runtime.running
    assert (closes.opened, closes.closed) == (["buffer", "store"], [])
    runtime.stop()  # built, never started: releases the store, then the buffer
    assert closes.closed == ["store", "buffer"]
    status = runtime.status()
    assert (status["running"], status["name"]) == (False, "edge-a")
    runtime.stop()  # a second stop does nothing
    assert closes.closed == ["store", "buffer"]
    with pytest.raises(UsageError):
        runtime.start()


def test_a_failed_build_releases_what_it_opened(
    tmp_path: Path, example_model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    closes = _Closes(monkeypatch)
    monkeypatch.setattr(andon.connect.opcua, "node_map", lambda *_: {})
    settings = EdgeSettings(
        opcua_endpoint="opc.tcp://127.0.0.1:9",
        buffer_path=tmp_path / "buffer.db",
        store_url=str(tmp_path / "store.duckdb"),
    )
    with pytest.raises(ConnectError, match="no OPC UA node ids"):
        edge_runtime(settings, example_model)
    assert closes.opened == ["buffer", "store"]
    assert closes.closed == ["store", "buffer"]


@pytest.mark.services
def test_memory_buffered_runs_over_one_store_each_store_their_batches(
    tmp_path: Path, example_model: Model, mqtt_url: str
) -> None:
    # A memory buffer counts batches from 1 at every start; the store must not take the
    # second run's first batch for the first run's (its batch ledger skips a known id).
    store_path = tmp_path / "store.duckdb"
    settings = EdgeSettings(
        name=f"ingest-{uuid.uuid4().hex[:8]}",
        mqtt_url=mqtt_url,
        mqtt_topics=(f"nothing/{uuid.uuid4().hex}/#",),
        store_url=str(store_path),
    )
    prefixes = []
    for run, first_ms in enumerate((1_767_600_000_000, 1_767_600_060_000)):
        runtime = edge_runtime(settings, example_model)
        assert isinstance(runtime.buffer, MemoryBuffer)
        prefixes.append(runtime.buffer.token)  # in every batch id, beside the name
        runtime.start()
        runtime.buffer.append(_batch(first_ms))
        assert wait_for(lambda r=runtime: r.buffer.depth() == 0), run
        runtime.stop()
    store = DuckDBStore(store_path)
    try:
        assert store.count_rows(RecordKind.SAMPLE) == 10
    finally:
        store.close()
    assert prefixes[0] != prefixes[1]


@pytest.mark.services
def test_an_edge_runtime_reads_uns_buffers_forwards_and_writes_its_status(
    tmp_path: Path, example_model: Model, mqtt_url: str, run_id: str
) -> None:
    prefix = f"edge-rt/{run_id}/"
    heard: list[dict[str, object]] = []
    settings = EdgeSettings(
        name=f"edge-{run_id}",
        mqtt_url=mqtt_url,
        mqtt_prefix=prefix,
        buffer_path=tmp_path / "buffer.db",
        store_url=str(tmp_path / "store.duckdb"),
        status_every_s=0.1,
    )
    runtime = edge_runtime(settings, example_model, on_status=heard.append)
    stop = threading.Event()
    runner = threading.Thread(target=lambda: heard.append({"final": runtime.run(stop)}))
    runner.start()
    try:
        assert wait_for(lambda: runtime.running, 20)
        assert wait_for((tmp_path / "buffer.db.status.json").exists, 20)
        publish(mqtt_url, uns_messages(prefix, EQ, messages=6, samples=5))
        assert wait_for(lambda: runtime.status().get("written_records") == 30, 30)
        runtime.start()  # a second start does nothing
    finally:
        stop.set()
        runner.join(60)
    assert not runtime.running
    final = heard[-1]["final"]
    assert isinstance(final, dict)
    assert (final["written_records"], final["buffer_depth"], final["running"]) == (30, 0, False)
    on_disk = json.loads((tmp_path / "buffer.db.status.json").read_text())
    assert (on_disk["written_records"], on_disk["running"]) == (30, False)
    assert any(isinstance(s.get("received_messages"), int) for s in heard[:-1])
    store = DuckDBStore(tmp_path / "store.duckdb")
    try:
        rows = store.execute("SELECT count(*) AS n, min(source) AS s FROM rec_sample").to_pylist()
    finally:
        store.close()
    assert rows == [{"n": 30, "s": settings.name}]
