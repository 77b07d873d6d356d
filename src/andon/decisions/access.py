"""Who may do what: roles ranked viewer < operator < engineer < admin, scoped to sites.

Passwords are hashed with Argon2id (RFC 9106, memory-hard); API tokens and browser sessions
are random secrets shown once and stored only as a SHA-256 digest, which is safe for
high-entropy secrets and cheap enough to check on every request.

>>> user = Principal(username="ana", role=Role.OPERATOR, sites=("acme/lyon",))
>>> user.can_see("acme/lyon/assembly/line1/press1"), user.can_see("acme/brno/x")
(True, False)
>>> user.at_least(Role.ENGINEER)
False
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2 import exceptions as argon2_exceptions

from andon.decisions.errors import InvalidInputError, NotAuthenticatedError

__all__ = [
    "ALL_SITES",
    "PasswordPolicy",
    "Principal",
    "Role",
    "hash_secret",
    "new_token",
    "secret_matches",
    "split_token",
    "validate_sites",
    "validate_username",
]

ALL_SITES = "*"
"""The site scope of a user who may see every site of the enterprise."""

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
_SITE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_TOKEN = re.compile(r"^andon_([a-f0-9]{16})_([A-Za-z0-9_-]{32,64})$")


class Role(StrEnum):
    """A user's role; each includes what the roles below it may do."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ENGINEER = "engineer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Return the role's position: viewer 0 ... admin 3."""
        return _RANKS[self]


_RANKS = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ENGINEER: 2, Role.ADMIN: 3}


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """An authenticated user (through a password, a session or a token) and its scope."""

    username: str
    role: Role
    sites: tuple[str, ...]
    token_id: str | None = None

    @property
    def all_sites(self) -> bool:
        """Whether the principal may see every site."""
        return ALL_SITES in self.sites

    def at_least(self, role: Role) -> bool:
        """Return whether the principal's role is ``role`` or above."""
        return self.role.rank >= role.rank

    def can_see(self, path: str | None) -> bool:
        """Return whether a model path (or ``None`` for enterprise-wide entries) is in scope."""
        if self.all_sites:
            return True
        if path is None:
            return False
        site = "/".join(path.split("/")[:2])
        return site in self.sites


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswordPolicy:
    """Argon2id cost and the shortest password accepted.

    The defaults follow RFC 9106's second recommended option (64 MiB, 3 passes); tests may
    lower the memory to stay fast, never the algorithm.
    """

    memory_kib: int = 65_536
    time_cost: int = 3
    parallelism: int = 4
    min_length: int = 10

    def hasher(self) -> PasswordHasher:
        """Return an Argon2id hasher with these costs."""
        return PasswordHasher(
            time_cost=self.time_cost, memory_cost=self.memory_kib, parallelism=self.parallelism
        )

    def hash(self, password: str) -> str:
        """Return the Argon2id hash of a password that meets the policy."""
        if len(password) < self.min_length:
            msg = f"a password needs at least {self.min_length} characters"
            raise InvalidInputError(msg)
        return str(self.hasher().hash(password))

    def verify(self, stored: str, password: str) -> bool:
        """Return whether ``password`` matches the stored hash (constant-time in argon2)."""
        try:
            return bool(self.hasher().verify(stored, password))
        except (argon2_exceptions.VerificationError, argon2_exceptions.InvalidHashError):
            return False


def hash_secret(secret: str) -> str:
    """Return the SHA-256 hex digest a token's secret is stored as."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token() -> tuple[str, str, str]:
    """Return ``(token id, full token to show once, digest to store)``."""
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return token_id, f"andon_{token_id}_{secret}", hash_secret(secret)


def split_token(token: str) -> tuple[str, str]:
    """Return ``(token id, secret)`` of a well-formed token, or raise NotAuthenticatedError."""
    match = _TOKEN.match(token.strip())
    if match is None:
        msg = "malformed token"
        raise NotAuthenticatedError(msg)
    return match.group(1), match.group(2)


def secret_matches(stored_digest: str, secret: str) -> bool:
    """Return whether a secret matches its stored digest, in constant time."""
    return hmac.compare_digest(stored_digest, hash_secret(secret))


def validate_username(username: str) -> str:
    """Return a username if it is 1-64 lower-case letters, digits or ``._@-``."""
    if not _USERNAME.match(username):
        msg = f"username {username!r} must be 1-64 lower-case letters, digits or ._@-"
        raise InvalidInputError(msg)
    return username


def validate_sites(sites: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Return site scopes (``enterprise/site`` paths or ``*``), refusing anything else."""
    cleaned = tuple(dict.fromkeys(s.strip().rstrip("/") for s in sites if s.strip()))
    if not cleaned:
        msg = "a user needs at least one site (enterprise/site) or '*' for all sites"
        raise InvalidInputError(msg)
    bad = [s for s in cleaned if s != ALL_SITES and not _SITE.match(s)]
    if bad:
        msg = f"site scope(s) {', '.join(map(repr, bad))} must be enterprise/site paths or '*'"
        raise InvalidInputError(msg)
    return cleaned
