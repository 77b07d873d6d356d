"""Shared fixtures: the example model, stores, and the skip-or-fail rule for real servers.

Tests that talk to a server (PostgreSQL, Mosquitto, NATS) read its address from an
environment variable with this machine's default, skip with a visible reason when the
server does not answer, and fail instead when ``ANDON_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest

from andon.model import Model, load_model

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

POSTGRES_URL = os.environ.get(
    "ANDON_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
MQTT_URL = os.environ.get("ANDON_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
NATS_URL = os.environ.get("ANDON_TEST_NATS_URL", "nats://127.0.0.1:4222")


def services_required() -> bool:
    """Return whether a missing server must fail the run (CI) rather than skip."""
    return os.environ.get("ANDON_REQUIRE_SERVICES") == "1"


def require_service(name: str, url: str) -> None:
    """Skip (or fail under ANDON_REQUIRE_SERVICES=1) unless a TCP server answers at ``url``."""
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port
    if port is None:
        pytest.fail(f"{name} URL {url!r} has no port")
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError as exc:
        reason = f"{name} is not answering at {host}:{port} ({exc}); set the URL or start it"
        if services_required():
            pytest.fail(f"ANDON_REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def example_model() -> Model:
    """The bundled discrete-assembly enterprise."""
    return load_model(EXAMPLES / "discrete")


@pytest.fixture
def postgres_url() -> str:
    """The URL of the test PostgreSQL server, or skip/fail when it does not answer."""
    require_service("PostgreSQL", POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def mqtt_url() -> str:
    """The URL of the test MQTT broker, or skip/fail when it does not answer."""
    require_service("Mosquitto", MQTT_URL)
    return MQTT_URL


@pytest.fixture
def nats_url() -> str:
    """The URL of the test NATS server, or skip/fail when it does not answer."""
    require_service("NATS", NATS_URL)
    return NATS_URL
