"""Users and tokens: Argon2id passwords, tokens shown once and stored hashed, scopes."""

from __future__ import annotations

import pytest

from andon.decisions import (
    ForbiddenError,
    InvalidInputError,
    NotAuthenticatedError,
    Role,
    UserExistsError,
    UserService,
)
from andon.decisions._principals import PrincipalCache
from andon.decisions.access import Principal
from andon.store.base import Store
from decisions.decision_helpers import FAST_PASSWORDS, Clock


@pytest.fixture
def users(dstore: Store, clock: Clock) -> UserService:
    return UserService(store=dstore, passwords=FAST_PASSWORDS, clock=clock)


def test_passwords_are_argon2id_and_checked(users: UserService, dstore: Store) -> None:
    users.add("ana", role="operator", sites=["acme/lyon"], password="a long password", actor="t")
    stored = dstore.execute("SELECT password_hash FROM users").to_pylist()[0]["password_hash"]
    assert stored.startswith("$argon2id$")
    assert "a long password" not in stored
    who = users.login("ana", "a long password")
    assert (who.role, who.sites) == (Role.OPERATOR, ("acme/lyon",))
    for name, password in [("ana", "wrong password"), ("nobody", "a long password")]:
        with pytest.raises(NotAuthenticatedError):
            users.login(name, password)


def test_tokens_are_shown_once_and_stored_as_a_digest(users: UserService, dstore: Store) -> None:
    users.add("bot", role="viewer", sites=["*"], password=None, actor="t")
    issued = users.issue_token("bot", name="ci", actor="t")
    stored = dstore.execute("SELECT secret_hash FROM api_tokens").to_pylist()[0]["secret_hash"]
    assert issued.secret.split("_")[-1] not in stored
    assert users.authenticate(issued.secret).username == "bot"
    with pytest.raises(NotAuthenticatedError):
        users.authenticate(issued.secret[:-2] + "xx")
    with pytest.raises(NotAuthenticatedError):
        users.authenticate("not a token")
    users.revoke(issued.row.id, actor="t")
    with pytest.raises(NotAuthenticatedError):
        users.authenticate(issued.secret)
    with pytest.raises(NotAuthenticatedError):
        users.login("bot", "")  # a token-only user has no password


def test_tokens_expire_and_die_with_their_user(users: UserService, clock: Clock) -> None:
    users.add("ana", role="operator", sites=["acme/lyon"], password=None, actor="t")
    short = users.issue_token("ana", name="short", actor="t", ttl_s=60)
    long = users.issue_token("ana", name="long", actor="t")
    clock.now += 61_000_000
    with pytest.raises(NotAuthenticatedError, match="expired"):
        users.authenticate(short.secret)
    assert users.authenticate(long.secret).username == "ana"
    users.change("ana", active=False, actor="t")
    with pytest.raises(NotAuthenticatedError):
        users.authenticate(long.secret)


def test_a_token_narrows_but_never_widens_sites(users: UserService) -> None:
    users.add("ana", role="engineer", sites=["acme/lyon", "acme/brno"], password=None, actor="t")
    narrow = users.issue_token("ana", name="lyon", actor="t", sites=["acme/lyon"])
    assert users.authenticate(narrow.secret).sites == ("acme/lyon",)
    with pytest.raises(InvalidInputError):
        users.issue_token("ana", name="wide", actor="t", sites=["acme/paris"])
    users.change("ana", sites=["acme/brno"], actor="t")
    with pytest.raises(ForbiddenError):
        users.authenticate(narrow.secret)


@pytest.mark.parametrize(
    ("username", "role", "sites", "password"),
    [
        ("Bad Name", "viewer", ["acme/lyon"], None),
        ("ana", "superuser", ["acme/lyon"], None),
        ("ana", "viewer", [], None),
        ("ana", "viewer", ["lyon"], None),
        ("ana", "viewer", ["acme/lyon"], "short"),
    ],
)
def test_bad_users_are_refused(
    users: UserService, username: str, role: str, sites: list[str], password: str | None
) -> None:
    with pytest.raises(InvalidInputError):
        users.add(username, role=role, sites=sites, password=password, actor="t")
    assert users.count() == 0


def test_a_user_name_is_unique(users: UserService) -> None:
    users.add("ana", role="viewer", sites=["*"], password=None, actor="t")
    with pytest.raises(UserExistsError, match="exists"):
        users.add("ana", role="admin", sites=["*"], password=None, actor="t")
    assert users.get("ana").role is Role.VIEWER


def test_a_remembered_token_still_expires_and_dies_when_revoked_elsewhere(
    users: UserService, dstore: Store, clock: Clock
) -> None:
    users.add("ana", role="operator", sites=["acme/lyon"], password=None, actor="t")
    short = users.issue_token("ana", name="short", actor="t", ttl_s=60)
    other = users.issue_token("ana", name="other", actor="t")
    assert users.authenticate(short.secret).username == "ana"  # now remembered
    assert users.cached(short.secret, kind="api") is not None
    assert users.cached(short.secret, kind="session") is None  # never for another kind
    clock.now += 61_000_000
    assert users.cached(short.secret) is None
    with pytest.raises(NotAuthenticatedError, match="expired"):
        users.authenticate(short.secret)
    # A second service on the same store (another part of the same process) revokes:
    # the first one obeys at once, not after the memory runs out.
    assert users.authenticate(other.secret).username == "ana"
    UserService(store=dstore, passwords=FAST_PASSWORDS, clock=clock).revoke(other.row.id, actor="t")
    with pytest.raises(NotAuthenticatedError):
        users.authenticate(other.secret)


def test_the_memory_of_tokens_forgets_after_its_time() -> None:
    now = [0.0]
    cache = PrincipalCache(ttl_s=5.0, clock=lambda: now[0])
    ana = Principal(username="ana", role=Role.VIEWER, sites=("acme/lyon",))
    cache.put("k", ana, kind="api", expires_at=None)
    assert cache.get("k", kind="api", now_us=0) == ana
    now[0] = 5.0
    assert cache.get("k", kind="api", now_us=0) is None  # a revocation elsewhere holds by now
    off = PrincipalCache(ttl_s=0.0)
    off.put("k", ana, kind="api", expires_at=None)
    assert off.get("k", kind="api", now_us=0) is None
