"""Every GET route of the served app (console pages and API) against every role, from the
app's own rule table: a role below a route's rule is refused (403), one at or above it is
not. A new route is covered as soon as it has a rule."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from andon.api import ApiSettings, route_rules
from andon.decisions import PasswordPolicy, Role, UserService, ensure_schema
from andon.model import Model
from andon.store import DuckDBStore
from andon.web._server import build_app

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def served(example_model: Model) -> tuple[TestClient, dict[tuple[str, str], object]]:
    store = DuckDBStore(None)
    ensure_schema(store)
    users = UserService(store=store, passwords=PasswordPolicy(memory_kib=1024, time_cost=1))
    for role in Role:
        # every site: this matrix judges roles (site scopes have tests of their own)
        users.add(role.value, role=role, sites=["*"], password=PASSWORD, actor="test")
    server = build_app(
        store=store,
        model=example_model,
        users=users,
        api_settings=ApiSettings(password_memory_kib=1024),
    )
    return TestClient(server.app), dict(route_rules(server.app))


def _plain_gets(rules: dict[tuple[str, str], object]) -> list[tuple[str, object]]:
    return sorted(
        (path, rule)
        for (method, path), rule in rules.items()
        if method == "GET" and "{" not in path and isinstance(rule, Role)
    )


@pytest.mark.parametrize("role", list(Role))
def test_every_get_route_refuses_a_role_below_its_rule(
    served: tuple[TestClient, dict[tuple[str, str], object]], role: Role
) -> None:
    client, rules = served
    client.cookies.clear()
    login = client.post("/api/v1/auth/login", json={"username": role.value, "password": PASSWORD})
    assert login.status_code == 200
    wrong = []
    for path, rule in _plain_gets(rules):
        assert isinstance(rule, Role)
        answer = client.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
        refused = answer.status_code in {403, 404}
        if refused != (role.rank < rule.rank):
            wrong.append((path, rule.value, answer.status_code))
    assert not wrong, wrong


def test_a_viewer_gets_403_on_the_audit_page_as_on_the_audit_api(
    served: tuple[TestClient, dict[tuple[str, str], object]],
) -> None:
    client, _rules = served
    client.cookies.clear()
    client.post("/api/v1/auth/login", json={"username": "viewer", "password": PASSWORD})
    assert client.get("/api/v1/audit").status_code == 403
    assert client.get("/audit", headers={"Accept": "text/html"}).status_code == 403
