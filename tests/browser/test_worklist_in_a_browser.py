"""The clinic in Debian's Chromium against a real server: a patient who entered a low panel
through the forms shares with a clinic; its clinician finds them on the worklist with the
flag the engine's decision gives, opens the patient's view (the charts drawn), adds a note
through the form; after the patient revokes, the same view is 404. axe-core on the
worklist and the patient view; no CSP violation on any page.

The server is this module's own (`rlsiron serve` on a SQLite file in a temporary
directory), so that the test can set the clinic up with the store's functions on the
same database: the sharing pages belong to another module, and are tested there. The
tests share the module's patient and run in file order: the revocation comes last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, StorageState, expect

from rlsiron.store import (
    Database,
    add_member,
    create_organisation,
    create_share_code,
    find_account,
    redeem_share_code,
    revoke_share,
)
from rlsiron.web.pages.worklist import FLAG_WORDS
from tests.browser.conftest import (
    OwnServer as Server,
)
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

DAY: Final = dt.timedelta(days=1)
POINTS: Final = "svg g.mark-symbol path"  # a result drawn by Vega (test_app_in_a_browser)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with own_server(tmp_path_factory.mktemp("worklist-app")) as served:
        yield served


def _person_id(db: Database, email: str) -> int:
    account = find_account(db, email)
    assert account is not None
    return account.id


@dataclass(frozen=True)
class Clinic:
    id: int
    patient_id: int
    patient_email: str
    clinician: StorageState


@pytest.fixture(scope="module")
def clinic(browser: Browser, server: Server) -> Clinic:
    """A patient (facts and a low panel through the forms) shared with a clinic whose
    clinician signed up through the form and was made a member by the store."""
    made = new_context(browser, server.base_url)
    try:
        page = made.new_page()
        patient_email = sign_up(page)
        give_facts(page)
        enter_panel(page)
        made.clear_cookies()
        clinician_email = sign_up(page)
        clinician = made.storage_state()
    finally:
        made.close()
    db, now = server.db, dt.datetime.now(dt.UTC)
    organisation = create_organisation(db, "Sleep clinic of the browser test")
    add_member(db, organisation.id, _person_id(db, clinician_email), "clinician")
    patient_id = _person_id(db, patient_email)
    code = create_share_code(db, patient_id, now=now, lifetime=DAY)
    redeem_share_code(db, code, organisation.id, now=now)
    return Clinic(organisation.id, patient_id, patient_email, clinician)


@pytest.fixture
def clinicians_page(
    browser: Browser, server: Server, clinic: Clinic, watched: Watched
) -> Iterator[Page]:
    """The clinician signed in, in an ordinary context (the CSP in force, every page
    watched for violations)."""
    made = new_context(browser, server.base_url, storage_state=clinic.clinician)
    made.on("page", watched.watch)
    yield made.new_page()
    made.close()
    assert not watched.csp_violations(), "\n".join(watched.csp_violations())


@pytest.fixture
def axe_context(browser: Browser, server: Server, clinic: Clinic) -> Iterator[BrowserContext]:
    """The clinician signed in with the CSP bypassed, only so that axe can be injected."""
    made = new_context(browser, server.base_url, storage_state=clinic.clinician, bypass_csp=True)
    yield made
    made.close()


def test_the_clinician_finds_the_patient_flagged_opens_them_and_adds_a_note(
    clinicians_page: Page, clinic: Clinic
) -> None:
    page = clinicians_page
    page.goto("/")
    page.locator("#main-nav").get_by_role("link", name="Worklist: Sleep clinic").click()
    expect(page.locator("h1")).to_have_text("Worklist: Sleep clinic of the browser test")
    row = page.locator(f"#patient-{clinic.patient_id}")
    expect(row).to_contain_text(clinic.patient_email)
    expect(row).to_contain_text(FLAG_WORDS["below_target_untreated"])
    expect(row).to_contain_text("Iron therapy: worth discussing with your clinician")
    expect(page.locator("#filter-below_target_untreated")).to_contain_text("(1)")
    page.screenshot(path=artefact("browser-worklist.png"), full_page=True)

    with page.expect_navigation():
        row.get_by_role("link", name=clinic.patient_email).click()
    expect(page.locator("h1")).to_have_text(f"Patient: {clinic.patient_email}")
    expect(page.locator("#decision")).to_contain_text("worth discussing with your clinician")
    expect(page.locator("#clinician")).to_contain_text("adult.low_iron")
    expect(page.locator("#history-table tbody tr")).to_have_count(3)  # the panel's results
    expect(page.locator(f"#chart-iron {POINTS}").first).to_be_attached()

    note = "Discussed the options; recheck planned."
    page.get_by_label("Add a note").fill(note)
    with page.expect_navigation():
        page.get_by_role("button", name="Add the note").click()
    expect(page.locator("#note-list")).to_contain_text(note)
    page.screenshot(path=artefact("browser-patient-view.png"), full_page=True)


def _outside_the_charts(page: Page, violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The violations, less `svg-img-alt` on Vega's own mark groups inside a chart: Vega
    gives an empty mark container an image role without a name. The dashboard has the same
    (test_app_in_a_browser's axe test); the chart as a whole is a named role="img" whose
    values are in the tables. Everything else stays a violation."""
    kept = []
    for violation in violations:
        nodes = violation["nodes"]
        if violation["id"] == "svg-img-alt":
            nodes = [
                node
                for node in nodes
                if not page.evaluate(
                    "selector => document.querySelector(selector).closest('.chart-view') !== null",
                    node["target"][0],
                )
            ]
        if nodes:
            kept.append({**violation, "nodes": nodes})
    return kept


def test_axe_finds_no_serious_or_critical_violation_on_the_clinic_pages(
    axe_context: BrowserContext, clinic: Clinic
) -> None:
    page = axe_context.new_page()
    for path in (f"/clinic/{clinic.id}", f"/clinic/{clinic.id}/patients/{clinic.patient_id}"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        violations = _outside_the_charts(page, axe_violations(page))
        assert not violations, f"axe on {path}:\n{describe(violations)}"


def test_after_the_patient_revokes_the_view_is_not_found(
    clinicians_page: Page, server: Server, clinic: Clinic
) -> None:
    page = clinicians_page
    view = f"/clinic/{clinic.id}/patients/{clinic.patient_id}"
    response = page.goto(view)
    assert response is not None and response.status == 200
    revoke_share(server.db, clinic.patient_id, clinic.id, now=dt.datetime.now(dt.UTC))
    response = page.goto(view)
    assert response is not None and response.status == 404
    expect(page.locator("body")).not_to_contain_text(clinic.patient_email)
    page.goto(f"/clinic/{clinic.id}")
    expect(page.locator(f"#patient-{clinic.patient_id}")).to_have_count(0)
    expect(page.locator("#worklist-summary")).to_contain_text("0 patients")
