"""The app's typed dependencies, FastAPI style: what routes (API and pages) declare they need.

    @router.get("/me/labs")
    def labs(me: CurrentPerson, db: DatabaseDep) -> list[LabRecord]:
        return LABS.all(db, me.person_id)

`CurrentPerson` is the signed-in person (401 when there is none) and, for a request that
changes something (any method but GET, HEAD, OPTIONS), also checks the CSRF token in the
`X-CSRF-Token` header (403 when it is missing or wrong). Everything comes from the
`AppState` that `create_app` builds, so tests inject the clock and a cheap password hasher.

Who a request is from is also kept on the request (`remember_person`, `person_of`): the
audit log (`web.audit`) records it after the route, so no route has to pass it on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends, HTTPException, Request, status

from rlsiron.store import Database, session_person
from rlsiron.web.cookies import CSRF_HEADER, cookie_name, csrf_matches, csrf_token
from rlsiron.web.kept import Kept
from rlsiron.web.passwords import Passwords
from rlsiron.web.ratelimit import FailureLimiter
from rlsiron.web.settings import Settings
from rlsiron.web.standing import Standing, Turn

_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class AppState:
    """What one app holds for its lifetime."""

    settings: Settings
    db: Database
    key: bytes  # signs CSRF tokens
    today: Callable[[], dt.date]
    now: Callable[[], dt.datetime]  # aware, UTC
    passwords: Passwords
    failures_by_email: FailureLimiter
    failures_by_address: FailureLimiter
    standings: Kept[Standing]  # each person's latest standing, while it stands
    replays: Kept[tuple[Turn, ...]]  # and how their decision changed


@dataclass(frozen=True)
class SignedIn:
    """The person a request is from, with their session's token and CSRF token."""

    person_id: int
    session_token: str
    csrf_token: str


def app_state(request: Request) -> AppState:
    state = request.app.state.rlsiron
    assert isinstance(state, AppState), "the app was not built by create_app"
    return state


StateDep = Annotated[AppState, Depends(app_state)]


def _database(state: StateDep) -> Database:
    return state.db


def _settings(state: StateDep) -> Settings:
    return state.settings


def _today(state: StateDep) -> dt.date:
    return state.today()


DatabaseDep = Annotated[Database, Depends(_database)]
SettingsDep = Annotated[Settings, Depends(_settings)]
Today = Annotated[dt.date, Depends(_today)]


def session_token(request: Request, state: StateDep) -> str | None:
    return request.cookies.get(cookie_name(state.settings))


def remember_person(request: Request, person_id: int) -> None:
    """The request is from this signed-in person (for the audit log, after the route)."""
    request.state.person_id = person_id


def person_of(request: Request) -> int | None:
    """Who the request is from, once a sign-in dependency has checked it; None before."""
    found = getattr(request.state, "person_id", None)
    return found if isinstance(found, int) else None


def current_person(request: Request, state: StateDep) -> SignedIn:
    token = session_token(request, state)
    person_id = None if token is None else session_person(state.db, token, now=state.now())
    if token is None or person_id is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in first")
    if request.method not in _SAFE_METHODS and not csrf_matches(
        state.key, token, request.headers.get(CSRF_HEADER)
    ):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"the {CSRF_HEADER} header is missing or wrong"
        )
    remember_person(request, person_id)
    return SignedIn(person_id, token, csrf_token(state.key, token))


CurrentPerson = Annotated[SignedIn, Depends(current_person)]
