"""What a request may cost before anyone reads it: its body's size, and who really sent it.

:class:`BodyLimit` is a plain ASGI middleware in front of every route (the login and the
console's forms included): a body whose ``Content-Length`` is over the limit is refused
with 413 before a byte of it is read; a chunked body is read up to the limit and refused as
soon as it passes it, so no request costs more memory than the limit.

:func:`client_address` is the address rate limits are keyed on: the TCP peer, unless that
peer is one of the configured reverse proxies, in which case the right-most address of
``X-Forwarded-For`` that is not a trusted proxy (the one the first trusted proxy saw). A
header sent by anyone else is ignored, so a new ``X-Forwarded-For`` per request buys an
attacker nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from andon.api.problems import problem_response

__all__ = ["BodyLimit", "client_address", "peer_address"]

Network = IPv4Network | IPv6Network


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with a 413 problem, before reading them."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then hand on a body that cannot grow past the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is not None and length > self.max_bytes:
            await self._refuse(scope, receive, send, f"{length} bytes declared")
            return
        if length is not None:
            # The server frames the body by its Content-Length: it cannot be longer.
            await self.app(scope, receive, send)
            return
        body, more = await self._read_up_to_limit(receive)
        if more:
            await self._refuse(scope, receive, send, f"more than {self.max_bytes} bytes sent")
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_up_to_limit(self, receive: Receive) -> tuple[bytes, bool]:
        """Return the body read so far and whether it went past the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), False
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return b"", True
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), False

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, what: str) -> None:
        response = problem_response(
            Request(scope),
            413,
            "request.too_large",
            f"the request body is too large: {what}, the limit is {self.max_bytes} bytes",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """Return a receive that gives ``body`` once, then the server's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def peer_address(request: Request) -> str:
    """Return the TCP peer of a request (``unknown`` when the server does not say)."""
    return request.client.host if request.client else "unknown"


def _parse(text: str) -> IPv4Address | IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:4711
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:4711
        text = text.split(":", 1)[0]
    try:
        return ip_address(text)
    except ValueError:
        return None


def _trusted(address: IPv4Address | IPv6Address | None, proxies: Iterable[Network]) -> bool:
    return address is not None and any(address in network for network in proxies)


def client_address(request: Request, *, trusted_proxies: Sequence[Network]) -> str:
    """Return the address a request came from, through trusted proxies only.

    >>> from ipaddress import ip_network
    >>> def req(peer, forwarded):
    ...     headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    ...     return Request({"type": "http", "client": (peer, 5000), "headers": headers})
    >>> client_address(req("127.0.0.1", "203.0.113.9"), trusted_proxies=())
    '127.0.0.1'
    >>> proxy = (ip_network("10.0.0.5"),)
    >>> client_address(req("10.0.0.5", "198.51.100.1, 203.0.113.9"), trusted_proxies=proxy)
    '203.0.113.9'
    >>> client_address(req("192.0.2.7", "203.0.113.9"), trusted_proxies=proxy)
    '192.0.2.7'
    """
    peer = peer_address(request)
    if not trusted_proxies or not _trusted(_parse(peer), trusted_proxies):
        return peer
    hops = [hop for value in request.headers.getlist("x-forwarded-for") for hop in value.split(",")]
    found = peer
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            return found  # a malformed hop: trust nothing to its left
        found = str(address)
        if not _trusted(address, trusted_proxies):
            return found
    return found
