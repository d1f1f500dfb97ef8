"""The clinic's lab feed in Debian's Chromium against a real server: a clinician chooses the
lab's HL7 v2 batch (tests/io/data/hl7v2, see its PROVENANCE.md) and a Bulk Data export made
from the SMART sample bundle (tests/io/test_bulk.py), sends them through the feed page and
reads the report: each linked patient's results stored, the results of a patient the clinic
does not know listed with their place and stored nowhere. axe-core on the form, the form
with a problem at the file field, and the report; no CSP violation on any page.

The server is this module's own (`rlsiron serve` on a SQLite file in a temporary
directory), so that the test can set the clinic up with the store's functions on the same
database; the pages that share a record and add a patient are tested in their own modules.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Final

from playwright.sync_api import Browser, Page, expect

from rlsiron.store import (
    LABS,
    Database,
    add_member,
    create_organisation,
    create_person,
    create_share_code,
    find_account,
    redeem_share_code,
)
from rlsiron.store.feed import IdentifierEntry, Staff, add_identifier
from tests.browser.conftest import Watched, axe_violations, describe, new_context, sign_up
from tests.browser.test_worklist_in_a_browser import Server, server
from tests.io.test_bulk import SMART, TWO_PATIENTS, bulk_export

__all__ = ["server"]  # the worklist's own server fixture: a server of this module's own

NOW: Final = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
SMART_MRN: Final = ("http://hospital.smarthealthit.org", "smart-8888803")


def _linked_patient(db: Database, staff: Staff, system: str, value: str) -> int:
    """A patient who shared their record with the clinic, known to it by one identifier."""
    patient = create_person(db, f"patient-{value.lower()}@example.org", "not-a-hash").id
    code = create_share_code(db, patient, now=NOW, lifetime=dt.timedelta(days=1))
    redeem_share_code(db, code, staff.organisation_id, now=NOW)
    add_identifier(db, staff, patient, IdentifierEntry(system=system, value=value))
    return patient


def _send(page: Page, *files: Path) -> None:
    page.get_by_label("Files", exact=True).set_input_files(list(files))
    with page.expect_navigation():
        page.get_by_role("button", name="Import the results").click()


def test_a_clinician_sends_the_labs_files_and_reads_what_was_stored(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    watched = Watched()
    context = new_context(browser, server.base_url)
    context.on("page", watched.watch)
    page = context.new_page()
    account = find_account(server.db, sign_up(page))
    assert account is not None
    clinic = create_organisation(server.db, "Sleep clinic of the feed test").id
    add_member(server.db, clinic, account.id, "clinician")
    staff = Staff(account.id, clinic)
    rosa = _linked_patient(server.db, staff, "CITYLAB", "CL-410022")
    kristyn = _linked_patient(server.db, staff, *SMART_MRN)
    export = []
    for name, data in bulk_export(SMART).items():
        export.append(tmp_path / name)
        export[-1].write_bytes(data)

    page.goto(f"/clinic/{clinic}/feed")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Lab feed: Sleep clinic of the feed test"
    )
    _send(page, TWO_PATIENTS, *export)
    stored = len(LABS.all(server.db, kristyn)) + 2
    expect(page.locator("#feed-summary")).to_have_text(
        f"{stored} results stored for 2 patients; 0 patients with nothing stored because of "
        "a problem; 2 results not matched to any patient."
    )
    expect(page.locator(f"#report-patient-{rosa}")).to_contain_text("CL-410022 (CITYLAB)")
    expect(page.locator(f"#report-patient-{kristyn}")).to_contain_text("smart-8888803")
    unmatched = page.locator("#report-unmatched tbody tr")
    expect(unmatched).to_have_count(2)
    expect(unmatched.first).to_contain_text("CL-410987 (CITYLAB)")
    expect(unmatched.first).to_contain_text(f"{TWO_PATIENTS.name}: OBX 1 of message 2")
    assert [(r.canonical.test, r.value) for r in LABS.all(server.db, rosa)] == [
        ("ferritin", 33),
        ("tsat", 16),
    ]
    context.close()
    assert not watched.csp_violations(), "\n".join(watched.csp_violations())

    # axe is injected, so in a context of its own where the CSP is bypassed.
    checked = new_context(browser, server.base_url, bypass_csp=True)
    try:
        axe_page = checked.new_page()
        member = find_account(server.db, sign_up(axe_page))
        assert member is not None
        add_member(server.db, clinic, member.id, "clinician")
        axe_page.goto(f"/clinic/{clinic}/feed")
        states = {"the form": axe_violations(axe_page)}
        with axe_page.expect_navigation():
            axe_page.get_by_role("button", name="Import the results").click()
        expect(axe_page.locator("#files-error")).to_contain_text("choose one or more files")
        states["the form with a problem"] = axe_violations(axe_page)
        _send(axe_page, TWO_PATIENTS)
        expect(axe_page.locator("#feed-summary")).to_contain_text("0 results stored")
        states["the report"] = axe_violations(axe_page)
        found = {state: describe(v) for state, v in states.items() if v}
        assert not found, f"axe on the feed pages:\n{found}"
    finally:
        checked.close()
