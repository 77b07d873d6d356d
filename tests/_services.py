"""The addresses of the real servers tests talk to, and the skip-or-fail rule for them.

A module of its own (not ``conftest``), so that any test module can import it by name:
``from _services import POSTGRES_URL, require_service``, whichever folder's ``conftest``
pytest imported last.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest

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
