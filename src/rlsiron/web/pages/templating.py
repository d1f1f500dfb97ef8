"""The pages' one Jinja2 environment and the way a page is answered.

Autoescaped, strict about undefined names (a misspelt variable is an error in the tests,
not an empty string on a page), templates inside the package (`web/templates/`), so an
installed wheel serves them. Every page gets what the layout needs: the signed-in person's
CSRF token (a hidden field in each form, and `hx-headers` on <body> for htmx requests),
which navigation item is current, and the page's title. A page anyone may read (the
resources, the error pages) asks `reader_csrf` whether someone is signed in, so that a
signed-in reader keeps the navigation. A member of a clinic also finds each of their
clinics' worklists in the navigation (`clinics`), on every page; a patient sees none.

Templates can link a finding to the article that explains it: `article_for(code)` gives
the article's `href` and `title`, `articles_for(codes)` the articles of several findings,
each once (both from `web.resources`). `long_date` writes a date as "24 November 2026".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from typing import Any, Final

from fastapi import Request, status
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from rlsiron.store import session_person
from rlsiron.store.clinic import ClinicMembership, clinics_of
from rlsiron.web.cookies import CSRF_HEADER, csrf_token
from rlsiron.web.deps import StateDep, app_state, person_of, session_token
from rlsiron.web.resources import article_for, articles_for

CSRF_FIELD: Final = "csrf_token"

# The main navigation: (path, words). Ids and order stay stable for the browser tests.
NAVIGATION: Final = (
    ("/", "Dashboard"),
    ("/labs", "Lab results"),
    ("/upload", "Upload"),
    ("/diary", "Symptom diary"),
    ("/medicines", "Medicines and iron"),
    ("/plan", "Action plan"),
    ("/sharing", "Sharing"),
    ("/resources", "Resources"),
    ("/settings", "Settings"),
)


def long_date(day: dt.date) -> str:
    """A date as people write it ("24 November 2026"); Python leaves LC_TIME at "C", so the
    month is in English like the rest of the pages."""
    return f"{day.day} {day:%B %Y}"


@cache
def environment() -> Environment:
    made = Environment(
        loader=PackageLoader("rlsiron.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    made.globals.update(article_for=article_for, articles_for=articles_for)
    made.filters["long_date"] = long_date
    return made


def reader_csrf(request: Request, state: StateDep) -> str | None:
    """The CSRF token of whoever is signed in, None for nobody: a page anyone may read
    shows a signed-in reader the navigation (and its sign-out form) and others the page
    alone. A dependency, and called as a function by the error pages."""
    token = session_token(request, state)
    if token is None or session_person(state.db, token, now=state.now()) is None:
        return None
    return csrf_token(state.key, token)


def clinics(request: Request) -> list[ClinicMembership]:
    """The clinics of whoever the request is from (none for a patient), for the navigation:
    read on each page, so a membership given or taken away shows at the next page."""
    person_id = person_of(request)
    return [] if person_id is None else clinics_of(app_state(request).db, person_id)


def page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    csrf: str | None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """The template rendered with the layout's context; `csrf` None for a signed-out page."""
    html = (
        environment()
        .get_template(template)
        .render(
            **context,
            csrf=csrf,
            csrf_field=CSRF_FIELD,
            htmx_headers={CSRF_HEADER: csrf} if csrf else None,
            navigation=NAVIGATION if csrf else (),
            clinics=clinics(request) if csrf else [],
            current=request.url.path,
        )
    )
    # Pages show health records: no shared or browser cache keeps them.
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})
