"""What keeps the studio to its user: the token, the Host check, body limits, headers,
and the one function that turns a catalog URI into a file that may be served.

The guard is plain ASGI (no BaseHTTPMiddleware), so streamed responses (the event
stream) pass through it untouched.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

__all__ = ["TOKEN_HEADER", "Guard", "safe_file"]

TOKEN_HEADER = "x-loopmill-token"
_MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
#: paths that take a raw upload instead of JSON
_UPLOADS = ("/api/uploads",)
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'")
_HEADERS = [
    (b"content-security-policy", _CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),  # the token may be in the page's URL
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _TooLarge(Exception):
    pass


class Guard:
    """ASGI middleware: refuse what the studio must not answer.

    * a ``Host`` header that is not one of ``allowed_hosts`` on a loopback server
      (a DNS-rebinding page cannot reach it);
    * an ``/api`` request without the right token, when there is one (compared in
      constant time);
    * a state-changing request that is not JSON (a form post from another site is
      not; JSON from another origin needs CORS, which the studio never grants), or
      whose body is over its limit.
    """

    def __init__(self, app: ASGIApp, *, token: str | None, allowed_hosts: Sequence[str] | None,
                 max_body: int, max_upload: int) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.allowed_hosts = set(allowed_hosts) if allowed_hosts is not None else None
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        path: str = scope.get("path", "")
        method: str = scope.get("method", "GET")
        problem = self._check(headers, path, method)
        if problem is not None:
            await _error(send, *problem)
            return
        limit = self.max_upload if path.startswith(_UPLOADS) else self.max_body
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _error(send, 413, f"request body over {limit} bytes")
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        try:
            await self.app(scope, counted, with_headers)
        except _TooLarge:
            if not started:
                await _error(send, 413, f"request body over {limit} bytes")

    def _check(self, headers: dict[str, str], path: str, method: str) -> tuple[int, str] | None:
        if self.allowed_hosts is not None:
            host = headers.get("host", "")
            name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]")[0]
            if name not in self.allowed_hosts:
                return 403, f"host {host!r} is not this studio; open it at 127.0.0.1"
        if path.startswith("/api") and self.token is not None:
            given = headers.get(TOKEN_HEADER, "").encode()
            if not hmac.compare_digest(given, self.token):
                return 401, "missing or wrong token; open the URL the studio printed"
        if method in _MUTATING and path.startswith("/api"):
            ctype = headers.get("content-type", "").split(";")[0].strip().lower()
            want = "application/octet-stream" if path.startswith(_UPLOADS) else "application/json"
            has_body = (headers.get("content-length", "0") != "0"
                        or "transfer-encoding" in headers)
            if ctype != want and has_body:
                return 415, f"send the body as {want}"
        return None


async def _error(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *_HEADERS]})
    await send({"type": "http.response.body", "body": body})


def safe_file(uri: str, roots: Sequence[Path]) -> Path | None:
    """The local file a catalog URI names, if it may be served; else None.

    Only absolute local paths (or ``file://`` URLs) whose real path — symlinks
    followed — lies inside one of ``roots`` and is a regular file. Relative paths,
    ``..`` tricks, other schemes (``s3://``) and links out of the roots give None.
    """
    if not uri or "\x00" in uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        raw = unquote(parsed.path)
    elif parsed.scheme and len(parsed.scheme) > 1:  # s3://, http://; "C:" is a drive
        return None
    else:
        raw = uri
    path = Path(raw)
    if not path.is_absolute() or ".." in path.parts:
        return None
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_file():
        return None
    for root in roots:
        try:
            real.relative_to(root)
            return real
        except ValueError:
            continue
    return None
