"""Request checks and response headers, below the routes so no route can forget them.

Before a route sees a request, the ``Host`` it names must be one this server is known by (DNS
rebinding), a write must not come from a page of another site (see ``origin.py``), and an
announced ``Content-Length`` must be within the body limit. While the body streams in, it is cut
off at the limit (chunked, or lying about its length), and when it stalls: each read may wait
``read_timeout`` seconds, and the whole body gets that plus a second for every ``MIN_RATE`` bytes,
so a client trickling a byte now and then cannot hold a connection for ever. Every response gets
headers that keep the page's content from being run as anything else (no inline scripts,
nothing from other sites, no framing).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .origin import Hosts, foreign

MIN_RATE = 500  # bytes a second a body must average, after the first read_timeout (as Apache's)
SECURITY_HEADERS = (
    (b"content-security-policy", b"default-src 'self'; img-src 'self' blob: data:; style-src 'self'; "
     b"script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
     b"form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)  # fmt: skip


class BodyRefused(Exception):
    """The request body went past the limit, or stalled, while it was being read."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_body(message: str) -> bytes:
    return json.dumps({"error": message}, ensure_ascii=False).encode()


class Guard:
    """ASGI middleware: the Host and origin checks, the body limits and the security headers."""

    def __init__(self, app: ASGIApp, max_body: int, read_timeout: float, hosts: Hosts) -> None:
        self.app = app
        self.max_body = max_body
        self.read_timeout = read_timeout
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        refused = self._refusal(scope)
        if refused is not None:
            await _refuse(send_headers, *refused)
            return
        body = Body(receive, self.max_body, self.read_timeout)
        try:
            await self.app(scope, body.receive, send_headers)
        except BodyRefused as exc:
            if started:
                raise
            await _refuse(send_headers, exc.status, exc.message)

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        """The status and message a request is refused with before it reaches a route, or None."""
        headers = Headers(scope=scope)
        hosts = headers.getlist("host")  # none only from HTTP/1.0 clients, which are no browsers
        if len(hosts) > 1 or (hosts and not self.hosts.allows(hosts[0])):
            return 400, (f"unknown host {', '.join(hosts)!r}: this server answers to its own address "
                         "only (see psod-ocr serve --allow-host)")  # fmt: skip
        why = foreign(scope["method"], hosts[0] if hosts else None, headers.get("origin"),
                      headers.get("sec-fetch-site"))  # fmt: skip
        if why is not None:
            return 403, why
        length = _content_length(scope)
        if length is not None and length > self.max_body:
            return 413, f"{length} bytes is over the {self.max_body}-byte upload limit"
        return None


class Body:
    """The request body as the route reads it: counted against the limit and timed, until its
    last part has come (after that, a route waiting for the client to go away may wait)."""

    def __init__(self, receive: Receive, max_body: int, read_timeout: float) -> None:
        self._receive = receive
        self.max_body = max_body
        self.read_timeout = read_timeout
        self.seen = 0
        self.done = False
        self.since: float | None = None  # when the route first asked for the body

    async def receive(self) -> Message:
        if self.done:
            return await self._receive()
        now = asyncio.get_running_loop().time()
        self.since = now if self.since is None else self.since
        left = self.since + self.read_timeout + self.seen / MIN_RATE - now
        try:
            message = await asyncio.wait_for(self._receive(), max(0.0, min(self.read_timeout, left)))
        except asyncio.TimeoutError:
            raise BodyRefused(408, f"the request body stopped coming: read timeout after {self.seen} bytes "
                              f"(a body may stall {self.read_timeout:g} s, and must average "
                              f"{MIN_RATE} bytes/s)") from None  # fmt: skip
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.max_body:
                raise BodyRefused(413, f"the request body is over the {self.max_body}-byte upload limit")
        self.done = message["type"] != "http.request" or not message.get("more_body", False)
        return message


async def _refuse(send: Send, status: int, message: str) -> None:
    """A one-line JSON error, and the connection closed: the rest of any body is not wanted."""
    body = error_body(message)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


def _content_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
