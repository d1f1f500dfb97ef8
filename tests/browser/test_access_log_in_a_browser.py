"""The access log in Chromium: a patient shares their record with a clinic, a member of the
clinic opens it, and the patient's /access-log says who (the member's email and the
clinic's name), what, when and from where, beside the patient's own changes; the CSV link
downloads the same events; the clinic's administrator sees the read in the clinic's log.
axe-core on both pages; the CSP checked on every page of the ordinary contexts.

The app runs as its own `rlsiron serve` process here, because the clinic is made in its
database directly (`store.clinic`: no page makes a clinic or a member), while everything
the log records goes through the app as the people would.
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from rlsiron.store import (
    Database,
    add_member,
    create_organisation,
    create_share_code,
    redeem_share_code,
)
from rlsiron.store.column_types import utc_now
from tests.browser.conftest import (
    Watched,
    artefact,
    axe_violations,
    describe,
    enter_panel,
    give_facts,
    new_context,
    own_server,
    sign_up,
)

DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Database]]:
    """The app on a fresh SQLite database, and that database opened beside it."""
    with own_server(tmp_path_factory.mktemp("access-log-app")) as server:
        yield server.base_url, server.db


def _person_id(page: Page) -> int:
    me: int = page.request.get("/api/v1/me").json()["id"]
    return me


def _watched_page(context: BrowserContext, watched: Watched) -> Page:
    context.on("page", watched.watch)
    return context.new_page()


def test_a_patient_sees_who_looked_at_their_record(
    browser: Browser, served: tuple[str, Database], tmp_path: Path
) -> None:
    base, db = served
    watched = Watched()
    patient_context, staff_context = new_context(browser, base), new_context(browser, base)
    try:
        patient = _watched_page(patient_context, watched)
        sign_up(patient)
        give_facts(patient)
        enter_panel(patient)
        staff = _watched_page(staff_context, watched)
        staff_email = sign_up(staff)

        clinic_name = f"Sleep clinic {uuid.uuid4().hex[:6]}"
        clinic = create_organisation(db, clinic_name).id
        add_member(db, clinic, _person_id(staff), "admin")
        code = create_share_code(db, _person_id(patient), now=utc_now(), lifetime=DAY)
        redeem_share_code(db, code, clinic, now=utc_now())
        opened = staff.goto(f"/clinic/{clinic}/patients/{_person_id(patient)}")
        assert opened is not None and opened.ok

        patient.goto("/access-log")
        expect(patient.locator("h1")).to_have_text("Who looked at your record")
        events = patient.locator("#audit-events")
        read = events.locator("tbody tr", has_text=staff_email)
        expect(read).to_have_count(1)
        expect(read).to_contain_text("Looked at the record")
        expect(read).to_contain_text(clinic_name)
        expect(read).to_contain_text("127.0.0.1")
        expect(events).to_contain_text("Added lab results")
        expect(events).to_contain_text("Changed facts about you")
        patient.screenshot(path=artefact("browser-access-log.png"), full_page=True)

        with patient.expect_download() as got:
            patient.locator("#audit-csv").click()
        saved = tmp_path / "access-log.csv"
        got.value.save_as(saved)
        with saved.open(newline="", encoding="utf-8") as text:
            rows = list(csv.DictReader(text))
        shown = patient.locator("#audit-events tbody tr")
        expect(shown).to_have_count(len(rows))
        assert [r["actor_email"] for r in rows if r["action"] == "read"] == [staff_email]
        assert {r["subject_id"] for r in rows} == {str(_person_id(patient))}

        staff.goto(f"/clinic/{clinic}/audit")
        logged = staff.locator("#audit-events tbody tr", has_text=staff_email)
        expect(logged.first).to_contain_text("Looked at the record")
        expect(logged.first).to_contain_text(f"#{_person_id(patient)}")

        for context, path in (
            (patient_context, "/access-log"),
            (staff_context, f"/clinic/{clinic}/audit"),
        ):
            checked = new_context(
                browser, base, storage_state=context.storage_state(), bypass_csp=True
            )
            try:
                page = checked.new_page()
                page.goto(path)
                violations = axe_violations(page)
                assert not violations, describe(violations)
            finally:
                checked.close()
    finally:
        patient_context.close()
        staff_context.close()
    assert not watched.csp_violations(), "\n".join(watched.csp_violations())
