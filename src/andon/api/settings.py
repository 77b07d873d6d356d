"""The REST API's settings: one typed object, from arguments or ``ANDON_API_*`` variables."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ApiSettings"]


class ApiSettings(BaseSettings):
    """How the API listens, authenticates and limits; secure by default."""

    model_config = SettingsConfigDict(env_prefix="ANDON_API_", frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    """Address to bind; loopback unless told otherwise, so nothing is exposed by accident."""

    port: int = Field(default=8470, ge=1, le=65535)
    """TCP port to listen on."""

    session_ttl_s: int = Field(default=8 * 3600, ge=60)
    """How long a browser session lasts after login, in seconds."""

    cookie_secure: bool | None = None
    """Mark session cookies Secure: ``None`` sets it when the request came over HTTPS."""

    login_max_failures: int = Field(default=5, ge=1)
    """Failed logins allowed per client address and user name within the window; once they
    are spent, that address backs off for that user (another address still logs in)."""

    login_max_address_failures: int = Field(default=20, ge=1)
    """Failed logins allowed per client address within the window, whatever the user name."""

    login_max_attempts: int = Field(default=30, ge=1)
    """Login attempts of any result allowed per client address within the window."""

    login_window_s: float = Field(default=60.0, gt=0)
    """The rate-limit window for logins, in seconds."""

    token_max_failures: int = Field(default=20, ge=1)
    """Requests with an unknown, expired or malformed token allowed per client address within
    ``token_window_s``; past them the address gets 429 until the window moves on."""

    token_window_s: float = Field(default=60.0, gt=0)
    """The rate-limit window for failed tokens, in seconds."""

    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    """Addresses or networks of reverse proxies whose ``X-Forwarded-For`` names the client
    (``["10.0.0.5", "10.1.0.0/16"]``); none by default, so the header is ignored and each
    request is keyed on its TCP peer."""

    max_body_bytes: int = Field(default=1_048_576, ge=1)
    """The largest request body accepted, in bytes; a larger one is refused with 413 before
    it is read (by its ``Content-Length``, or as soon as a chunked body passes the limit)."""

    default_page_size: int = Field(default=50, ge=1, le=500)
    """Items per page when a client does not ask for a size."""

    max_page_size: int = Field(default=500, ge=1, le=500)
    """The largest page a client may ask for; more is refused with a 422 problem."""

    password_memory_kib: int = Field(default=65_536, ge=8)
    """Argon2id memory cost per password hash (RFC 9106 recommends 64 MiB)."""
