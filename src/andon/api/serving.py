"""How the API is served: the uvicorn configuration ``andon serve`` runs it with."""

from __future__ import annotations

from typing import Any

import uvicorn

__all__ = ["server_config"]


def server_config(app: Any, *, host: str, port: int, **options: Any) -> uvicorn.Config:
    """Return the uvicorn configuration of the API on ``host:port``.

    uvicorn's own proxy handling is off: by default it believes ``X-Forwarded-For`` from
    127.0.0.1, andon's default bind, so any local client could name itself anyone. The API
    reads forwarded headers itself, from ``ApiSettings.trusted_proxies`` only
    (:func:`andon.api._limits.client_address`).
    """
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=False,
        server_header=False,
        log_level=options.pop("log_level", "warning"),
        access_log=options.pop("access_log", False),
        **options,
    )
