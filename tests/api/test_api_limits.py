"""What a request may cost: bounded bodies, and rate limits keyed on the real client.

Bodies over the limit are refused with a 413 problem before they are read, whether their
size is declared (``Content-Length``) or not (chunked), on a real uvicorn server as on the
in-process client. Forwarded headers count only from configured proxies; failed logins
back off per address (and address and user), never per user alone; failed tokens are
limited per address too.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from ipaddress import ip_network

import pytest
import uvicorn
from fastapi.testclient import TestClient

from andon.api import ApiSettings, create_app
from andon.api.serving import server_config
from andon.decisions import ensure_schema
from andon.model import Model
from andon.store import DuckDBStore
from andon.store.base import Store
from api.api_helpers import PASSWORD, Env, build

LIMIT = 64 * 1024


def _settings(**changes: object) -> ApiSettings:
    return ApiSettings(password_memory_kib=1024, max_body_bytes=LIMIT, **changes)  # type: ignore[arg-type]


def _env(store: Store, model: Model, **changes: object) -> Env:
    env = build(store, model)
    env.app = create_app(store=store, model=model, settings=_settings(**changes))
    env.client = TestClient(env.app)
    return env


def _chunks(total: int, size: int = 8192) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


# bodies ------------------------------------------------------------------------------------


def test_a_declared_body_over_the_limit_is_a_413_problem(
    store: Store, example_model: Model
) -> None:
    env = _env(store, example_model)
    big = json.dumps({"username": "x", "password": "y" * (LIMIT + 1)})
    answer = env.client.post(
        "/api/v1/auth/login", content=big, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["code"] == "request.too_large"
    assert str(LIMIT) in body["detail"]


def test_a_chunked_body_over_the_limit_is_a_413_problem(store: Store, example_model: Model) -> None:
    env = _env(store, example_model)
    answer = env.client.post(
        "/api/v1/decisions/x/approve",
        content=_chunks(LIMIT * 4),
        headers={**env.headers("admin-lyon"), "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["code"] == "request.too_large"


def test_a_body_under_the_limit_still_works_chunked_or_not(
    store: Store, example_model: Model
) -> None:
    env = _env(store, example_model)
    login = json.dumps({"username": "viewer-lyon", "password": PASSWORD}).encode()
    declared = env.client.post(
        "/api/v1/auth/login", content=login, headers={"Content-Type": "application/json"}
    )
    chunked = env.client.post(
        "/api/v1/auth/login",
        content=iter([login[:10], login[10:]]),
        headers={"Content-Type": "application/json"},
    )
    assert (declared.status_code, chunked.status_code) == (200, 200)


@pytest.fixture
def served(example_model: Model) -> Iterator[tuple[str, int]]:
    """A real uvicorn server on a free loopback port, with a 64 KiB body limit."""
    store = DuckDBStore(None)
    ensure_schema(store)
    app = create_app(store=store, model=example_model, settings=_settings())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(server_config(app, host="127.0.0.1", port=port, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(5)
    store.close()


def _status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def _read_reply(conn: socket.socket) -> bytes:
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_a_real_server_refuses_200_mb_declared_before_any_byte_of_it(
    served: tuple[str, int],
) -> None:
    with socket.create_connection(served) as conn:
        conn.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 209715200\r\n\r\n"
        )
        reply = _read_reply(conn)  # answered without a byte of the body sent
    assert _status(reply) == 413
    assert b"application/problem+json" in reply


def test_a_real_server_stops_a_chunked_stream_at_the_limit(served: tuple[str, int]) -> None:
    with socket.create_connection(served) as conn:
        conn.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b" " * 8192
        sent = 0
        reply = b""
        conn.settimeout(0.05)
        while sent < 50 * LIMIT:  # the server answers long before 50 times the limit
            try:
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                break
            sent += len(chunk)
            try:
                reply = conn.recv(65536)
            except TimeoutError:
                continue
            if reply:
                break
        reply = reply or _read_reply(conn)
    assert _status(reply) == 413
    assert sent <= LIMIT + 16 * 8192


# forwarded headers and rate limits -------------------------------------------------------


def _bad_login(client: TestClient, username: str, **headers: str) -> int:
    answer = client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": "not the password at all"},
        headers=headers,
    )
    return int(answer.status_code)


def test_a_new_forwarded_for_per_request_does_not_bypass_the_login_limit(
    store: Store, example_model: Model
) -> None:
    env = _env(store, example_model)
    client = TestClient(env.app, client=("127.0.0.1", 50000))
    statuses = [
        _bad_login(client, "viewer-brno", **{"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(8)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429] * 3


def test_a_real_server_ignores_forwarded_for_from_loopback(served: tuple[str, int]) -> None:
    statuses = []
    for i in range(7):
        with socket.create_connection(served) as conn:
            body = json.dumps({"username": "nobody", "password": "not the password"}).encode()
            conn.sendall(
                b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nX-Forwarded-For: 203.0.113.%d\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (i, len(body), body)
            )
            statuses.append(_status(_read_reply(conn)))
    assert statuses == [401] * 5 + [429] * 2


def test_forwarded_for_counts_from_a_configured_proxy(store: Store, example_model: Model) -> None:
    env = _env(store, example_model, trusted_proxies=[ip_network("10.0.0.5")])
    proxy = TestClient(env.app, client=("10.0.0.5", 50000))
    for _ in range(5):
        assert _bad_login(proxy, "viewer-brno", **{"X-Forwarded-For": "203.0.113.7"}) == 401
    assert _bad_login(proxy, "viewer-brno", **{"X-Forwarded-For": "203.0.113.7"}) == 429
    # the real user, behind the same proxy from another address, logs in
    real = proxy.post(
        "/api/v1/auth/login",
        json={"username": "viewer-brno", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.20"},
    )
    assert real.status_code == 200


def test_bad_passwords_from_one_address_do_not_lock_the_user_out_elsewhere(
    store: Store, example_model: Model
) -> None:
    env = _env(store, example_model)
    attacker = TestClient(env.app, client=("192.0.2.66", 50000))
    user = TestClient(env.app, client=("192.0.2.10", 50000))
    for _ in range(7):
        _bad_login(attacker, "operator-lyon")
    assert _bad_login(attacker, "operator-lyon") == 429
    login = user.post(
        "/api/v1/auth/login", json={"username": "operator-lyon", "password": PASSWORD}
    )
    assert login.status_code == 200


def test_failed_bearer_tokens_are_limited_per_address(store: Store, example_model: Model) -> None:
    env = _env(store, example_model, token_max_failures=5)
    attacker = TestClient(env.app, client=("192.0.2.66", 50000))
    other = TestClient(env.app, client=("192.0.2.10", 50000))
    wrong = {"Authorization": "Bearer andon_0123456789abcdef_" + "x" * 43}
    statuses = [attacker.get("/api/v1/auth/me", headers=wrong).status_code for _ in range(7)]
    assert statuses == [401] * 5 + [429] * 2
    limited = attacker.get("/api/v1/auth/me", headers=wrong)
    assert limited.json()["code"] == "auth.rate_limited"
    assert int(limited.headers["retry-after"]) > 0
    assert other.get("/api/v1/auth/me", headers=env.headers("viewer-lyon")).status_code == 200
