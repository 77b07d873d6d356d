"""How many logins an address may try: one rule for the API's login and the console's.

Failures count per address and user name, and per address; attempts count per address.
None counts per user name alone, so that failures from one address never lock the real
user out of a login from another (a back-off per address, not per user). The API and the
console share one :class:`~andon.api.ratelimit.RateLimiter`, so an address does not get
twice the attempts by alternating between them.

>>> from andon.api.ratelimit import RateLimiter
>>> from andon.api.settings import ApiSettings
>>> guard = LoginGuard(RateLimiter(window_s=60.0, clock=lambda: 0.0),
...                    ApiSettings(login_max_failures=2))
>>> guard.failed("203.0.113.9", "Ada"); guard.failed("203.0.113.9", "ada")
>>> guard.wait_s("203.0.113.9", "ada"), guard.wait_s("198.51.100.1", "ada")
(60.0, 0.0)
"""

from __future__ import annotations

from dataclasses import dataclass

from andon.api.ratelimit import RateLimiter
from andon.api.settings import ApiSettings
from andon.decisions.errors import NotAuthenticatedError

__all__ = ["LoginGuard", "LoginThrottledError"]


class LoginThrottledError(NotAuthenticatedError):
    """Too many logins from this address: wait ``retry_after_s`` seconds and try again."""

    code = "auth.rate_limited"

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(
            f"too many login attempts from this address; try again in {retry_after_s} s"
        )


@dataclass(frozen=True, slots=True)
class LoginGuard:
    """The login limits of ``settings`` over the events counted in ``limiter``."""

    limiter: RateLimiter
    settings: ApiSettings

    @staticmethod
    def _keys(address: str, username: str) -> tuple[str, str, str]:
        return (
            f"fail-ip-user:{address}:{username.strip().lower()}",
            f"fail-ip:{address}",
            f"any-ip:{address}",
        )

    def wait_s(self, address: str, username: str) -> float:
        """Return 0 when a login may be tried now, else the seconds until it may."""
        user_key, ip_key, any_key = self._keys(address, username)
        limits = self.settings
        return max(
            self.limiter.retry_after(user_key, limit=limits.login_max_failures),
            self.limiter.retry_after(ip_key, limit=limits.login_max_address_failures),
            self.limiter.retry_after(any_key, limit=limits.login_max_attempts),
        )

    def attempted(self, address: str) -> None:
        """Count a login tried from ``address``, whatever its outcome."""
        self.limiter.hit(self._keys(address, "")[2])

    def failed(self, address: str, username: str) -> None:
        """Count a failed login of ``username`` from ``address``."""
        user_key, ip_key, _ = self._keys(address, username)
        self.limiter.hit(ip_key)
        self.limiter.hit(user_key)

    def succeeded(self, address: str, username: str) -> None:
        """Forget the failures of ``username`` from ``address`` after it logged in."""
        self.limiter.clear(self._keys(address, username)[0])
