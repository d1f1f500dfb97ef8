"""The personal app's pages: server-rendered HTML (Jinja2) over the same store and engine
functions the JSON API calls, never the API over HTTP.

One router module per page group:
- accounts.py   sign up, sign in, sign out (forms; the API's account functions)
- dashboard.py  the decision card, the charts (vega-embed), next tests, report links;
                both profiles side by side when they decide differently
- decisions.py  how the decision changed: the latest panel dates, and any day asked for
- labs.py       one result with a unit picker and the engine's live check, a whole
                panel, the list with change and delete
- upload.py     a file read and previewed, stored when the person accepts it
- diary.py      a week of the symptom diary and an IRLS score, the lists
- records.py    medicines, conditions, iron courses with the engine's reading; RecordForm
                and add_form_routes: add, change and delete for every record list (the
                diary's too)
- plan.py       the action plan
- resources.py  short articles on RLS and iron (web/resources/), linked from the findings
- settings.py   every fact the engine reads (a form per group), units and profile
- account.py    the JSON and FHIR downloads, deleting the account
- report.py     /report.pdf, /report.html (to print), /next-tests.ics
- errors.py     the HTML pages for 403, 404, 405 and 500 (the API keeps problem details)
Beside them: session.py (`PagePerson`: redirect to sign in, CSRF as a form field),
forms.py (the engine's problems at their fields), templating.py (the Jinja2 environment);
`web/standing.py` is today's assessment and charts, kept while it stands. Templates are in
`web/templates/`, CSS and the vendored JavaScript (`scripts/vendor-js.sh`) in
`web/static/`.
"""

from __future__ import annotations

from typing import Final

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from rlsiron.web.pages import (
    access_log,
    account,
    accounts,
    clinic_admin,
    dashboard,
    decisions,
    diary,
    errors,
    feed,
    labs,
    patient_view,
    plan,
    records,
    report,
    resources,
    settings,
    sharing,
    upload,
    worklist,
)
from rlsiron.web.pages.session import SignInRequired, redirect_to_sign_in

STATIC: Final = "/static"


def install_pages(app: FastAPI) -> None:
    """The pages' routes, their static files, and the sign-in redirect."""
    for module in (
        accounts,
        dashboard,
        decisions,
        labs,
        upload,
        diary,
        records,
        plan,
        resources,
        settings,
        account,
        report,
        sharing,
        access_log,
        worklist,
        patient_view,
        clinic_admin,
        feed,
    ):
        app.include_router(module.router, include_in_schema=False)
    app.mount(STATIC, StaticFiles(packages=[("rlsiron.web", "static")]), name="static")
    app.add_exception_handler(SignInRequired, redirect_to_sign_in)
    errors.install(app)
