"""The API's behaviour: site isolation, pagination, sessions, rate limits, bad input."""

from __future__ import annotations

import pytest

from andon.decisions import AuditLog, Status
from andon.proposals import Proposal
from api.api_helpers import HOUR, PASSWORD, Env, proposal

JSON = {"content-type": "application/json"}
LYON = "acme/lyon/machining/m1/milling/mill1"
BRNO = "acme/brno/machining/m1/lathe/lathe1"


def _problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["detail"]
    if code is not None:
        assert body["code"] == code
    return body


def test_approve_reject_execute_and_outcome_through_the_api(env: Env) -> None:
    record = env.propose(LYON)
    h_op, h_eng = env.headers("operator-lyon"), env.headers("engineer-lyon")
    approved = env.client.post(
        f"/api/v1/decisions/{record.id}/approve", json={"reason": "go"}, headers=h_op
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == "operator-lyon"
    executed = env.client.post(f"/api/v1/decisions/{record.id}/execute", headers=h_op)
    assert executed.json()["status"] == "executed"
    outcome = env.client.post(
        f"/api/v1/decisions/{record.id}/outcome",
        json={"realised_value": 800.0, "success": True, "detail": {"failure_avoided": True}},
        headers=h_eng,
    )
    assert outcome.status_code == 200
    assert outcome.json()["outcome"]["realised_value"] == 800.0
    summary = env.client.get("/api/v1/decisions/summary", headers=h_op).json()
    assert summary[0]["app"] == "maintenance"
    assert summary[0]["with_outcome"] == 1
    other = env.propose("acme/lyon/x/y")
    rejected = env.client.post(
        f"/api/v1/decisions/{other.id}/reject", json={"reason": "no crew"}, headers=h_op
    )
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["reason"] == "no crew"
    assert env.client.get("/api/v1/audit/verify", headers=env.headers("root")).json()["ok"]


def test_a_user_never_sees_or_acts_on_another_site(env: Env) -> None:
    lyon, brno = env.propose(LYON), env.propose(BRNO)
    head = AuditLog(store=env.store).head()
    h = env.headers("admin-lyon")
    ids = {d["id"] for d in env.client.get("/api/v1/decisions", headers=h).json()["items"]}
    assert lyon.id in ids
    assert brno.id not in ids
    assert env.client.get("/api/v1/decisions?path=acme/brno", headers=h).json()["items"] == []
    _problem(env.client.get(f"/api/v1/decisions/{brno.id}", headers=h), 404, "decision.not_found")
    _problem(env.client.post(f"/api/v1/decisions/{brno.id}/approve", json={}, headers=h), 404)
    assert env.decisions.get(brno.id).status is Status.PROPOSED
    assert AuditLog(store=env.store).head() == head
    sites = [s["path"] for s in env.client.get("/api/v1/model", headers=h).json()["sites"]]
    assert sites == ["acme/lyon"]
    equipment = env.client.get("/api/v1/model/equipment", headers=h).json()
    assert equipment
    assert all(e["path"].startswith("acme/lyon/") for e in equipment)
    _problem(env.client.get("/api/v1/records/state?path=acme/brno", headers=h), 403, "auth.site")
    audit = env.client.get("/api/v1/audit", headers=h).json()["items"]
    assert audit
    assert {e["site"] for e in audit} == {"acme/lyon"}
    users = {u["username"] for u in env.client.get("/api/v1/users", headers=h).json()}
    assert "admin-brno" not in users
    assert "root" not in users
    _problem(env.client.get("/api/v1/users/admin-brno", headers=h), 404)


def test_a_token_narrowed_to_a_site_is_refused_elsewhere(env: Env) -> None:
    env.users.change("engineer-lyon", sites=["acme/lyon", "acme/brno"], actor="test")
    narrow = env.users.issue_token("engineer-lyon", name="lyon", actor="t", sites=["acme/lyon"])
    brno = env.propose(BRNO)
    h = {"Authorization": f"Bearer {narrow.secret}"}
    _problem(env.client.post(f"/api/v1/decisions/{brno.id}/approve", json={}, headers=h), 404)
    assert env.decisions.get(brno.id).status is Status.PROPOSED
    made = env.client.post("/api/v1/auth/tokens", json={"name": "wider"}, headers=h).json()
    assert made["sites"] == ["acme/lyon"]  # a token made with a token never widens it


def test_cursor_pagination_walks_every_decision_once(env: Env) -> None:
    made = {env.propose(f"acme/lyon/a/l/c/e{i}").id for i in range(23)}
    h = env.headers("viewer-lyon")
    seen: list[str] = []
    cursor = None
    while True:
        url = "/api/v1/decisions?limit=5&path=acme/lyon/a" + (f"&cursor={cursor}" if cursor else "")
        page = env.client.get(url, headers=h).json()
        seen.extend(d["id"] for d in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 23
    assert set(seen) == made
    assert (
        env.client.get("/api/v1/decisions?status=approved&path=acme/lyon/a", headers=h).json()[
            "items"
        ]
        == []
    )


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "code"),
    [
        ("POST", "/approve", {"content": b"{not json", "headers": JSON}, "request.invalid"),
        ("POST", "/reject", {"json": {"reason": 42}}, "request.invalid"),
        ("POST", "/reject", {"json": {"reason": "x", "extra": 1}}, "request.invalid"),
        ("POST", "/reject", {"json": {"reason": ""}}, "request.invalid"),
        ("POST", "/outcome", {"json": {"realised_value": "lots"}}, "request.invalid"),
        ("POST", "/outcome", {"json": {"measured_at": "2030-01-01T00:00:00"}}, "request.invalid"),
        ("GET", "", {"params": {"limit": 100_000}}, "request.invalid"),
        ("GET", "", {"params": {"limit": 501}}, "request.invalid"),
        ("GET", "", {"params": {"cursor": "garbage"}}, "cursor.invalid"),
        ("GET", "", {"params": {"status": "maybe"}}, "request.invalid"),
        ("GET", "", {"params": {"since": "yesterday"}}, "request.invalid"),
        ("GET", "", {"params": {"since": "2025-01-02T00:00Z", "until": "2025-01-01T00:00Z"}},
         "range.invalid"),
        ("GET", "", {"params": {"path": "acme/../x y"}}, "request.invalid"),
    ],
)  # fmt: skip
def test_bad_input_is_a_precise_problem_and_changes_nothing(
    env: Env, method: str, url: str, kwargs: dict, code: str
) -> None:
    record = env.propose(LYON)
    head = AuditLog(store=env.store).head()
    base = f"/api/v1/decisions/{record.id}" if url else "/api/v1/decisions"
    headers = {**env.headers("admin-lyon"), **kwargs.pop("headers", {})}
    response = env.client.request(method, base + url, headers=headers, **kwargs)
    body = _problem(response, 422, code)
    if code == "request.invalid":
        assert body["errors"]
        assert body["errors"][0]["loc"]
    assert AuditLog(store=env.store).head() == head
    assert env.decisions.get(record.id).version == 1


def test_approving_an_expired_decision_is_a_conflict_and_changes_nothing(env: Env) -> None:
    record = env.decisions.propose([_short()])[0]
    head = AuditLog(store=env.store).head()
    response = env.client.post(
        f"/api/v1/decisions/{record.id}/approve", json={}, headers=env.headers("operator-lyon")
    )
    _problem(response, 409, "decision.expired")
    assert env.decisions.get(record.id).status is Status.PROPOSED
    assert AuditLog(store=env.store).head() == head


def _short() -> Proposal:
    p = proposal(LYON)
    return Proposal(
        **{
            **{f: getattr(p, f) for f in Proposal.__slots__},
            "created_at": p.created_at - 2 * HOUR,
            "expires_at": p.created_at - HOUR,
        }
    )


def test_unknown_routes_and_methods_are_problems(env: Env) -> None:
    _problem(env.client.get("/api/v1/nothing", headers=env.headers("root")), 404, "route.not_found")
    refused = env.client.delete("/api/v1/decisions", headers=env.headers("root"))
    _problem(refused, 405, "method.not_allowed")
    assert refused.headers["allow"] == "GET"  # RFC 9110 15.5.6: the methods the route takes
    # A path that several routes serve names the methods of all of them.
    both = env.client.delete("/api/v1/users", headers=env.headers("root"))
    assert _problem(both, 405, "method.not_allowed")["detail"].endswith("allowed: GET, POST")
    assert both.headers["allow"] == "GET, POST"
    assert env.client.put("/api/v1/users/root", headers=env.headers("root")).headers["allow"] == (
        "GET, PATCH"
    )


def test_adding_a_user_twice_is_a_conflict_and_changes_nothing(env: Env) -> None:
    body = {"username": "twice", "role": "viewer", "sites": ["acme/lyon"]}
    headers = env.headers("root")
    assert env.client.post("/api/v1/users", json=body, headers=headers).status_code == 201
    again = {**body, "role": "admin"}
    _problem(env.client.post("/api/v1/users", json=again, headers=headers), 409, "user.exists")
    kept = env.client.get("/api/v1/users/twice", headers=headers)
    assert kept.json()["role"] == "viewer"


def test_browser_session_with_csrf(env: Env) -> None:
    client = env.client
    client.cookies.clear()
    login = client.post(
        "/api/v1/auth/login", json={"username": "operator-lyon", "password": PASSWORD}
    )
    assert login.status_code == 200
    assert "httponly" in login.headers.get_list("set-cookie")[0].lower()
    assert "samesite=strict" in login.headers.get_list("set-cookie")[0].lower()
    csrf = login.json()["csrf_token"]
    assert client.get("/api/v1/auth/me").json()["username"] == "operator-lyon"
    record = env.propose(LYON)
    _problem(client.post(f"/api/v1/decisions/{record.id}/approve", json={}), 403, "auth.csrf")
    ok = client.post(
        f"/api/v1/decisions/{record.id}/approve", json={}, headers={"X-CSRF-Token": csrf}
    )
    assert ok.status_code == 200
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.clear()
    _problem(client.get("/api/v1/auth/me"), 401)


def test_login_is_rate_limited(env: Env) -> None:
    for _ in range(5):
        _problem(
            env.client.post(
                "/api/v1/auth/login", json={"username": "viewer-brno", "password": "nope nope nope"}
            ),
            401,
        )
    limited = env.client.post(
        "/api/v1/auth/login", json={"username": "viewer-brno", "password": PASSWORD}
    )
    _problem(limited, 429, "auth.rate_limited")
    assert int(limited.headers["retry-after"]) > 0


def test_health_is_public_and_discloses_nothing(env: Env) -> None:
    env.client.cookies.clear()
    response = env.client.get("/api/v1/health")
    assert response.status_code == 200
    assert set(response.json()) == {"status", "version"}


def test_admin_manages_users_and_policy(env: Env) -> None:
    h = env.headers("root")
    made = env.client.post(
        "/api/v1/users",
        json={"username": "zoe", "role": "operator", "sites": ["acme/lyon"], "password": PASSWORD},
        headers=h,
    )
    assert made.status_code == 201
    assert "password" not in made.json()
    _problem(
        env.client.post(
            "/api/v1/users",
            json={"username": "zoe", "role": "operator", "sites": ["acme/lyon"]},
            headers=h,
        ),
        409,
        "user.exists",
    )
    _problem(
        env.client.post(
            "/api/v1/users",
            json={"username": "x", "role": "god", "sites": ["acme/lyon"]},
            headers=h,
        ),
        422,
    )
    policy = {
        "rules": [{"name": "big", "role": "engineer", "min_value": 5000}],
        "shadow": [{"app": "energy", "site": "acme/lyon"}],
    }
    put = env.client.put("/api/v1/policy", json=policy, headers=h)
    assert put.status_code == 200
    assert put.json()["rules"][0]["role"] == "engineer"
    big = env.propose(LYON, value=9000.0)
    _problem(
        env.client.post(
            f"/api/v1/decisions/{big.id}/approve", json={}, headers=env.headers("operator-lyon")
        ),
        403,
        "auth.forbidden",
    )
    assert (
        env.client.post(
            f"/api/v1/decisions/{big.id}/approve", json={}, headers=env.headers("engineer-lyon")
        ).status_code
        == 200
    )
    _problem(
        env.client.put(
            "/api/v1/policy", json={"rules": [{"name": "x", "role": "admin"}]}, headers=h
        ),
        422,
    )


def test_kpis_are_scoped_to_the_callers_sites(env: Env) -> None:
    h = env.headers("viewer-lyon")
    page = env.client.get(
        "/api/v1/kpis",
        params={"grain": "site", "since": "2026-01-01T00:00Z", "until": "2026-01-03T00:00Z"},
        headers=h,
    ).json()
    assert {row["path"] for row in page["items"]} == {"acme/lyon"}
    assert "oee" in page["items"][0]["kpis"]
    _problem(env.client.get("/api/v1/kpis?path=acme/brno", headers=h), 403, "auth.site")
    _problem(
        env.client.get(
            "/api/v1/kpis",
            params={"since": "2024-01-01T00:00Z", "until": "2026-01-01T00:00Z"},
            headers=h,
        ),
        422,
        "range.too_long",
    )
