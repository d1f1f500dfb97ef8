"""Sign up, sign in and sign out as HTML forms, through the API's own account functions.

The forms call `web.accounts.sign_up` and `sign_in` directly (same rate limits, same
timing for a wrong email and a wrong password, same session cookie), then redirect.
There is no session before signing in, so these two forms cannot carry the session's CSRF
token; the API relies on JSON, which a cross-site form cannot send. Here a form must come
from this site: a POST whose `Origin` (or `Sec-Fetch-Site`) says another site made it is
refused, so a page elsewhere cannot sign a browser into the attacker's account. Browsers
send `Origin` with every form POST; a client that sends neither header is not a browser
acting for someone else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import SecretStr, ValidationError

from rlsiron.errors import RlsironError
from rlsiron.store import end_session
from rlsiron.web import accounts
from rlsiron.web.cookies import clear_session_cookie
from rlsiron.web.deps import StateDep
from rlsiron.web.pages.forms import FieldErrors, by_last_name, problems_in
from rlsiron.web.pages.session import SIGN_IN, PagePerson, local_path
from rlsiron.web.pages.templating import page

router = APIRouter()
SIGN_UP: Final = "/sign-up"
_FIELDS: Final = by_last_name(("email", "password"))
_TITLES: Final = {"sign_in.html.j2": "Sign in", "sign_up.html.j2": "Create an account"}

# Lengths are checked by `accounts.Credentials` and the password settings, as for the API.
Email = Annotated[str, Form()]
Password = Annotated[str, Form()]
Next = Annotated[str, Form(alias="next")]


def _same_site(request: Request) -> None:
    """Refuse a sign-in or sign-up form posted from another site (it has no session yet,
    so no CSRF token). A browser's Sec-Fetch-Site decides when it is sent; else the Origin,
    where "null" (sent under some referrer policies) says nothing either way."""
    fetched_from = request.headers.get("sec-fetch-site")
    if fetched_from is not None:
        cross = fetched_from not in ("same-origin", "none")
    else:
        origin = request.headers.get("origin")
        cross = origin not in (None, "null") and urlsplit(origin).netloc != request.headers.get(
            "host"
        )
    if cross:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this form must be sent from this site")


def _form(request: Request, template: str, *, email: str, after: str, **extra: Any) -> HTMLResponse:
    errors = extra.pop("errors", FieldErrors())
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK
    title = _TITLES[template]
    context = {"title": title, "email": email, "next": local_path(after), "errors": errors, **extra}
    return page(request, template, context, csrf=None, status_code=code)


def _submit(
    request: Request,
    template: str,
    email: str,
    password: str,
    after: str,
    act: Callable[[accounts.Credentials, Response], object],
    **extra: Any,
) -> Response:
    """`act` with the credentials; a redirect with the session cookie, or the form again
    with the problems at their fields (a password is never sent back)."""
    _same_site(request)
    redirect = RedirectResponse(local_path(after), status.HTTP_303_SEE_OTHER)
    try:
        act(accounts.Credentials(email=email, password=SecretStr(password)), redirect)
    except (RlsironError, ValidationError) as exc:
        errors = FieldErrors.of(problems_in(exc), _FIELDS)
        return _form(request, template, email=email, after=after, errors=errors, **extra)
    except HTTPException as exc:  # 401 wrong email or password, 429 too many tries
        errors = FieldErrors(general=[str(exc.detail)])
        response = _form(request, template, email=email, after=after, errors=errors, **extra)
        response.status_code = exc.status_code
        response.headers.update(exc.headers or {})
        return response
    return redirect


@router.get(SIGN_IN, response_class=HTMLResponse)
def sign_in_form(request: Request, after: Annotated[str, Query(alias="next")] = "/") -> Response:
    return _form(request, "sign_in.html.j2", email="", after=after)


@router.post(SIGN_IN, response_class=HTMLResponse)
def sign_in(
    request: Request, state: StateDep, email: Email, password: Password, after: Next = "/"
) -> Response:
    def act(credentials: accounts.Credentials, response: Response) -> object:
        return accounts.sign_in(credentials, state, request, response)

    return _submit(request, "sign_in.html.j2", email, password, after, act)


@router.get(SIGN_UP, response_class=HTMLResponse)
def sign_up_form(request: Request, state: StateDep) -> Response:
    least = state.settings.password_min_length
    return _form(request, "sign_up.html.j2", email="", after="/settings", least=least)


@router.post(SIGN_UP, response_class=HTMLResponse)
def sign_up(request: Request, state: StateDep, email: Email, password: Password) -> Response:
    """A new account, signed in, then to the settings: the engine needs sex and age."""

    def act(credentials: accounts.Credentials, response: Response) -> object:
        return accounts.sign_up(credentials, state, response)

    least = state.settings.password_min_length
    return _submit(request, "sign_up.html.j2", email, password, "/settings", act, least=least)


@router.post("/sign-out")
def sign_out(me: PagePerson, state: StateDep) -> Response:
    end_session(state.db, me.session_token)
    response = RedirectResponse(SIGN_IN, status.HTTP_303_SEE_OTHER)
    clear_session_cookie(response, state.settings)
    return response
