"""``GET /api/v1/passports/{serial}``: open for the public part, more by role and site."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from andon.api import ApiSettings, create_app
from andon.decisions import PasswordPolicy, Role, UserService, ensure_schema
from andon.model import Model
from andon.passport import passports
from andon.sim.sinks import MemorySink
from andon.store import DuckDBStore
from conftest import END, fill

FAST = PasswordPolicy(memory_kib=1024, time_cost=1, parallelism=1)
SITE = "nordcell/skelleftea"


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]
    serial: str

    def get(self, who: str | None = None, **params: str):  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.get(f"/api/v1/passports/{self.serial}", params=params, headers=headers)


@pytest.fixture(scope="module")
def api(battery_sink: MemorySink, battery_model: Model) -> Api:
    store = fill(DuckDBStore(None), battery_sink)
    ensure_schema(store)
    users = UserService(store=store, passwords=FAST)
    tokens = {}
    for role in Role:
        users.add(role.value, role=role, sites=[SITE], password="x" * 20, actor="test")
        tokens[role.value] = users.issue_token(role.value, name="t", actor="test").secret
    users.add(
        "admin-elsewhere", role=Role.ADMIN, sites=["nordcell/oslo"], password="x" * 20, actor="t"
    )
    tokens["admin-elsewhere"] = users.issue_token("admin-elsewhere", name="t", actor="t").secret
    app = create_app(
        store=store, model=battery_model, settings=ApiSettings(password_memory_kib=1024)
    )
    serial = passports(store, battery_model, start=0, end=END)[7].serial
    return Api(client=TestClient(app), tokens=tokens, serial=serial)


def test_anyone_reads_the_public_part_without_credentials(api: Api) -> None:
    answer = api.get()
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["accessLevel"] == "public"
    assert body["serial"] == api.serial
    assert body["url"].endswith("/api/v1/passports/" + api.serial)
    assert "Performance" in body["withheld"]


@pytest.mark.parametrize(
    ("who", "level"),
    [
        ("viewer", "public"),
        ("operator", "legitimate_interest"),
        ("engineer", "legitimate_interest"),
        ("admin", "authorities"),
        ("admin-elsewhere", "public"),
    ],
)
def test_each_role_reads_at_its_annex_xiii_level(api: Api, who: str, level: str) -> None:
    answer = api.get(who)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["accessLevel"] == level
    assert ("manufacturing" in body) == (level == "authorities")
    assert ("Circularity" in body["aspects"]) == (level != "public")


def test_a_lower_level_may_be_asked_a_higher_one_is_refused(api: Api) -> None:
    lower = api.get("admin", level="public")
    assert lower.status_code == 200
    assert lower.json()["accessLevel"] == "public"
    higher = api.get("operator", level="authorities")
    assert higher.status_code == 403
    assert higher.json()["code"] == "auth.role"
    assert api.get(None, level="legitimate_interest").status_code == 403


def test_a_bad_token_is_refused_not_read_as_public(api: Api) -> None:
    answer = api.client.get(
        f"/api/v1/passports/{api.serial}",
        headers={"Authorization": "Bearer andon_0123456789abcdef_" + "x" * 43},
    )
    assert answer.status_code == 401


def test_the_shell_unknown_and_malformed_serials(api: Api) -> None:
    shell = api.get(format="aas")
    assert shell.status_code == 200
    names = [s["idShort"] for s in shell.json()["submodels"]]
    assert names == ["Nameplate", "CarbonFootprint"]
    assert api.get(format="xml").status_code == 422
    unknown = api.client.get("/api/v1/passports/SN-404")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "passport.unknown"
    long = api.client.get("/api/v1/passports/" + "x" * 300)
    assert long.status_code == 422
    assert long.json()["code"] == "passport.invalid"
