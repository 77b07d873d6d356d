"""Authorisation for every route and every role, table-driven.

``CALLS`` must name every route of the app: a new route without an entry here fails
``test_every_route_is_in_the_table``, and one without a rule in the app fails at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from andon.api import PUBLIC, missing_rules, route_rules
from andon.decisions import Role
from andon.model import load_model
from andon.store.base import Store
from api.api_helpers import PASSWORD, Env, build

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "discrete"
LYON = "acme/lyon/machining/m1/milling/mill1"


@pytest.fixture(scope="module")
def env(module_store: Store) -> Env:
    """One app per store for the whole table: every call makes what it acts on."""
    return build(module_store, load_model(EXAMPLES))


Call = Callable[[Env, str], tuple[str, dict[str, Any] | None]]


def _decision(env: Env, _who: str) -> str:
    return env.propose(LYON).id


CALLS: dict[tuple[str, str], Call] = {
    ("GET", "/api/v1/health"): lambda e, w: ("/api/v1/health", None),
    ("GET", "/api/v1/openapi.json"): lambda e, w: ("/api/v1/openapi.json", None),
    ("POST", "/api/v1/auth/login"): lambda e, w: (
        "/api/v1/auth/login", {"username": "viewer-lyon", "password": PASSWORD}
    ),
    ("POST", "/api/v1/auth/logout"): lambda e, w: ("/api/v1/auth/logout", None),
    ("GET", "/api/v1/auth/me"): lambda e, w: ("/api/v1/auth/me", None),
    ("GET", "/api/v1/auth/tokens"): lambda e, w: ("/api/v1/auth/tokens", None),
    ("POST", "/api/v1/auth/tokens"): lambda e, w: ("/api/v1/auth/tokens", {"name": "x"}),
    ("DELETE", "/api/v1/auth/tokens/{token_id}"): lambda e, w: (
        f"/api/v1/auth/tokens/{e.users.issue_token(w, name='d', actor='t').row.id}"
        if w else "/api/v1/auth/tokens/0123456789abcdef",
        None,
    ),
    ("GET", "/api/v1/decisions"): lambda e, w: ("/api/v1/decisions", None),
    ("GET", "/api/v1/decisions/summary"): lambda e, w: ("/api/v1/decisions/summary", None),
    ("GET", "/api/v1/decisions/{decision_id}"): lambda e, w: (
        f"/api/v1/decisions/{_decision(e, w)}", None
    ),
    ("POST", "/api/v1/decisions/{decision_id}/approve"): lambda e, w: (
        f"/api/v1/decisions/{_decision(e, w)}/approve", {}
    ),
    ("POST", "/api/v1/decisions/{decision_id}/reject"): lambda e, w: (
        f"/api/v1/decisions/{_decision(e, w)}/reject", {"reason": "not now"}
    ),
    ("POST", "/api/v1/decisions/{decision_id}/execute"): lambda e, w: (
        f"/api/v1/decisions/{_decision(e, w)}/execute", None
    ),
    ("POST", "/api/v1/decisions/{decision_id}/outcome"): lambda e, w: (
        f"/api/v1/decisions/{_decision(e, w)}/outcome", {"realised_value": 10.0}
    ),
    ("GET", "/api/v1/decisions/{decision_id}/execution"): lambda e, w: (
        f"/api/v1/decisions/{_decision(e, w)}/execution", None
    ),
    ("POST", "/api/v1/decisions/{decision_id}/retry"): lambda e, w: (
        f"/api/v1/decisions/{_decision(e, w)}/retry", None
    ),
    ("GET", "/api/v1/apps"): lambda e, w: ("/api/v1/apps", None),
    ("GET", "/api/v1/policy"): lambda e, w: ("/api/v1/policy", None),
    ("PUT", "/api/v1/policy"): lambda e, w: ("/api/v1/policy", {"rules": [], "shadow": []}),
    ("GET", "/api/v1/audit"): lambda e, w: ("/api/v1/audit", None),
    ("GET", "/api/v1/audit/verify"): lambda e, w: ("/api/v1/audit/verify", None),
    ("GET", "/api/v1/users"): lambda e, w: ("/api/v1/users", None),
    ("POST", "/api/v1/users"): lambda e, w: (
        "/api/v1/users", {"username": f"new-{w}", "role": "viewer", "sites": ["acme/lyon"]}
    ),
    ("GET", "/api/v1/users/{username}"): lambda e, w: ("/api/v1/users/viewer-lyon", None),
    ("PATCH", "/api/v1/users/{username}"): lambda e, w: (
        "/api/v1/users/viewer-lyon", {"active": True}
    ),
    ("GET", "/api/v1/users/{username}/tokens"): lambda e, w: (
        "/api/v1/users/viewer-lyon/tokens", None
    ),
    ("GET", "/api/v1/model"): lambda e, w: ("/api/v1/model", None),
    ("GET", "/api/v1/model/equipment"): lambda e, w: ("/api/v1/model/equipment", None),
    ("GET", "/api/v1/records/{kind}"): lambda e, w: ("/api/v1/records/state", None),
    ("GET", "/api/v1/kpis"): lambda e, w: ("/api/v1/kpis?grain=site", None),
    # an id no record names: the role is judged before the trace (404 past the rule)
    ("GET", "/api/v1/trace/{id}"): lambda e, w: ("/api/v1/trace/SN-NONE", None),
    ("GET", "/api/v1/trace/{id}/recall"): lambda e, w: ("/api/v1/trace/LOT-NONE/recall", None),
    # a grant route checks its own token: a user's token is refused (403), none is 401
    # another app's decision: the role is judged before the kind (422 past the rule)
    ("POST", "/api/v1/change/{decision_id}/outcome"): lambda e, w: (
        f"/api/v1/change/{_decision(e, w)}/outcome", None
    ),
    ("GET", "/api/v1/data-act/grant"): lambda e, w: ("/api/v1/data-act/grant", None),
    ("GET", "/api/v1/data-act/records/{kind}"): lambda e, w: (
        "/api/v1/data-act/records/sample", None
    ),
    ("GET", "/api/v1/energy/accounts"): lambda e, w: ("/api/v1/energy/accounts", None),
    ("GET", "/api/v1/energy/baselines"): lambda e, w: ("/api/v1/energy/baselines", None),
    ("GET", "/api/v1/energy/waste"): lambda e, w: ("/api/v1/energy/waste", None),
    ("POST", "/api/v1/energy/schedule"): lambda e, w: (
        "/api/v1/energy/schedule", {"site": "acme/lyon", "jobs": []}
    ),
    ("GET", "/api/v1/flow/graph"): lambda e, w: ("/api/v1/flow/graph", None),
    ("GET", "/api/v1/flow/delays"): lambda e, w: ("/api/v1/flow/delays", None),
    ("GET", "/api/v1/flow/bottleneck"): lambda e, w: ("/api/v1/flow/bottleneck", None),
    ("GET", "/api/v1/flow/ocel"): lambda e, w: ("/api/v1/flow/ocel?format=ocel-json", None),
    # public: a passport's QR code opens its public part without credentials
    ("GET", "/api/v1/passports/{serial}"): lambda e, w: ("/api/v1/passports/SN-NONE", None),
    ("GET", "/api/v1/quality/held"): lambda e, w: ("/api/v1/quality/held", None),
    ("GET", "/api/v1/quality/multivariate"): lambda e, w: (
        "/api/v1/quality/multivariate", None
    ),
    ("GET", "/api/v1/quality/spc"): lambda e, w: ("/api/v1/quality/spc", None),
    ("GET", "/api/v1/quality/units/{serial}"): lambda e, w: (
        "/api/v1/quality/units/SN-NONE", None
    ),
}  # fmt: skip

EVERY_SITE = frozenset({("GET", "/api/v1/flow/graph"), ("GET", "/api/v1/flow/ocel")})
"""Routes whose answer joins objects across sites: their roles are judged on users who see
every site, and a user scoped to one site is refused whatever the role."""


@pytest.mark.parametrize("key", sorted(EVERY_SITE), ids=lambda k: f"{k[0]} {k[1]}")
def test_a_cross_site_answer_refuses_a_user_scoped_to_one_site(
    env: Env, key: tuple[str, str]
) -> None:
    url, _ = CALLS[key](env, "admin-lyon")
    env.client.cookies.clear()
    response = env.client.get(url, headers=env.headers("admin-lyon"))
    assert response.status_code == 403
    assert response.json()["code"] == "flow.scoped"


def test_every_route_has_a_rule_and_is_in_the_table(env: Env) -> None:
    assert missing_rules(env.app) == []
    assert set(route_rules(env.app)) == set(CALLS)


def _call(env: Env, key: tuple[str, str], who: str | None) -> int:
    method, _ = key
    username = who.replace("-token", "") if who else ""
    url, body = CALLS[key](env, username)
    headers = env.headers(who) if who else {}
    env.client.cookies.clear()  # only the token speaks, not a session from an earlier login
    response = env.client.request(method, url, json=body, headers=headers)
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    return response.status_code


@pytest.mark.parametrize("key", sorted(CALLS), ids=lambda k: f"{k[0]} {k[1]}")
def test_each_route_denies_without_authentication(env: Env, key: tuple[str, str]) -> None:
    rule = route_rules(env.app)[key]
    status = _call(env, key, None)
    if rule == PUBLIC:
        assert status != 403
    else:
        assert status == 401


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("key", sorted(CALLS), ids=lambda k: f"{k[0]} {k[1]}")
def test_each_route_allows_exactly_the_roles_of_its_rule(
    env: Env, key: tuple[str, str], role: Role
) -> None:
    rule = route_rules(env.app)[key]
    who = f"{role.value}-all" if key in EVERY_SITE else f"{role.value}-lyon"
    if key in EVERY_SITE and who not in env.tokens:
        env.users.add(who, role=role, sites=["*"], password=PASSWORD, actor="test")
    # a fresh token: logout revokes the one it is called with
    env.tokens[who] = env.token_for(who)
    status = _call(env, key, who)
    if rule == PUBLIC or (isinstance(rule, Role) and role.rank >= rule.rank):
        assert status not in (401, 403), f"{who} refused on {key}"
    else:
        assert status == 403, f"{who} allowed on {key}"


def test_an_unknown_token_and_a_malformed_header_are_401(env: Env) -> None:
    for value in ("Bearer andon_0123456789abcdef_" + "x" * 43, "Basic abc", "Bearer"):
        response = env.client.get("/api/v1/decisions", headers={"Authorization": value})
        assert response.status_code == 401
        assert response.json()["code"] == "auth.not_authenticated"
