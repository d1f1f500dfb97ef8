"""The session cookie and the CSRF token derived from it.

The cookie holds a random token (256 bits); the database holds only its hash
(`store.sessions`). It is HttpOnly (no script reads it), SameSite=Lax (not sent with
cross-site POSTs), and with TLS Secure and named with the `__Host-` prefix (only this host,
path /, never over http).

CSRF: a synchronizer token, not stored but derived: HMAC-SHA256 of the session token under
the app's secret key. A page or API client gets it when signing in (and from
`GET /api/v1/session`) and sends it in the `X-CSRF-Token` header with every state-changing
request. A cross-site attacker cannot read the HttpOnly cookie nor compute the HMAC, and the
token ends with its session. Chosen over double-submit cookies: nothing to keep in step
with the session, no second cookie a subdomain could plant.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

from fastapi import Response

from rlsiron.web.settings import Settings

CSRF_HEADER: Final = "X-CSRF-Token"
_NAME: Final = "rlsiron_session"
_TLS_NAME: Final = "__Host-rlsiron_session"
_TOKEN_BYTES: Final = 32


def cookie_name(settings: Settings) -> str:
    return _TLS_NAME if settings.tls else _NAME


def new_token() -> str:
    return secrets.token_urlsafe(_TOKEN_BYTES)


def csrf_token(key: bytes, session_token: str) -> str:
    return hmac.new(key, b"csrf:" + session_token.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_matches(key: bytes, session_token: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(csrf_token(key, session_token), given)


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        cookie_name(settings),
        token,
        max_age=int(settings.session_lifetime.total_seconds()),
        path="/",
        secure=settings.tls,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        cookie_name(settings), path="/", secure=settings.tls, httponly=True, samesite="lax"
    )
