"""The console page of a passport: open at the public level, more after logging in."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from andon.errors import AuthError
from andon.model import Model
from andon.passport import passports
from andon.sim.sinks import MemorySink
from andon.store import DuckDBStore
from andon.web import ConsoleSettings, install_console
from conftest import END, fill


@dataclass(frozen=True)
class _User:
    username: str
    role: str
    sites: tuple[str, ...]

    def can_see(self, path: str | None) -> bool:
        return path is not None and "/".join(path.split("/")[:2]) in self.sites


class _Sessions:
    def __init__(self) -> None:
        self.users = {
            "ana": ("ana-password", "admin", ("nordcell/skelleftea",)),
            "olle": ("olle-password", "operator", ("nordcell/skelleftea",)),
        }
        self.live: dict[str, str] = {}

    def start(self, username: str, password: str, request: object) -> str:
        if self.users.get(username, ("",))[0] != password:
            raise AuthError("unknown user or wrong password")
        secret = f"s-{username}"
        self.live[secret] = username
        return secret

    def principal(self, secret: str) -> _User:
        if secret not in self.live:
            raise AuthError("session expired")
        _, role, sites = self.users[self.live[secret]]
        return _User(self.live[secret], role, sites)

    def end(self, secret: str) -> None:
        self.live.pop(secret, None)


@pytest.fixture(scope="module")
def site(battery_sink: MemorySink, battery_model: Model) -> tuple[TestClient, str, str]:
    store = fill(DuckDBStore(None), battery_sink)
    app = FastAPI()
    install_console(
        app, store=store, model=battery_model, sessions=_Sessions(), settings=ConsoleSettings()
    )
    made = passports(store, battery_model, start=0, end=END)
    failed = next((p.serial for p in made if not p.passed), made[1].serial)
    return TestClient(app, headers={"accept": "text/html"}), made[0].serial, failed


def _login(client: TestClient, user: str) -> None:
    answer = client.post(
        "/login",
        data={"username": user, "password": f"{user}-password", "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def test_the_public_sees_the_public_part_only(site: tuple[TestClient, str, str]) -> None:
    client, serial, _ = site
    client.cookies.clear()
    page = client.get(f"/passports/{serial}")
    assert page.status_code == 200, page.text
    assert serial in page.text
    assert "public</strong> level" in page.text
    assert "Nordcell Modules AB" in page.text
    assert "Lithium" in page.text
    assert "Aluminium" not in page.text  # not a critical raw material: legitimate interest
    assert "Measurements and tests" not in page.text
    assert "Withheld at this level: Circularity, Performance, Labels." in page.text


def test_an_admin_of_the_site_sees_the_tests_and_an_operator_the_lots(
    site: tuple[TestClient, str, str],
) -> None:
    client, serial, failed = site
    client.cookies.clear()
    _login(client, "olle")
    operator = client.get(f"/passports/{serial}")
    assert "legitimate interest</strong> level" in operator.text
    assert "Boreal Cells Oy" in operator.text
    assert "Aluminium" in operator.text
    assert "Measurements and tests" not in operator.text
    client.cookies.clear()
    _login(client, "ana")
    admin = client.get(f"/passports/{failed}")
    assert "authorities</strong> level" in admin.text
    assert "cell_capacity" in admin.text
    as_public = client.get(f"/passports/{failed}", params={"level": "public"})
    assert "public</strong> level" in as_public.text


def test_an_unknown_serial_is_a_clear_page(site: tuple[TestClient, str, str]) -> None:
    client, _, _ = site
    page = client.get("/passports/SN-404")
    assert page.status_code == 404
    assert "passport.unknown" in page.text
