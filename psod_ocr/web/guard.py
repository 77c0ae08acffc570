"""Request limits and response headers, below the routes so no route can forget them.

The body limit is enforced while the body streams in: a ``Content-Length`` over the limit is
refused before anything is read, and a body that keeps coming (chunked, or lying about its
length) is cut off at the limit. Every response gets headers that keep the page's content from
being run as anything else (no inline scripts, nothing from other sites, no framing).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = (
    (b"content-security-policy", b"default-src 'self'; img-src 'self' blob: data:; style-src 'self'; "
     b"script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
     b"form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)  # fmt: skip


class BodyTooLarge(Exception):
    """The request body went past the limit while it was being read."""


def error_body(message: str) -> bytes:
    return json.dumps({"error": message}, ensure_ascii=False).encode()


class Guard:
    """ASGI middleware: the body limit and the security headers."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

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

        length = _content_length(scope)
        if length is not None and length > self.max_body:
            await self._refuse(send_headers, length)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counted, send_headers)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(send_headers, None)

    async def _refuse(self, send: Send, length: int | None) -> None:
        size = f"{length} bytes" if length is not None else "the request body"
        body = error_body(f"{size} is over the {self.max_body}-byte upload limit")
        await send({"type": "http.response.start", "status": 413,
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
