"""The audit log in the app: what each route records, recorded without the route's help;
and the log read back, `GET /me/audit` and `GET /clinics/{organisation_id}/audit`.

What is logged: every change of a patient's record by anyone, every export, and every
read of it by someone else (a clinician, through a clinic). A patient reading their own
record is not logged: the log answers "who else looked at my record, and what changed".
Shares and their revocation are logged by the store in the transaction of the change
(`store.clinic`); a clinic's worklist view is one event of the clinic's, not a read of
each patient on it (the read is opening one).

Each route's request is described once, in `RULES` (method and path template -> what it
logs: an action, the record named over the path's parameters, whose record it is), or by
the one convention: a route under a clinic's patient (`/api/v1/clinics/{o}/patients/{p}/...`,
`/clinic/{o}/patients/{p}/...`) is a read (GET), a creation (POST), a change (PUT, PATCH,
POST to `.../edit`) or a deletion (DELETE, POST to `.../delete`) of the record the rest of
its path names ("notes", "report"; nothing: "dashboard"). A test walks every route of the
app: each one that knows who is asking must be described, so a new route cannot be left
out by forgetting.

How it is recorded, so that no route calls anything:
- who: `CurrentPerson` and `PagePerson` keep the person on the request (`deps.person_of`);
- whose record: the person's own for `/me` and the personal pages; for a clinic's patient,
  the one function that lets a member see a patient calls `seeing(organisation_id,
  patient_id)` once it has (`api.worklist.clinic_patient`). A route that must name a
  patient and did not is refused with a 500 rather than answered unlogged;
- a change: before the request's first write transaction commits, its event is added to
  that transaction (`store.audit.before_commits`), so a change and its event commit
  together or not at all; a request that commits nothing (a refusal, a 422, a preview)
  leaves no event;
- a read or an export: when the response starts with a 2xx status, the event is committed
  before the response goes out (a refused or failed request, 404 or 422, is no read); if
  it cannot be, the response is a 500 instead and nothing of the record leaves.
The request's trail (`_Trail`) travels in a context variable, which Starlette copies into
the worker threads that run sync routes and dependencies.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rlsiron.store import Database, role_in
from rlsiron.store.audit import (
    PAGE,
    AuditEntry,
    AuditPage,
    append,
    before_commits,
    clinic_log,
    created,
    csv_lines,
    patient_log,
    record,
    whole_log,
)
from rlsiron.store.clinic import membership
from rlsiron.store.models import ActorRole, AuditAction
from rlsiron.store.owned import LARGEST_ID
from rlsiron.web.deps import AppState, CurrentPerson, DatabaseDep, Today, app_state, person_of
from rlsiron.web.openapi import problem_responses

_API: Final = "/api/v1"  # the app's prefix for the JSON API (web.app.API)
_READING: Final = frozenset({"GET", "HEAD"})
# 2xx: the request did what it asked
_SUCCESS: Final = range(HTTPStatus.OK, HTTPStatus.MULTIPLE_CHOICES)
MOST: Final = 500  # events a page of the API gives at the most (and the CSV reads at once)
CSV_TYPE: Final = "text/csv; charset=utf-8; header=present"  # RFC 4180 with a header row

# ---------------------------------------------------------------- what each route logs

Whose = Literal["self", "patient", "clinic"]
"""Whose record: the signed-in person's own; the clinic's patient the request sees
(`seeing`); or the clinic's own (no patient: its worklist), the path's `organisation_id`."""


@dataclass(frozen=True)
class Logged:
    """A route whose successful requests are logged: the action, the record named over
    the path's parameters ("labs/{record_id}"), and whose record it is."""

    action: AuditAction
    record: str
    whose: Whose = "self"


@dataclass(frozen=True)
class NotLogged:
    """A route that knows who is asking but logs nothing, and why not."""

    why: str


Rule = Logged | NotLogged
Key = tuple[str, str]  # method, path template as the app routes it

_OWN_READ: Final = NotLogged("the patient reading their own record")
_NOTHING_STORED: Final = NotLogged("the engine's reading of what was typed: nothing is stored")
_BY_THE_STORE: Final = NotLogged("the store logs it in the transaction of the change")
_NO_RECORD: Final = NotLogged("no patient's record: an account, a clinic's staff, a form")
_THE_LOG: Final = NotLogged("the audit log itself")
_IDENTIFIERS: Final = "/clinics/{organisation_id}/patients/{patient_id}/identifiers"


def _api_records(kind: str, *, changed: bool = True) -> dict[Key, Rule]:
    """`/me/<kind>` of the records API: list, read, and (`changed`) add, replace; delete."""
    listed, one = f"{_API}/me/{kind}", f"{_API}/me/{kind}/{{record_id}}"
    rules: dict[Key, Rule] = {
        ("GET", listed): _OWN_READ,
        ("GET", one): _OWN_READ,
        ("DELETE", one): Logged("delete", f"{kind}/{{record_id}}"),
    }
    if changed:
        rules[("POST", listed)] = Logged("create", kind)
        rules[("PUT", one)] = Logged("update", f"{kind}/{{record_id}}")
    return rules


def _page_forms(path: str, kind: str, param: str = "record_id") -> dict[Key, Rule]:
    """A page's forms for one kind of record: add, the change form, change, delete."""
    one = f"{path}/{{{param}}}"
    return {
        ("POST", path): Logged("create", kind),
        ("GET", f"{one}/edit"): _OWN_READ,
        ("POST", f"{one}/edit"): Logged("update", f"{kind}/{{{param}}}"),
        ("POST", f"{one}/delete"): Logged("delete", f"{kind}/{{{param}}}"),
    }


RULES: Final[Mapping[Key, Rule]] = {
    # the JSON API: the account and the person
    ("GET", f"{_API}/session"): _NO_RECORD,
    ("DELETE", f"{_API}/session"): _NO_RECORD,
    ("GET", f"{_API}/me"): _OWN_READ,
    ("PUT", f"{_API}/me/facts"): Logged("update", "facts"),
    ("PUT", f"{_API}/me/settings"): Logged("update", "settings"),
    ("DELETE", f"{_API}/me"): Logged("delete", "account"),
    ("GET", f"{_API}/me/export"): Logged("export", "export"),
    ("GET", f"{_API}/me/export/fhir"): Logged("export", "export/fhir"),
    ("GET", f"{_API}/me/assessment"): _OWN_READ,
    ("POST", f"{_API}/me/assessments"): Logged("create", "assessments"),
    ("POST", f"{_API}/me/uploads"): NotLogged("a preview: nothing is stored until accepted"),
    ("POST", f"{_API}/me/uploads/accept"): Logged("import", "uploads"),
    **_api_records("labs"),
    **_api_records("irls"),
    **_api_records("diary"),
    **_api_records("medicines"),
    **_api_records("conditions"),
    **_api_records("iron-courses"),
    **_api_records("assessments", changed=False),
    ("GET", f"{_API}/me/audit"): _OWN_READ,
    # the JSON API: sharing and the clinic
    ("POST", f"{_API}/me/share-codes"): NotLogged("a code shares nothing until it is redeemed"),
    ("GET", f"{_API}/me/shares"): _OWN_READ,
    ("DELETE", f"{_API}/me/shares/{{organisation_id}}"): _BY_THE_STORE,
    ("GET", f"{_API}/me/clinics"): _NO_RECORD,
    ("POST", f"{_API}/me/clinics/join"): _NO_RECORD,
    ("POST", f"{_API}/clinics/{{organisation_id}}/shares"): _BY_THE_STORE,
    ("POST", f"{_API}/clinics/{{organisation_id}}/invitations"): _NO_RECORD,
    ("GET", f"{_API}/clinics/{{organisation_id}}/members"): _NO_RECORD,
    ("GET", f"{_API}/clinics/{{organisation_id}}/worklist"): Logged("read", "worklist", "clinic"),
    ("GET", f"{_API}/clinics/{{organisation_id}}/audit"): _THE_LOG,
    ("POST", f"{_API}/clinics/{{organisation_id}}/feed"): _BY_THE_STORE,
    ("GET", f"{_API}{_IDENTIFIERS}"): NotLogged("the clinic's own identifiers for the patient"),
    ("POST", f"{_API}{_IDENTIFIERS}"): _BY_THE_STORE,
    ("DELETE", f"{_API}{_IDENTIFIERS}/{{identifier_id}}"): _BY_THE_STORE,
    # the personal pages
    ("POST", "/sign-out"): _NO_RECORD,
    ("GET", "/"): _OWN_READ,
    ("GET", "/decisions"): _OWN_READ,
    ("GET", "/labs"): _OWN_READ,
    ("GET", "/labs/units"): _NOTHING_STORED,
    ("POST", "/labs/check"): _NOTHING_STORED,
    ("POST", "/labs/{lab_id}/check"): _NOTHING_STORED,
    ("POST", "/labs/panel/check/{test}"): _NOTHING_STORED,
    ("POST", "/labs/panel"): Logged("create", "labs"),
    **_page_forms("/labs", "labs", "lab_id"),
    ("GET", "/upload"): _OWN_READ,
    ("POST", "/upload"): NotLogged("a preview: nothing is stored until accepted"),
    ("POST", "/upload/accept"): Logged("import", "uploads"),
    ("GET", "/diary"): _OWN_READ,
    **_page_forms("/diary", "diary"),
    **_page_forms("/diary/irls", "irls"),
    ("GET", "/medicines"): _OWN_READ,
    **_page_forms("/medicines/medicine", "medicines"),
    **_page_forms("/medicines/condition", "conditions"),
    **_page_forms("/medicines/iron-course", "iron-courses"),
    ("GET", "/plan"): _OWN_READ,
    ("GET", "/settings"): _OWN_READ,
    ("POST", "/settings/display"): Logged("update", "settings"),
    ("POST", "/settings/{group}"): Logged("update", "facts/{group}"),
    ("GET", "/account"): _OWN_READ,
    ("GET", "/account/export.json"): Logged("export", "export"),
    ("GET", "/account/export.fhir.json"): Logged("export", "export/fhir"),
    ("POST", "/account/delete"): Logged("delete", "account"),
    ("GET", "/report.pdf"): Logged("export", "report"),
    ("GET", "/report.html"): Logged("export", "report"),
    ("GET", "/next-tests.ics"): Logged("export", "next-tests"),
    ("GET", "/access-log"): _OWN_READ,
    ("GET", "/sharing"): _OWN_READ,
    ("POST", "/sharing/codes"): NotLogged("a code shares nothing until it is redeemed"),
    ("POST", "/sharing/{organisation_id}/revoke"): _BY_THE_STORE,
    # the clinic's pages
    ("GET", "/clinics"): _NO_RECORD,
    ("POST", "/clinics/join"): _NO_RECORD,
    ("GET", "/clinic/{organisation_id}"): Logged("read", "worklist", "clinic"),
    ("GET", "/clinic/{organisation_id}/staff"): _NO_RECORD,
    ("POST", "/clinic/{organisation_id}/staff/invite"): _NO_RECORD,
    ("GET", "/clinic/{organisation_id}/add-patient"): _NO_RECORD,
    ("POST", "/clinic/{organisation_id}/add-patient"): _BY_THE_STORE,
    ("GET", "/clinic/{organisation_id}/patients/{patient_id}/report.pdf"): Logged(
        "export", "report", "patient"
    ),
    ("GET", "/clinic/{organisation_id}/audit"): _THE_LOG,
    ("GET", "/clinic/{organisation_id}/feed"): _NO_RECORD,
    ("POST", "/clinic/{organisation_id}/feed"): _BY_THE_STORE,
}

# A clinic's patient: the path's rest names the record (see the module's docstring).
PATIENT_ROUTE: Final = re.compile(
    rf"(?:{re.escape(_API)}/clinics|/clinic)/\{{\w+\}}/patients/\{{\w+\}}(?P<rest>/.*)?"
)
_BY_METHOD: Final[Mapping[str, AuditAction]] = {
    "GET": "read",
    "POST": "create",
    "PUT": "update",
    "PATCH": "update",
    "DELETE": "delete",
}
_FORM_VERBS: Final[Mapping[str, AuditAction]] = {"edit": "update", "delete": "delete"}


def rule_for(method: str, path: str) -> Rule | None:
    """What a request to the route logs; None for a route outside the log (nobody is
    asked who they are there: signing in, the resources, the CDS Hooks service)."""
    explicit = RULES.get((method, path))
    if explicit is not None:
        return explicit
    patient = PATIENT_ROUTE.fullmatch(path)
    if patient is None or method not in _BY_METHOD:
        return None
    segments = [part for part in (patient["rest"] or "").split("/") if part]
    action = _BY_METHOD[method]
    if method == "POST" and segments and segments[-1] in _FORM_VERBS:
        action = _FORM_VERBS[segments.pop()]
    if segments:
        segments[-1] = segments[-1].split(".", 1)[0]  # "report.pdf" is the report
    return Logged(action, "/".join(segments) or "dashboard", "patient")


# ---------------------------------------------------------------- recording


class UnloggedError(RuntimeError):
    """A request that must be logged cannot be: it is refused (500), never answered
    unlogged."""


def client_address(request: Request) -> str | None:
    """Where the request came from, as the log keeps it: the client's IP address as the
    server gives it (behind a reverse proxy, uvicorn's --forwarded-allow-ips makes it the
    proxy's X-Forwarded-For), or None when it is not an IP address."""
    host = request.client.host if request.client else None
    try:
        return None if host is None else str(ipaddress.ip_address(host))
    except ValueError:
        return None


@dataclass
class _Trail:
    """One request on its way: what it logs, once the router has chosen the route."""

    request: Request
    rules: Callable[[Scope], Rule | None]
    seen: tuple[int, int] | None = None  # (clinic, patient), from `seeing`
    changed: bool = False  # its change is logged already

    def logged(self) -> Logged | None:
        found = self.rules(self.request.scope)
        return found if isinstance(found, Logged) else None

    @property
    def state(self) -> AppState:
        return app_state(self.request)

    def entry(self, logged: Logged) -> AuditEntry:
        """The event of this request; `UnloggedError` when who or whose is not known."""
        actor = person_of(self.request)
        if actor is None:
            raise UnloggedError(f"{self.where()}: nobody signed in to log")
        what = logged.record.format_map(self.request.path_params)
        address = client_address(self.request)
        if logged.whose == "self":
            return AuditEntry(
                actor_id=actor,
                actor_role="patient",
                subject_id=actor,
                action=logged.action,
                record=what,
                address=address,
            )
        if logged.whose == "patient":
            if self.seen is None:
                raise UnloggedError(f"{self.where()}: no patient was seen (`seeing`)")
            clinic, patient = self.seen
        else:
            clinic, patient = int(self.request.path_params["organisation_id"]), None
        role: ActorRole | None = role_in(self.state.db, actor, clinic)
        if role is None:
            raise UnloggedError(f"{self.where()}: the actor is no member of clinic {clinic}")
        return AuditEntry(
            actor_id=actor,
            actor_role=role,
            organisation_id=clinic,
            subject_id=patient,
            action=logged.action,
            record=what,
            address=address,
        )

    def before_commit(self, session: Session) -> None:
        """A change's event, into the transaction of the change (the request's first)."""
        if self.changed or self.request.method in _READING:
            return
        logged = self.logged()
        if logged is None:
            return
        entry = self.entry(logged)
        session.flush()
        made = created(session)
        if logged.action == "create" and len(made) == 1:  # the one record it made
            entry = entry.model_copy(update={"record": f"{entry.record}/{made[0]}"})
        append(session, entry, at=self.state.now())
        self.changed = True

    async def answered(self, status_code: int) -> None:
        """A read's or an export's event, committed before its response starts."""
        if self.request.method not in _READING or status_code not in _SUCCESS:
            return
        logged = self.logged()
        if logged is not None:
            await run_in_threadpool(self._record, logged)

    def _record(self, logged: Logged) -> None:
        record(self.state.db, self.entry(logged), at=self.state.now())

    def where(self) -> str:
        return f"{self.request.method} {self.request.url.path}"


_TRAIL: ContextVar[_Trail | None] = ContextVar("rlsiron_audit_trail", default=None)


def seeing(organisation_id: int, patient_id: int) -> None:
    """The request reads or changes this patient's record through this clinic: called by
    the one check that lets a member see a patient, once it has. Outside a request (a
    script, a test of the store) there is nothing to log and this does nothing."""
    trail = _TRAIL.get()
    if trail is None:
        return
    if trail.seen not in (None, (organisation_id, patient_id)):
        raise UnloggedError(f"{trail.where()}: one request, one patient")
    trail.seen = (organisation_id, patient_id)


class _RouteRules:
    """Each route's rule, found once per route: the router gives the route it chose
    (`scope["route"]`) with its path inside its own router, and the app's routes give its
    whole template."""

    def __init__(self) -> None:
        self._found: dict[int, tuple[object, Rule | None]] = {}

    def __call__(self, scope: Scope) -> Rule | None:
        route = scope.get("route")
        if route is None:
            return None
        kept = self._found.get(id(route))
        if kept is None or kept[0] is not route:
            kept = (route, self._rule_of(scope["app"], route, str(scope["method"])))
            self._found[id(route)] = kept
        return kept[1]

    @staticmethod
    def _rule_of(app: FastAPI, route: object, method: str) -> Rule | None:
        for context in iter_route_contexts(app.routes):
            if context.original_route is route and context.path_format is not None:
                return rule_for(method, context.path_format)
        return None


class AuditTrail:
    """The ASGI middleware that gives each request its trail (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.rules = _RouteRules()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trail = _Trail(Request(scope), self.rules)

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                await trail.answered(int(message["status"]))
            await send(message)

        token = _TRAIL.set(trail)
        try:
            await self.app(scope, receive, send_logged)
        finally:
            _TRAIL.reset(token)


def _before_commit(session: Session) -> None:
    trail = _TRAIL.get()
    if trail is not None:
        trail.before_commit(session)


def install(app: FastAPI, db: Database) -> None:
    """The middleware, and the changes' events in their transactions."""
    app.add_middleware(AuditTrail)
    before_commits(db, _before_commit)


# ---------------------------------------------------------------- the log, read back

router = APIRouter(tags=["audit"])

Before = Annotated[
    int | None,
    Query(ge=1, le=LARGEST_ID, description="The page after this event (the last `older`)."),
]
# Not `api.worklist.OrganisationId`: that module calls `seeing`, so it imports this one.
ClinicId = Annotated[int, Path(ge=1, le=LARGEST_ID, description="The clinic's id.")]
Limit = Annotated[int, Query(ge=1, le=MOST, description="Events on the page.")]
Shape = Literal["json", "csv"]
Format = Annotated[
    Shape,
    Query(alias="format", description="`csv`: the whole log as RFC 4180 CSV, newest first."),
]
_READ_LOG: Final[dict[int | str, dict[str, Any]]] = {
    HTTPStatus.OK.value: {
        "description": "A page of events, newest first; or the whole log as CSV.",
        "content": {CSV_TYPE.split(";", 1)[0]: {"schema": {"type": "string"}}},
    },
    **problem_responses(
        HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND, HTTPStatus.UNPROCESSABLE_ENTITY
    ),
}
PageOf = Callable[[int | None, int], AuditPage]


@dataclass(frozen=True)
class Asked:
    """What a request for a log asks: a page (after `before`, `limit` long) or the CSV."""

    before: int | None
    limit: int
    shape: Shape


def _asked(before: Before = None, limit: Limit = PAGE, shape: Format = "json") -> Asked:
    return Asked(before, limit, shape)


LogAsked = Annotated[Asked, Depends(_asked)]


def log_answer(page_of: PageOf, asked: Asked, name: str, today: dt.date) -> AuditPage | Response:
    """A page of the log as JSON, or the whole log as a CSV download named by the day."""
    if asked.shape == "json":
        return page_of(asked.before, asked.limit)
    lines = csv_lines(whole_log(lambda after: page_of(after, MOST)))
    download = {
        "Content-Disposition": f'attachment; filename="rlsiron-{name}-{today.isoformat()}.csv"',
        "Cache-Control": "no-store",
    }
    return StreamingResponse(lines, media_type=CSV_TYPE, headers=download)


@router.get("/me/audit", response_model=AuditPage, responses=_READ_LOG)
def my_audit(
    me: CurrentPerson, db: DatabaseDep, today: Today, asked: LogAsked
) -> AuditPage | Response:
    """Who read or changed the signed-in person's record (their own reads are not kept)."""
    return log_answer(
        lambda after, most: patient_log(db, me.person_id, before=after, limit=most),
        asked,
        "access-log",
        today,
    )


@router.get("/clinics/{organisation_id}/audit", response_model=AuditPage, responses=_READ_LOG)
def clinic_audit(
    organisation_id: ClinicId, me: CurrentPerson, db: DatabaseDep, today: Today, asked: LogAsked
) -> AuditPage | Response:
    """What the clinic's members read and changed, and shares with the clinic (its
    administrators only)."""
    membership(db, organisation_id, me.person_id, roles=("admin",))  # else: no such clinic
    return log_answer(
        lambda after, most: clinic_log(db, organisation_id, before=after, limit=most),
        asked,
        f"clinic-{organisation_id}-audit",
        today,
    )
