"""Users, API tokens and browser sessions: create, change, authenticate; every change audited.

A token or session is shown once when it is made; the store keeps only its digest. A token
may be narrowed to some of its user's sites; it never widens them. A checked token is
remembered for a few seconds (:mod:`andon.decisions._principals`); every change to a user or
a token through this service forgets what was remembered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from andon.decisions._json import now_us
from andon.decisions._principals import cache_for
from andon.decisions.access import (
    ALL_SITES,
    PasswordPolicy,
    Principal,
    Role,
    hash_secret,
    new_token,
    secret_matches,
    split_token,
    validate_sites,
    validate_username,
)
from andon.decisions.audit import AuditLog
from andon.decisions.errors import (
    ForbiddenError,
    InvalidInputError,
    NotAuthenticatedError,
    UserExistsError,
)
from andon.decisions.repository import Repository, TokenRow, UserRow
from andon.store.base import Store

__all__ = ["IssuedToken", "UserService"]

SESSION = "session"
API = "api"


class IssuedToken:
    """A token just made: ``secret`` is the only time the full token is available."""

    __slots__ = ("row", "secret")

    def __init__(self, *, row: TokenRow, secret: str) -> None:
        self.row = row
        self.secret = secret


def _role(value: str | Role) -> Role:
    try:
        return Role(value)
    except ValueError as exc:
        msg = f"unknown role {value!r}; expected one of {', '.join(r.value for r in Role)}"
        raise InvalidInputError(msg) from exc


class UserService:
    """Manage and authenticate users over one store."""

    def __init__(
        self,
        *,
        store: Store,
        passwords: PasswordPolicy | None = None,
        clock: Callable[[], int] = now_us,
    ) -> None:
        self._store = store
        self._repo = Repository(store=store)
        self._audit = AuditLog(store=store)
        self.passwords = passwords or PasswordPolicy()
        self._clock = clock
        self._dummy_hash: str | None = None
        self._principals = cache_for(store)

    # management ----------------------------------------------------------------------------

    def add(
        self,
        username: str,
        *,
        role: str | Role,
        sites: list[str] | tuple[str, ...],
        password: str | None,
        actor: str,
    ) -> UserRow:
        """Create a user; a user without a password authenticates with tokens only."""
        username = validate_username(username)
        role = _role(role)
        scope = validate_sites(list(sites))
        hashed = None if password is None else self.passwords.hash(password)
        now = self._clock()
        user = UserRow(
            username=username,
            role=role,
            sites=scope,
            password_hash=hashed,
            active=True,
            created_at=now,
            updated_at=now,
        )
        with self._audit.transaction():
            if self._repo.get_user(username) is not None:
                msg = f"user {username!r} already exists"
                raise UserExistsError(msg)
            self._repo.insert_user(user)
            self._audit.append(
                actor=actor,
                action="user.created",
                entity="user",
                entity_id=username,
                data={"role": role.value, "sites": list(scope)},
                ts=now,
            )
        return user

    def get(self, username: str) -> UserRow:
        """Return a user, or raise InvalidInputError naming the unknown user."""
        user = self._repo.get_user(username)
        if user is None:
            msg = f"no user {username!r}"
            raise InvalidInputError(msg)
        return user

    def find(self, username: str) -> UserRow | None:
        """Return a user, or ``None``."""
        return self._repo.get_user(username)

    def all_users(self) -> list[UserRow]:
        """Return every user."""
        return self._repo.list_users()

    def count(self) -> int:
        """Return how many users exist."""
        return self._repo.count_users()

    def change(
        self,
        username: str,
        *,
        actor: str,
        role: str | Role | None = None,
        sites: list[str] | tuple[str, ...] | None = None,
        password: str | None = None,
        active: bool | None = None,
    ) -> UserRow:
        """Change a user's role, sites, password or active flag; deactivating revokes tokens."""
        now = self._clock()
        with self._audit.transaction():
            user = self.get(username)
            changes: dict[str, object] = {}
            new = user
            if role is not None:
                new = replace(new, role=_role(role))
                changes["role"] = new.role.value
            if sites is not None:
                new = replace(new, sites=validate_sites(list(sites)))
                changes["sites"] = list(new.sites)
            if password is not None:
                new = replace(new, password_hash=self.passwords.hash(password))
                changes["password_changed"] = True
            if active is not None:
                new = replace(new, active=active)
                changes["active"] = active
            if not changes:
                return user
            new = replace(new, updated_at=now)
            self._repo.update_user(new)
            revoked = self._repo.revoke_user_tokens(username) if active is False else 0
            self._audit.append(
                actor=actor,
                action="user.changed",
                entity="user",
                entity_id=username,
                data={**changes, "tokens_revoked": revoked},
                ts=now,
            )
        self._principals.clear()  # after the commit: nobody re-remembers the old state
        return new

    def issue_token(
        self,
        username: str,
        *,
        name: str,
        actor: str,
        sites: list[str] | tuple[str, ...] | None = None,
        ttl_s: int | None = None,
        kind: str = API,
    ) -> IssuedToken:
        """Make a token (or a browser session) for a user; its secret is returned once."""
        now = self._clock()
        user = self.get(username)
        if not user.active:
            msg = f"user {username!r} is deactivated"
            raise InvalidInputError(msg)
        scope: tuple[str, ...] | None = None
        if sites is not None:
            scope = validate_sites(list(sites))
            if ALL_SITES not in user.sites and not set(scope) <= set(user.sites):
                msg = f"a token of {username!r} can only narrow the user's sites {user.sites}"
                raise InvalidInputError(msg)
        if ttl_s is not None and ttl_s <= 0:
            msg = "a token's lifetime must be positive"
            raise InvalidInputError(msg)
        token_id, secret, hashed = new_token()
        row = TokenRow(
            id=token_id,
            username=username,
            kind=kind,
            name=name.strip()[:100] or kind,
            secret_hash=hashed,
            sites=scope,
            created_at=now,
            expires_at=None if ttl_s is None else now + ttl_s * 1_000_000,
            revoked=False,
        )
        with self._audit.transaction():
            self._repo.insert_token(row)
            if kind == API:
                self._audit.append(
                    actor=actor,
                    action="token.created",
                    entity="token",
                    entity_id=token_id,
                    data={
                        "user": username,
                        "name": row.name,
                        "sites": scope,
                        "expires_at": row.expires_at,
                    },
                    ts=now,
                )
        return IssuedToken(row=row, secret=secret)

    def tokens(self, username: str | None = None) -> list[TokenRow]:
        """Return API tokens (of one user, or all)."""
        return self._repo.list_tokens(username)

    def revoke(self, token_id: str, *, actor: str) -> None:
        """Revoke an API token or end a session."""
        now = self._clock()
        with self._audit.transaction():
            row = self._repo.get_token(token_id)
            if row is None or not self._repo.revoke_token(token_id):
                msg = f"no active token {token_id!r}"
                raise InvalidInputError(msg)
            if row.kind == API:
                self._audit.append(
                    actor=actor,
                    action="token.revoked",
                    entity="token",
                    entity_id=token_id,
                    data={"user": row.username},
                    ts=now,
                )
        self._principals.clear()  # after the commit: nobody re-remembers the old state

    # authentication ------------------------------------------------------------------------

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.passwords.hash("x" * max(self.passwords.min_length, 10))
        return self._dummy_hash

    def login(self, username: str, password: str) -> Principal:
        """Return the principal for a username and password, or raise NotAuthenticatedError.

        An unknown user costs the same Argon2 work as a wrong password, so response time
        does not tell which names exist.
        """
        user = self._repo.get_user(username)
        stored = user.password_hash if user is not None and user.password_hash else None
        matched = self.passwords.verify(stored or self._dummy(), password)
        if user is None or stored is None or not matched or not user.active:
            msg = "unknown user or wrong password"
            raise NotAuthenticatedError(msg)
        return Principal(username=user.username, role=user.role, sites=user.sites)

    def cached(self, token: str, *, kind: str | None = None) -> Principal | None:
        """Return the principal of a token checked in the last few seconds, without I/O."""
        return self._principals.get(hash_secret(token), kind=kind, now_us=self._clock())

    def authenticate(self, token: str, *, kind: str | None = None) -> Principal:
        """Return the principal a token or session secret stands for, or raise."""
        key = hash_secret(token)
        known = self._principals.get(key, kind=kind, now_us=self._clock())
        if known is not None:
            return known
        token_id, secret = split_token(token)
        row = self._repo.get_token(token_id)
        now = self._clock()
        if (
            row is None
            or row.revoked
            or (kind is not None and row.kind != kind)
            or not secret_matches(row.secret_hash, secret)
        ):
            msg = "unknown or revoked token"
            raise NotAuthenticatedError(msg)
        if row.expires_at is not None and now >= row.expires_at:
            msg = "the token has expired"
            raise NotAuthenticatedError(msg)
        user = self._repo.get_user(row.username)
        if user is None or not user.active:
            msg = "the token's user is deactivated"
            raise NotAuthenticatedError(msg)
        sites = user.sites
        if row.sites is not None:
            sites = (
                row.sites
                if ALL_SITES in user.sites
                else tuple(s for s in row.sites if s in user.sites)
            )
        if not sites:
            msg = "the token's sites are no longer the user's"
            raise ForbiddenError(msg)
        principal = Principal(username=user.username, role=user.role, sites=sites, token_id=row.id)
        self._principals.put(key, principal, kind=row.kind, expires_at=row.expires_at)
        return principal
