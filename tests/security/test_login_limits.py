"""Logins back off per address, on the console's form as on the API, with one count.

Five wrong passwords for a user from one address refuse further logins of that user from
that address (without checking the password), never from another: nobody locks the real
user out by failing on purpose. The console and the API share the count, so an address
gets no more attempts by alternating between them.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from andon.api import ApiSettings
from andon.decisions import PasswordPolicy, Role, UserService, ensure_schema
from andon.model import Model
from andon.store import DuckDBStore
from andon.web._server import build_app

PASSWORD = "correct horse battery staple"
ATTACKER = ("203.0.113.9", 40000)
USER = ("198.51.100.7", 40001)


def _served(model: Model) -> object:
    store = DuckDBStore(None)
    ensure_schema(store)
    users = UserService(store=store, passwords=PasswordPolicy(memory_kib=1024, time_cost=1))
    users.add("ana", role=Role.OPERATOR, sites=["acme/lyon"], password=PASSWORD, actor="test")
    settings = ApiSettings(password_memory_kib=1024, login_max_failures=5)
    return build_app(store=store, model=model, users=users, api_settings=settings).app


def _console_login(client: TestClient, password: str) -> int:
    answer = client.post(
        "/login", data={"username": "ana", "password": password}, follow_redirects=False
    )
    return answer.status_code


def test_failures_from_one_address_do_not_lock_the_user_out_elsewhere(
    example_model: Model,
) -> None:
    app = _served(example_model)
    attacker = TestClient(app, client=ATTACKER)
    for _ in range(5):
        assert _console_login(attacker, "wrong") == 401
    refused = attacker.post("/login", data={"username": "ana", "password": PASSWORD})
    assert refused.status_code == 401
    assert "Too many login attempts from this address" in refused.text
    # The right password from the user's own address still opens a session.
    assert _console_login(TestClient(app, client=USER), PASSWORD) == 303


def test_the_console_and_the_api_share_one_count(example_model: Model) -> None:
    app = _served(example_model)
    attacker = TestClient(app, client=ATTACKER)
    for _ in range(3):
        assert _console_login(attacker, "wrong") == 401
    for _ in range(2):
        wrong = {"username": "ana", "password": "wrong"}
        assert attacker.post("/api/v1/auth/login", json=wrong).status_code == 401
    right = {"username": "ana", "password": PASSWORD}
    throttled = attacker.post("/api/v1/auth/login", json=right)
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert _console_login(attacker, PASSWORD) == 401


def test_a_user_name_in_other_case_or_spacing_counts_as_the_same(example_model: Model) -> None:
    app = _served(example_model)
    attacker = TestClient(app, client=ATTACKER)
    for name in ("ana", "ANA", " Ana", "ana ", "aNa"):
        attacker.post("/login", data={"username": name, "password": "wrong"})
    assert _console_login(attacker, PASSWORD) == 401
