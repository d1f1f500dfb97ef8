"""Sign up, sign in, who is signed in, sign out: `/api/v1/accounts` and `/api/v1/session`.

Signing up signs in. A failed sign-in counts against the email and the client's address
(`ratelimit.FailureLimiter`); past either limit the answer is 429 with Retry-After, before
the password is even checked, so guessing cannot go on at the pace of argon2. A wrong email
and a wrong password get the same answer in the same time. Sign-in and sign-up need no CSRF
token (there is no session yet); they take JSON only, which a cross-site HTML form cannot
send, so a login-CSRF page cannot sign a browser into the attacker's account.
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field, SecretStr

from rlsiron.errors import RlsironError
from rlsiron.store import (
    PersonRecord,
    create_person,
    end_session,
    find_account,
    get_person,
    set_password_hash,
    start_session,
)
from rlsiron.web.cookies import (
    clear_session_cookie,
    csrf_token,
    new_token,
    set_session_cookie,
)
from rlsiron.web.deps import AppState, CurrentPerson, StateDep
from rlsiron.web.openapi import problem_responses

router = APIRouter(tags=["accounts"])


class Credentials(BaseModel):
    email: str = Field(max_length=320, examples=["anna@example.org"])
    password: SecretStr


class SessionInfo(BaseModel):
    """The signed-in person and the CSRF token to send as X-CSRF-Token."""

    person: PersonRecord
    csrf_token: str


def _signed_in(state: AppState, response: Response, person: PersonRecord) -> SessionInfo:
    token = new_token()
    now = state.now()
    start_session(
        state.db, person.id, token, now=now, expires_at=now + state.settings.session_lifetime
    )
    set_session_cookie(response, state.settings, token)
    return SessionInfo(person=person, csrf_token=csrf_token(state.key, token))


def _too_long(state: AppState, password: str) -> None:
    most = state.settings.password_max_length
    if len(password) > most:
        raise RlsironError(f"is longer than {most} characters", field="password")


@router.post(
    "/accounts",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(HTTPStatus.CONFLICT, HTTPStatus.UNPROCESSABLE_ENTITY),
)
def sign_up(credentials: Credentials, state: StateDep, response: Response) -> SessionInfo:
    """A new account, signed in at once."""
    password = credentials.password.get_secret_value()
    least = state.settings.password_min_length
    if len(password) < least:
        raise RlsironError(
            f"is shorter than {least} characters",
            field="password",
            hint="a passphrase of a few words is long enough and easy to remember",
        )
    _too_long(state, password)
    person = create_person(state.db, credentials.email, state.passwords.hash(password))
    return _signed_in(state, response, person)


@router.post(
    "/session",
    responses=problem_responses(
        HTTPStatus.UNAUTHORIZED, HTTPStatus.UNPROCESSABLE_ENTITY, HTTPStatus.TOO_MANY_REQUESTS
    ),
)
def sign_in(
    credentials: Credentials, state: StateDep, request: Request, response: Response
) -> SessionInfo:
    password = credentials.password.get_secret_value()
    _too_long(state, password)
    now = state.now()
    email = credentials.email.strip().lower()
    address = request.client.host if request.client else "unknown"
    limits = ((state.failures_by_email, email), (state.failures_by_address, address))
    waits = [wait for limiter, key in limits if (wait := limiter.retry_after(key, now))]
    if waits:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many failed sign-ins; try again later",
            headers={"Retry-After": str(max(waits))},
        )
    account = find_account(state.db, email)
    stored = account.password_hash if account else None
    if account is None or not state.passwords.verify(stored, password):
        for limiter, key in limits:
            limiter.failed(key, now)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "the email or password is wrong")
    state.failures_by_email.forget(email)
    if state.passwords.needs_rehash(account.password_hash):
        set_password_hash(state.db, account.id, state.passwords.hash(password))
    return _signed_in(state, response, get_person(state.db, account.id))


@router.get("/session", responses=problem_responses(HTTPStatus.UNAUTHORIZED))
def who(me: CurrentPerson, state: StateDep) -> SessionInfo:
    """The signed-in person and their CSRF token (a page fetches it after a reload)."""
    return SessionInfo(person=get_person(state.db, me.person_id), csrf_token=me.csrf_token)


@router.delete(
    "/session",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN),
)
def sign_out(me: CurrentPerson, state: StateDep, response: Response) -> None:
    """This browser's session ends; the cookie is removed."""
    end_session(state.db, me.session_token)
    clear_session_cookie(response, state.settings)
