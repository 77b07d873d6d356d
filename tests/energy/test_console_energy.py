"""The console's energy page over a simulated week of the conformance plant: charts drawn on
the server, energy by machine and state, the waste list and the baselines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from andon.api import ApiSettings
from andon.apps.energy import EnergyApp
from andon.decisions import PasswordPolicy, Role, UserService
from andon.decisions._schema import ensure_schema
from andon.model import Model
from andon.sim import simulate
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore
from andon.web._server import build_app

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def client(plant: Model) -> Iterator[TestClient]:
    store = DuckDBStore(None)
    result = simulate(plant, days=8, seed=2, sink=PipelineSink.into(store, model=plant))
    EnergyApp().fit(store, plant, until=result.end_us)
    ensure_schema(store)
    users = UserService(
        store=store, passwords=PasswordPolicy(memory_kib=1024, time_cost=1, parallelism=1)
    )
    users.add("em", role=Role.VIEWER, sites=("*",), password=PASSWORD, actor="test")
    users.add("far", role=Role.VIEWER, sites=("conf/elsewhere",), password=PASSWORD, actor="t")
    server = build_app(
        store=store,
        model=plant,
        users=users,
        clock=lambda: result.end_us,
        api_settings=ApiSettings(password_memory_kib=1024),
    )
    with TestClient(server.app, headers={"accept": "text/html"}) as http:
        yield http
    store.close()


def _login(client: TestClient, username: str) -> None:
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "next": "/energy"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def test_the_energy_page_shows_hours_machines_waste_and_baselines(client: TestClient) -> None:
    _login(client, "em")
    page = client.get("/energy", params={"days": 7})
    assert page.status_code == 200, page.text
    text = page.text
    assert text.count('class="series"') >= 3  # energy, price and carbon by hour
    assert "press1" in text
    assert "switch off idle after" in text
    assert "conf/s1/main_meter" in text
    assert ("meets" in text) or ("fails" in text)
    assert "cdn" not in text.lower()
    assert 'href="/energy"' in text


def test_a_user_of_another_site_sees_no_energy(client: TestClient) -> None:
    _login(client, "far")
    page = client.get("/energy")
    assert page.status_code == 200, page.text
    assert "press1" not in page.text
    assert "No waste found" in page.text
