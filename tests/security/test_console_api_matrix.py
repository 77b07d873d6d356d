"""The console and the API give every role at every site the same answer.

For each role, scoped to Lyon, and for a Lyon and a Brno decision and machine: reading a
decision, opening a machine's page and approving a decision are allowed on the console
exactly when the API allows the same call; what is refused changes nothing, and no page
refused to a scoped user names the other site's paths.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from andon.api import ApiSettings
from andon.decisions import DecisionService, PasswordPolicy, Role, UserService, ensure_schema
from andon.model import Model
from andon.store import DuckDBStore
from andon.web._server import ConsoleServer, build_app
from andon.web._session import COOKIE, csrf_token
from api.api_helpers import proposal

PASSWORD = "correct horse battery staple"
MACHINES = {
    "lyon": "acme/lyon/machining/m1/milling/mill1",
    "brno": "acme/brno/machining/m1/turning/lathe1",
}


@pytest.fixture(scope="module")
def served(example_model: Model) -> tuple[ConsoleServer, DecisionService, UserService]:
    assert all(path in example_model.equipment for path in MACHINES.values())
    store = DuckDBStore(None)
    ensure_schema(store)
    users = UserService(store=store, passwords=PasswordPolicy(memory_kib=1024, time_cost=1))
    for role in Role:
        users.add(
            f"{role.value}-lyon", role=role, sites=["acme/lyon"], password=PASSWORD, actor="t"
        )
    decisions = DecisionService(store=store)
    server = build_app(
        store=store,
        model=example_model,
        decisions=decisions,
        users=users,
        api_settings=ApiSettings(password_memory_kib=1024),
    )
    return server, decisions, users


def _console(server: ConsoleServer, username: str) -> tuple[TestClient, str]:
    client = TestClient(server.app)
    answer = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return client, answer.cookies[COOKIE]


def _api(users: UserService, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {users.issue_token(username, name='m', actor='t').secret}"}


def _names_brno(text: str) -> bool:
    return bool(re.search(r"acme/brno|brno/machining", text))


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("site", sorted(MACHINES))
def test_reading_a_decision_and_a_machine_page_agree_with_the_api(
    served: tuple[ConsoleServer, DecisionService, UserService], role: Role, site: str
) -> None:
    server, decisions, users = served
    machine = MACHINES[site]
    [record] = decisions.propose([proposal(machine)])
    username = f"{role.value}-lyon"
    console, _ = _console(server, username)
    api = TestClient(server.app)
    headers = _api(users, username)
    console_sees = console.get(f"/decisions/{record.id}").status_code == 200
    api_sees = api.get(f"/api/v1/decisions/{record.id}", headers=headers).status_code == 200
    assert console_sees == api_sees == (site == "lyon")
    page = console.get(f"/plant/{machine}")
    assert (page.status_code == 200) == (site == "lyon")
    if site == "brno":
        # Refused as an address that does not exist is: the same page but for the path
        # the user typed, so nothing tells an existing machine from a made-up one.
        assert page.status_code == 404
        ghost = machine.rsplit("/", 1)[0] + "/no-such-machine"
        made_up = console.get(f"/plant/{ghost}")
        assert made_up.status_code == 404
        assert page.text.replace(machine, ghost) == made_up.text
        refused = console.get(f"/decisions/{record.id}")
        assert not _names_brno(refused.text), "a refused decision page names the other site"


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("site", sorted(MACHINES))
def test_approving_agrees_with_the_api_and_a_refusal_changes_nothing(
    served: tuple[ConsoleServer, DecisionService, UserService], role: Role, site: str
) -> None:
    server, decisions, users = served
    machine = MACHINES[site]
    username = f"{role.value}-lyon"
    by_console, by_api = decisions.propose(
        [proposal(machine, app="maintenance"), proposal(machine, app="energy")]
    )
    console, secret = _console(server, username)
    form = {"csrf": csrf_token(secret), "form": server.console.forms.new(), "reason": "ok"}
    console.post(f"/inbox/{by_console.id}/approve", data=form, follow_redirects=False)
    api = TestClient(server.app)
    api.post(f"/api/v1/decisions/{by_api.id}/approve", json={}, headers=_api(users, username))
    console_done = decisions.get(by_console.id).status.value == "approved"
    api_done = decisions.get(by_api.id).status.value == "approved"
    assert console_done == api_done, (role, site, console_done, api_done)
    may = site == "lyon" and role.rank >= by_console.required_role.rank
    assert console_done == may
