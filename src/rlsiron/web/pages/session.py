"""Who a page request is from: a signed-in person, or a redirect to the sign-in page.

The API's `CurrentPerson` answers 401 and reads the CSRF token from the `X-CSRF-Token`
header; a browser following a link needs the sign-in page instead, and a plain HTML form
can only send the token as a field. `PagePerson` does both: signed out, any page redirects
to `/sign-in?next=<path>`; signed in, a request that changes something (any method but GET
and HEAD) must carry the token in the form field `csrf_token` or in the header (htmx sends
the header from <body hx-headers>), else 403. The token is the same HMAC of the session
token the API uses (`cookies.csrf_token`), so there is one token per session.
"""

from __future__ import annotations

from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import RedirectResponse

from rlsiron.store import session_person
from rlsiron.web.cookies import CSRF_HEADER, csrf_matches, csrf_token
from rlsiron.web.deps import SignedIn, StateDep, remember_person, session_token
from rlsiron.web.pages.templating import CSRF_FIELD

SIGN_IN: Final = "/sign-in"
_READING: Final = frozenset({"GET", "HEAD"})


class SignInRequired(Exception):
    """Raised by `PagePerson` when nobody is signed in: answered with a redirect."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def local_path(candidate: str | None) -> str:
    """A path on this site to go back to after signing in; anything else is the dashboard
    (an absolute or scheme-relative URL would make the sign-in page an open redirect)."""
    if candidate and candidate.startswith("/") and not candidate.startswith(("//", "/\\")):
        return candidate
    return "/"


def sign_in_url(path: str) -> str:
    return f"{SIGN_IN}?{urlencode({'next': local_path(path)})}"


async def page_person(request: Request, state: StateDep) -> SignedIn:
    token = session_token(request, state)
    person_id = None if token is None else session_person(state.db, token, now=state.now())
    if token is None or person_id is None:
        raise SignInRequired(request.url.path)
    if request.method not in _READING:
        form = await request.form()  # Starlette keeps it: the route's Form fields reuse it
        given = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
        if not isinstance(given, str) or not csrf_matches(state.key, token, given):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "the form's CSRF token is missing")
    remember_person(request, person_id)
    return SignedIn(person_id, token, csrf_token(state.key, token))


async def redirect_to_sign_in(_request: Request, exc: Exception) -> RedirectResponse:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(sign_in_url(exc.path), status.HTTP_303_SEE_OTHER)


PagePerson = Annotated[SignedIn, Depends(page_person)]
