"""How the API is served: the uvicorn configuration ``andon serve`` runs it with, and a run
that ends on SIGINT or SIGTERM with the caller's clean-up."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

import uvicorn

__all__ = ["run_until_stopped", "server_config"]


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


class _Stopped(BaseException):
    """SIGINT or SIGTERM arrived: leave the server's run and clean up."""


def _stop(_signum: int, _frame: FrameType | None) -> None:
    raise _Stopped


def run_until_stopped(server: uvicorn.Server) -> None:
    """Run uvicorn until SIGINT or SIGTERM, then return so that the caller's clean-up runs.

    uvicorn stops gracefully on these signals and then raises the signal again under the
    handler that was in place before it started. Under the default handler SIGTERM ends the
    process right there, before any ``finally`` of the caller closes the store (a service
    manager's stop left a DuckDB file with its write-ahead log beside it). Here a handler of
    ours is in place, and the signal, before the server started or after it stopped, turns
    into a return. Off the main thread, where signals cannot be caught, it only runs.
    """
    if threading.current_thread() is not threading.main_thread():
        server.run()
        return
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run()
    except _Stopped:
        return
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
