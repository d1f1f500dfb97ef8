"""The account: everything stored, downloaded as JSON or as a FHIR R4 Bundle; and deleting
the account with every record.

The downloads are the API's own answers (`api.person.export_me` and `export_fhir`), given
as attachments named by the day, so the page and `GET /api/v1/me/export[/fhir]` cannot
drift apart. Deleting asks for the password and a typed confirmation. The password is
checked as signing in checks it (`Passwords.verify`), and a wrong one counts against the
same per-email limit: otherwise a session left open on a shared computer would let anyone
guess the password here at argon2's pace, with no limit, and then sign in anywhere. The
deletion itself is the API's (`api.person.delete_me`: the person, every record and every
session, and this browser's cookie cleared); the browser lands on a signed-out page that
says it is done.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rlsiron.errors import RlsironError
from rlsiron.store import find_account, get_person
from rlsiron.web.api.person import delete_me, export_fhir, export_me
from rlsiron.web.deps import AppState, StateDep, Today
from rlsiron.web.pages.forms import FieldErrors, FormText
from rlsiron.web.pages.session import PagePerson
from rlsiron.web.pages.templating import page

router = APIRouter()
ACCOUNT: Final = "/account"
DELETED: Final = "/account/deleted"
# What a person types to say they mean it; compared without regard to case or spaces around.
CONFIRMATION: Final = "delete my account"
# Lengths are the password settings' business, as for signing in: no Form bound here.
Password = Annotated[str, Form()]


def _account_page(
    request: Request,
    me: PagePerson,
    state: AppState,
    *,
    errors: FieldErrors | None = None,
    download_errors: FieldErrors | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    context = {
        "title": "Your account",
        "person": get_person(state.db, me.person_id),
        "confirmation": CONFIRMATION,
        "errors": errors or FieldErrors(),
        "download_errors": download_errors or FieldErrors(),
    }
    return page(request, "account.html.j2", context, csrf=me.csrf_token, status_code=status_code)


def _attachment(response: Response, name: str) -> Response:
    """The response downloaded as a file named `name` (never cached: health records)."""
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(ACCOUNT, response_class=HTMLResponse)
def account(request: Request, me: PagePerson, state: StateDep) -> HTMLResponse:
    return _account_page(request, me, state)


@router.get("/account/export.json")
def download_export(me: PagePerson, state: StateDep, today: Today) -> Response:
    """`GET /api/v1/me/export` as a file."""
    everything = export_me(me, state.db, today).model_dump_json()
    response = Response(everything, media_type="application/json")
    return _attachment(response, f"rlsiron-export-{today.isoformat()}.json")


@router.get("/account/export.fhir.json", response_class=HTMLResponse)
def download_fhir(request: Request, me: PagePerson, state: StateDep, today: Today) -> Response:
    """`GET /api/v1/me/export/fhir` (a FHIR R4 Bundle) as a file. It is today's assessment,
    so it needs the facts an assessment needs: without them, the page says which."""
    try:
        bundle = export_fhir(me, state, today)
    except RlsironError as exc:
        missing = FieldErrors(general=[problem.describe() for problem in exc.problems])
        code = status.HTTP_422_UNPROCESSABLE_CONTENT
        return _account_page(request, me, state, download_errors=missing, status_code=code)
    return _attachment(bundle, f"rlsiron-export-{today.isoformat()}.fhir.json")


def _password_problem(state: AppState, email: str, password: str) -> tuple[str, int] | None:
    """Why the password does not let the account be deleted, with the status to answer,
    or None when it is right. Too many wrong ones are refused before hashing, as at sign-in;
    a password longer than any the app accepts cannot be right and is not hashed."""
    now = state.now()
    wait = state.failures_by_email.retry_after(email, now)
    if wait is not None:
        return "too many wrong passwords; try again later", status.HTTP_429_TOO_MANY_REQUESTS
    account = find_account(state.db, email)
    stored = account.password_hash if account else None
    fits = len(password) <= state.settings.password_max_length
    if fits and state.passwords.verify(stored, password):
        return None
    state.failures_by_email.failed(email, now)
    return "the password is wrong", status.HTTP_422_UNPROCESSABLE_CONTENT


@router.post("/account/delete", response_class=HTMLResponse)
def delete_account(
    request: Request,
    me: PagePerson,
    state: StateDep,
    password: Password = "",
    confirmation: FormText = "",
) -> Response:
    """The account and every record gone, this browser signed out; or the form again with
    the problems at their fields and nothing deleted."""
    errors = FieldErrors()
    code = status.HTTP_422_UNPROCESSABLE_CONTENT
    refused = _password_problem(state, get_person(state.db, me.person_id).email, password)
    if refused is not None:
        errors.at["password"], code = refused
    if confirmation.strip().casefold() != CONFIRMATION:
        errors.at["confirmation"] = f'type "{CONFIRMATION}" to confirm'
    if errors:
        return _account_page(request, me, state, errors=errors, status_code=code)
    done = RedirectResponse(DELETED, status.HTTP_303_SEE_OTHER)
    delete_me(me, state, done)
    return done


@router.get(DELETED, response_class=HTMLResponse)
def deleted(request: Request) -> HTMLResponse:
    """Signed out: the page needs nobody, and shows nothing of anyone."""
    return page(request, "account_deleted.html.j2", {"title": "Account deleted"}, csrf=None)
