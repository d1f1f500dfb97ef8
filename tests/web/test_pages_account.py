"""The account page: the two downloads (the API's exports, as dated files) and deleting the
account through the form, counted in the database: a wrong password or confirmation deletes
nothing, the right ones delete every row of the person and end every session of theirs."""

from __future__ import annotations

import json
from typing import Any, Final

import httpx
from fastapi import FastAPI
from fhir.resources.R4B.bundle import Bundle
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from rlsiron.store import Database, Export
from rlsiron.store.models import Base
from rlsiron.web.pages.account import CONFIRMATION
from tests.store.helpers import CLINIC_TABLES, NOT_A_PERSONS
from tests.web.conftest import FACTS, FERRITIN, PASSWORD, TODAY, TSAT, Visitor
from tests.web.test_pages import Markup, form_visitor, get, post_form
from tests.web.test_pages_settings import error_at

ACCOUNT: Final = "/account"
# One record of each kind the API keeps, so that a deletion has something everywhere.
RECORDS: Final[dict[str, dict[str, Any]]] = {
    "irls": {"date": "2026-01-05", "irls_total": 22},
    "diary": {"date": "2026-01-05", "nights_affected": 4, "severity": 6},
    "medicines": {"text": "sertraline", "started": "2025-06-01"},
    "conditions": {"text": "coeliac disease"},
    "iron-courses": {"route": "oral", "product": "ferrous sulfate", "started": "2025-10-01"},
}


def someone_with_records(app: FastAPI) -> Visitor:
    """A person with facts and a record in every table (a saved assessment too); their
    requests carry the CSRF field of the forms only, as a browser's do."""
    visitor = Visitor(app).sign_up()
    assert visitor.call("PUT", "/api/v1/me/facts", json=FACTS).status_code == 200
    for row in (FERRITIN, TSAT):
        assert visitor.call("POST", "/api/v1/me/labs", json=row).status_code == 201
    for kind, row in RECORDS.items():
        assert visitor.call("POST", f"/api/v1/me/{kind}", json=row).status_code == 201, kind
    assert visitor.call("POST", "/api/v1/me/assessments").status_code == 201  # saves one
    visitor.csrf = None
    return visitor


def person_id(visitor: Visitor) -> int:
    found: Any = visitor.call("GET", "/api/v1/me").json()["id"]
    assert isinstance(found, int)
    return found


def rows_of(db: Database, person: int) -> dict[str, int]:
    """How many rows of every table of a patient's own records belong to the person (the
    person's own row included; the clinic's tables are tests/store's)."""
    counts = {}
    with db.reading() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in NOT_A_PERSONS or table.name in CLINIC_TABLES:
                continue
            owner = table.c.person_id if "person_id" in table.c else table.c.id
            query = select(func.count()).select_from(table).where(owner == person)
            counts[table.name] = session.scalar(query) or 0
    return counts


def delete(visitor: Visitor, password: str, confirmation: str = CONFIRMATION) -> httpx.Response:
    data = {"password": password, "confirmation": confirmation}
    return post_form(visitor, "/account/delete", data, ACCOUNT)


# ---------------------------------------------------------------- the page and downloads


def test_the_account_page_needs_signing_in_and_offers_both_downloads(app: FastAPI) -> None:
    assert Visitor(app).call("GET", ACCOUNT).headers["location"] == "/sign-in?next=%2Faccount"
    _, markup = get(form_visitor(app), ACCOUNT)
    assert markup.by_id("export-json")["href"] == "/account/export.json"
    assert markup.by_id("export-fhir")["href"] == "/account/export.fhir.json"
    assert markup.by_id("delete-form")["method"] == "post"
    assert markup.by_id("password")["type"] == "password"


def downloaded(visitor: Visitor, path: str, media_type: str, extension: str) -> httpx.Response:
    """A download: its media type, a file named by the day, and never cached."""
    response = visitor.call("GET", path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    assert response.headers["content-disposition"] == (
        f'attachment; filename="rlsiron-export-{TODAY.isoformat()}{extension}"'
    )
    assert response.headers["cache-control"] == "no-store"
    return response


def test_the_json_download_is_the_apis_export_as_a_dated_file(app: FastAPI) -> None:
    visitor = someone_with_records(app)
    response = downloaded(visitor, "/account/export.json", "application/json", ".json")
    document = response.json()
    schema = Export.model_json_schema(mode="serialization")
    errors = sorted(Draft202012Validator(schema).iter_errors(document), key=str)
    assert not errors, errors[0].message if errors else ""
    Export.model_validate_json(response.content)
    assert document == visitor.call("GET", "/api/v1/me/export").json()
    assert [c["text"] for c in document["records"]["conditions"]] == ["coeliac disease"]
    assert len(document["records"]["assessments"]) == 1


def test_the_fhir_download_is_the_apis_r4_bundle_as_a_dated_file(app: FastAPI) -> None:
    visitor = someone_with_records(app)
    fhir = "application/fhir+json"
    response = downloaded(visitor, "/account/export.fhir.json", fhir, ".fhir.json")
    bundle = Bundle.model_validate(json.loads(response.content))
    assert bundle.type == "collection"
    kinds = {e.resource.get_resource_type() for e in bundle.entry or () if e.resource}
    assert {"Patient", "Observation"} <= kinds
    assert response.json() == visitor.call("GET", "/api/v1/me/export/fhir").json()


def test_without_the_facts_the_fhir_download_says_what_is_missing(app: FastAPI) -> None:
    visitor = Visitor(app).sign_up()
    response = visitor.call("GET", "/account/export.fhir.json")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "content-disposition" not in response.headers
    summary = Markup(response.text).by_id("download-errors")
    assert summary["role"] == "alert"
    assert "person.sex" in response.text


# ---------------------------------------------------------------- deletion


def test_a_wrong_password_deletes_nothing_and_is_shown_at_the_field(any_app: FastAPI) -> None:
    visitor = someone_with_records(any_app)
    db = any_app.state.rlsiron.db
    before = rows_of(db, person_id(visitor))
    assert all(before.values()), before  # a row in every table: the test can fail

    response = delete(visitor, "not the password at all")
    assert response.status_code == 422
    markup = Markup(response.text)
    assert markup.by_id("password")["aria-invalid"] == "true"
    assert error_at(response.text, "password") == "the password is wrong"
    assert PASSWORD not in response.text and 'value="not the password' not in response.text
    assert rows_of(db, person_id(visitor)) == before
    assert visitor.call("GET", "/").status_code == 200  # still signed in


def test_without_the_typed_confirmation_nothing_is_deleted(app: FastAPI) -> None:
    visitor = someone_with_records(app)
    before = rows_of(app.state.rlsiron.db, person_id(visitor))
    response = delete(visitor, PASSWORD, confirmation="delete")
    assert response.status_code == 422
    assert CONFIRMATION in error_at(response.text, "confirmation")
    assert error_at(response.text, "password") == ""
    assert rows_of(app.state.rlsiron.db, person_id(visitor)) == before


def test_the_right_password_deletes_every_row_and_ends_the_session(any_app: FastAPI) -> None:
    visitor = someone_with_records(any_app)
    other = someone_with_records(any_app)
    db = any_app.state.rlsiron.db
    me, them = person_id(visitor), person_id(other)
    theirs = rows_of(db, them)
    old_cookies = httpx.Cookies(visitor.cookies)

    response = delete(visitor, PASSWORD, confirmation=f"  {CONFIRMATION.upper()} ")
    assert response.status_code == 303 and response.headers["location"] == "/account/deleted"
    assert "Max-Age=0" in response.headers["set-cookie"]  # this browser's cookie removed
    assert set(rows_of(db, me).values()) == {0}
    assert rows_of(db, them) == theirs  # nobody else's

    done = visitor.call("GET", "/account/deleted")
    assert done.status_code == 200 and "have been deleted" in done.text
    assert 'id="main-nav"' not in done.text  # signed out: no navigation
    stale = Visitor(any_app, cookies=old_cookies)
    assert stale.call("GET", "/").status_code == 303
    assert stale.call("GET", "/api/v1/me").status_code == 401
    wrong = stale.call("POST", "/sign-in", data={"email": visitor.email, "password": PASSWORD})
    assert wrong.status_code == 401


def test_wrong_passwords_count_against_the_sign_in_limit(app: FastAPI) -> None:
    visitor = someone_with_records(app)
    limit = app.state.rlsiron.settings.login_failures_per_email
    for _ in range(limit):
        assert delete(visitor, "a wrong guess, again").status_code == 422
    response = delete(visitor, PASSWORD)
    assert response.status_code == 429
    assert "too many wrong passwords" in error_at(response.text, "password")
    assert all(rows_of(app.state.rlsiron.db, person_id(visitor)).values())
    signing_in = Visitor(app).call(
        "POST", "/sign-in", data={"email": visitor.email, "password": PASSWORD}
    )
    assert signing_in.status_code == 429


def test_the_delete_form_without_the_csrf_field_is_refused(app: FastAPI) -> None:
    visitor = someone_with_records(app)
    before = rows_of(app.state.rlsiron.db, person_id(visitor))
    data = {"password": PASSWORD, "confirmation": CONFIRMATION}
    assert visitor.call("POST", "/account/delete", data=data).status_code == 403
    assert rows_of(app.state.rlsiron.db, person_id(visitor)) == before
