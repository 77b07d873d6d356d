"""A Data Act grant token reaches its grant and nothing else, over every route and scope.

Every route of the served app (API and console, from the app's own route table) is called
with a grant token: only the ``/api/v1/data-act`` routes answer; public routes answer anyone
and are left out. On the data-act routes, each scope is tried: the grant's own equipment,
kinds and range answer 200; another machine, another kind or a range outside are 403
``grant.out_of_scope``; a revoked or expired grant 403, an unknown token 401, a user's token
403 ``auth.grant_only``. Every read is an entry of the audit chain. Both stores.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from _services import POSTGRES_URL, require_service
from andon.api import PUBLIC, ApiSettings, route_rules
from andon.decisions import AuditLog, PasswordPolicy, Role, UserService, ensure_schema
from andon.model import Model
from andon.records import RecordKind, samples
from andon.store import DuckDBStore, PostgresStore, Store
from andon.trace.data_act import grant, issue_token, revoke
from andon.web._server import build_app

MILL = "acme/lyon/machining/m1/milling/mill1"
LATHE = "acme/brno/machining/m1/turning/lathe1"
H = 3_600_000_000
NOW = time.time_ns() // 1000
START, END = NOW - 10 * H, NOW - 2 * H

SAMPLE_VALUES = {
    "kind": "sample",
    "id": "SN-NONE",
    "decision_id": "d-none",
    "token_id": "0123456789abcdef",
    "username": "admin",
    "path": MILL,
}


def _grant_token(
    store: Store, model: Model, *, expires_us: int, at_us: int, revoked: bool = False
) -> str:
    made = grant(
        store,
        model,
        recipient="ana",
        paths=[MILL],
        kinds=["sample", "state"],
        start_us=START,
        end_us=END,
        expires_us=expires_us,
        actor="ana",
        now_us=at_us,
    )
    token = issue_token(store, made.grant_id, actor="ana", now_us=at_us).secret
    if revoked:
        revoke(store, made.grant_id, actor="ana", now_us=at_us + 1)
    return token


def _served(store: Store, model: Model) -> tuple[TestClient, dict[str, str], Any]:
    ensure_schema(store)
    users = UserService(store=store, passwords=PasswordPolicy(memory_kib=1024, time_cost=1))
    users.add("admin", role=Role.ADMIN, sites=["*"], password=None, actor="t")
    server = build_app(
        store=store, model=model, users=users, api_settings=ApiSettings(password_memory_kib=1024)
    )
    ts = [START + i * 60_000_000 for i in range(5)]
    store.write(
        RecordKind.SAMPLE,
        samples(
            ts=[*ts, ts[0]],
            path=[*[f"{MILL}/spindle_vibration"] * 5, f"{LATHE}/spindle_vibration"],
            value=[1.0, 2, 3, 4, 5, 6],
        ),
    )
    tokens = {
        "grant": _grant_token(store, model, expires_us=NOW + 10 * H, at_us=START),
        "expired": _grant_token(store, model, expires_us=START + 5, at_us=START + 1),
        "revoked": _grant_token(
            store, model, expires_us=NOW + 10 * H, at_us=START + 2, revoked=True
        ),
        "unknown": "andon_grant_0123456789abcdef_" + "x" * 43,
        "user": users.issue_token("admin", name="t", actor="t").secret,
    }
    return TestClient(server.app), tokens, server.app


@pytest.fixture(scope="module")
def duck(example_model: Model) -> tuple[TestClient, dict[str, str], Any]:
    return _served(DuckDBStore(None), example_model)


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def each_store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """One store of each kind for the whole scope table (no row changes what others see)."""
    if request.param == "duckdb":
        yield DuckDBStore(None)
        return
    require_service("PostgreSQL", POSTGRES_URL)
    store = PostgresStore(POSTGRES_URL, schema=f"t_{uuid.uuid4().hex}")
    try:
        yield store
    finally:
        store.drop_schema()


@pytest.fixture(scope="module")
def served(
    each_store: Store, example_model: Model
) -> tuple[Store, TestClient, dict[str, str], Any]:
    return (each_store, *_served(each_store, example_model))


def _url(path: str) -> str:
    for name, value in SAMPLE_VALUES.items():
        path = path.replace("{" + name + "}", value).replace("{" + name + ":path}", value)
    return path


def test_a_grant_token_reaches_no_route_but_the_data_act_ones(
    duck: tuple[TestClient, dict[str, str], Any],
) -> None:
    client, tokens, app = duck
    rules = route_rules(app)
    called, wrong = 0, []
    for method, path in sorted(rules):  # the app refuses to start with a route not in it
        if rules[method, path] == PUBLIC:
            continue  # answers anyone, with a token or without
        client.cookies.clear()
        answer = client.request(
            method,
            _url(path),
            headers={"Authorization": f"Bearer {tokens['grant']}", "Accept": "text/html"},
            follow_redirects=False,
            json={} if method in {"POST", "PUT", "PATCH"} else None,
        )
        called += 1
        mine = path.startswith("/api/v1/data-act/")
        if mine != (answer.status_code == 200):
            wrong.append((method, path, answer.status_code))
        if not mine and path.startswith("/api/") and answer.status_code == 403:
            assert answer.json()["code"] == "auth.grant_scope"
    assert called > 20  # the whole app, not a handful
    assert not wrong, wrong


OLD = {"since": "2000-01-01T00:00:00Z"}
LATE = {"until": "2100-01-01T00:00:00Z"}
SCOPES: list[tuple[str, str, dict[str, str], int, str | None]] = [
    ("grant", "/api/v1/data-act/grant", {}, 200, None),
    ("grant", "/api/v1/data-act/records/sample", {}, 200, None),
    ("grant", "/api/v1/data-act/records/state", {"path": MILL}, 200, None),
    ("grant", "/api/v1/data-act/records/sample", {"path": LATHE}, 403, "grant.out_of_scope"),
    ("grant", "/api/v1/data-act/records/sample", {"path": "acme/lyon"}, 403, "grant.out_of_scope"),
    ("grant", "/api/v1/data-act/records/count", {}, 403, "grant.out_of_scope"),
    ("grant", "/api/v1/data-act/records/genealogy", {}, 403, "grant.out_of_scope"),
    ("grant", "/api/v1/data-act/records/sample", OLD, 403, "grant.out_of_scope"),
    ("grant", "/api/v1/data-act/records/sample", LATE, 403, "grant.out_of_scope"),
    ("expired", "/api/v1/data-act/grant", {}, 403, "grant.expired"),
    ("expired", "/api/v1/data-act/records/sample", {}, 403, "grant.expired"),
    ("revoked", "/api/v1/data-act/grant", {}, 403, "grant.revoked"),
    ("revoked", "/api/v1/data-act/records/sample", {}, 403, "grant.revoked"),
    ("unknown", "/api/v1/data-act/records/sample", {}, 401, "grant.unknown_token"),
    ("user", "/api/v1/data-act/grant", {}, 403, "auth.grant_only"),
    ("user", "/api/v1/data-act/records/sample", {}, 403, "auth.grant_only"),
    ("none", "/api/v1/data-act/records/sample", {}, 401, "auth.not_authenticated"),
]  # fmt: skip


@pytest.mark.parametrize(("who", "url", "query", "status", "code"), SCOPES)
def test_each_scope_on_each_data_act_route(
    served: tuple[Store, TestClient, dict[str, str], Any],
    who: str,
    url: str,
    query: dict[str, str],
    status: int,
    code: str | None,
) -> None:
    store, client, tokens, _app = served
    headers = {} if who == "none" else {"Authorization": f"Bearer {tokens[who]}"}
    before = Counter(e.action for e in AuditLog(store=store).entries())
    answer = client.get(url, params=query, headers=headers)
    assert answer.status_code == status, answer.text
    if code is not None:
        assert answer.json()["code"] == code
    added = Counter(e.action for e in AuditLog(store=store).entries()) - before
    if status == 200:
        assert added == Counter({"data_act.access": 1})
    elif who in {"expired", "revoked"} or code == "grant.out_of_scope":
        assert added == Counter({"data_act.access_refused": 1})
    else:
        assert not added
    assert AuditLog(store=store).verify().ok


def test_a_grant_reads_its_records_page_by_page_without_others(
    served: tuple[Store, TestClient, dict[str, str], Any],
) -> None:
    _store, client, tokens, _app = served
    headers = {"Authorization": f"Bearer {tokens['grant']}"}
    values: list[float] = []
    params: dict[str, Any] = {"limit": 2}
    for _ in range(5):
        page = client.get("/api/v1/data-act/records/sample", params=params, headers=headers).json()
        assert {item["path"] for item in page["items"]} <= {f"{MILL}/spindle_vibration"}
        values.extend(item["value"] for item in page["items"])
        if page["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": page["next_cursor"]}
    assert values == [1.0, 2.0, 3.0, 4.0, 5.0]
    about = client.get("/api/v1/data-act/grant", headers=headers).json()
    assert about["paths"] == [MILL]
    assert about["kinds"] == ["sample", "state"]
