"""Security headers on every response, errors and other apps' routes included.

A plain ASGI middleware (not Starlette's BaseHTTPMiddleware, which buffers and costs a
task per request) that adds the headers as the response starts. The Content-Security-
Policy allows scripts, styles and images from the app's own origin only: no inline script,
no eval, no CDN (the pages vendor htmx and vega-embed as static files), no framing
(`frame-ancestors 'none'`, and X-Frame-Options for older browsers). The API's answers are
one person's health records: `Cache-Control: no-store` unless a route says otherwise.
With TLS, HSTS tells browsers to come back over https only.
"""

from __future__ import annotations

from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
_ALWAYS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
_HSTS: Final = ("Strict-Transport-Security", "max-age=31536000")  # a year, in seconds
_PRIVATE_PREFIX: Final = "/api/"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, tls: bool) -> None:
        self.app = app
        self.headers = dict(_ALWAYS)
        if tls:
            self.headers.update([_HSTS])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = str(scope["path"]).startswith(_PRIVATE_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
                if private and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
