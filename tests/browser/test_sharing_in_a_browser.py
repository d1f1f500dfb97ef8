"""Sharing and the clinic's people in Debian's Chromium against a real server: the operator
makes the clinic with `rlsiron admin create-clinic`; its administrator signs in through
the form and invites a clinician on the staff page; the clinician signs up and joins with
the code on "Your clinics"; a patient creates a code on /sharing; the clinician enters it
on the add-patient page; the patient sees the clinic listed and revokes it, and the
clinician can no longer see them. axe-core on every page of these, in the states a person
meets (a code shown once, a problem at a field); no CSP violation on any page.

Between sharing and revoking, the clinician sees the patient on the clinic's worklist with
the flag their results call for and opens their record; after the revocation the record
answers 404 and the worklist no longer lists them.

The server is this module's own (`rlsiron serve` on a SQLite file in a temporary
directory), so that the CLI can make the clinic in the same data directory and the test
can ask the database whether the clinician still sees the patient.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, StorageState, expect
from typer.testing import CliRunner

from rlsiron import cli
from rlsiron.store import NotFoundError, clinic_of, find_account
from rlsiron.store.clinic import organisation_named
from rlsiron.web.pages.worklist import FLAG_WORDS
from tests.browser.conftest import (
    PASSWORD,
    Watched,
    artefact,
    axe_violations,
    describe,
    enter_panel,
    give_facts,
    new_context,
    new_email,
    own_server,
    sign_up,
)
from tests.browser.conftest import (
    OwnServer as Server,
)

CLINIC: Final = "Sleep clinic of the sharing test"


@dataclass(frozen=True)
class Clinic:
    id: int
    admin_email: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with own_server(tmp_path_factory.mktemp("sharing-app")) as served:
        yield served


@pytest.fixture(scope="module")
def clinic(server: Server) -> Clinic:
    """The clinic and its first administrator, as the operator makes them."""
    email = new_email()
    args = ["admin", "create-clinic", CLINIC, "--admin", email, "--password-stdin"]
    made = CliRunner().invoke(
        cli.app, [*args, "--data-dir", str(server.data_dir)], input=f"{PASSWORD}\n"
    )
    assert made.exit_code == 0, made.stderr
    found = organisation_named(server.db, CLINIC)
    assert found is not None
    return Clinic(found.id, email)


@pytest.fixture
def new_page(browser: Browser, server: Server, watched: Watched) -> Iterator[Callable[[], Page]]:
    """A page in a new ordinary context (another person's browser: the CSP in force, every
    page watched); at the end no page may have reported a CSP violation."""
    opened: list[BrowserContext] = []

    def open_one() -> Page:
        context = new_context(browser, server.base_url)
        context.on("page", watched.watch)
        opened.append(context)
        return context.new_page()

    yield open_one
    for context in opened:
        context.close()
    assert not watched.csp_violations(), "\n".join(watched.csp_violations())


def sign_in(page: Page, email: str, path: str) -> None:
    """Through the sign-in form, landing on `path`."""
    page.goto(f"/sign-in?next={path}")
    form = page.locator("#sign-in-form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        form.get_by_role("button", name="Sign in").click()
    assert page.url.endswith(path), page.locator("body").inner_text()[:300]


def shown_code(page: Page, id_: str) -> str:
    code = page.locator(f"#{id_}-value").inner_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", code), code
    return code


def invite(page: Page, clinic: Clinic) -> str:
    """An invitation made on the staff page; the code as it is shown."""
    page.goto(f"/clinic/{clinic.id}/staff")
    with page.expect_navigation():
        page.get_by_role("button", name="Create an invitation").click()
    expect(page.locator("#invitation")).to_contain_text("This is the only time it is shown")
    return shown_code(page, "invitation")


def join(page: Page, code: str) -> None:
    page.goto("/clinics")
    page.get_by_label("The code from the clinic's administrator").fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Join the clinic").click()


def create_share_code(page: Page) -> str:
    page.goto("/sharing")
    with page.expect_navigation():
        page.get_by_role("button", name="Create a code").click()
    return shown_code(page, "share-code")


def add_patient(page: Page, clinic: Clinic, code: str) -> None:
    page.goto(f"/clinic/{clinic.id}/add-patient")
    page.get_by_label("The patient's code").fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Add the patient").click()


def test_a_patient_shares_with_a_clinician_who_joined_by_invitation_then_revokes(
    new_page: Callable[[], Page], server: Server, clinic: Clinic
) -> None:
    admin = new_page()
    sign_in(admin, clinic.admin_email, f"/clinic/{clinic.id}/staff")
    invitation = invite(admin, clinic)

    clinician = new_page()
    clinician_email = sign_up(clinician)
    join(clinician, invitation)
    expect(clinician.locator("#joined-message")).to_have_text(
        f"You are now a member of {CLINIC} (clinician)."
    )

    patient = new_page()
    patient_email = sign_up(patient)
    give_facts(patient)
    enter_panel(patient)  # low iron stores, no iron taken: the worklist's flag
    patient.goto("/sharing")
    expect(patient.locator("#no-shares")).to_be_visible()
    code = create_share_code(patient)
    expect(patient.locator("#share-code")).to_contain_text("It works once, until")
    patient.screenshot(path=artefact("browser-sharing-code.png"), full_page=True)

    add_patient(clinician, clinic, code)
    expect(clinician.locator("#added-message")).to_contain_text(f"Added: {patient_email}")
    account = find_account(server.db, clinician_email)
    patient_account = find_account(server.db, patient_email)
    assert account is not None and patient_account is not None
    assert clinic_of(server.db, account.id, patient_account.id) == clinic.id
    clinician.goto(f"/clinic/{clinic.id}")  # the worklist, with the patient flagged
    listed = clinician.locator(f"#patient-{patient_account.id}")
    expect(listed).to_contain_text(patient_email)
    expect(listed).to_contain_text(FLAG_WORDS["below_target_untreated"])
    view = f"/clinic/{clinic.id}/patients/{patient_account.id}"
    opened = clinician.goto(view)
    assert opened is not None and opened.status == 200

    patient.goto("/sharing")
    row = patient.locator(f"#share-{clinic.id}")
    expect(row).to_contain_text(CLINIC)
    with patient.expect_navigation():
        row.get_by_role("button", name=f"Revoke the access of {CLINIC}").click()
    expect(patient.locator("#revoked-message")).to_have_text(
        f"{CLINIC} no longer has access to your record."
    )
    expect(row).to_contain_text("Revoked on")
    expect(row.get_by_role("button")).to_have_count(0)
    with pytest.raises(NotFoundError):  # the clinician's next request finds no patient
        clinic_of(server.db, account.id, patient_account.id)
    closed = clinician.goto(view)
    assert closed is not None and closed.status == 404
    expect(clinician.locator("body")).not_to_contain_text(patient_email)
    clinician.goto(f"/clinic/{clinic.id}")
    expect(clinician.locator(f"#patient-{patient_account.id}")).to_have_count(0)

    add_patient(clinician, clinic, code)  # the used code cannot share again
    expect(clinician.locator("#code-error")).to_contain_text("has been used already")


# ---------------------------------------------------------------- axe on every page


@pytest.fixture(scope="module")
def signed_in(browser: Browser, server: Server, clinic: Clinic) -> StorageState:
    """The clinic's administrator signed in (they are a patient too, like anyone)."""
    made = new_context(browser, server.base_url)
    try:
        sign_in(made.new_page(), clinic.admin_email, "/clinics")
        return made.storage_state()
    finally:
        made.close()


@pytest.fixture
def axe_page(browser: Browser, server: Server, signed_in: StorageState) -> Iterator[Page]:
    """Signed in with the CSP bypassed, only so that axe can be injected."""
    made = new_context(browser, server.base_url, storage_state=signed_in, bypass_csp=True)
    yield made.new_page()
    made.close()


def assert_axe_clean(page: Page, state: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe on {page.url} ({state}):\n{describe(violations)}"


def test_axe_finds_no_serious_or_critical_violation_on_the_sharing_pages(
    axe_page: Page, clinic: Clinic
) -> None:
    page = axe_page
    for page_name in ("staff", "add-patient"):
        page.goto(f"/clinic/{clinic.id}/{page_name}")
        assert_axe_clean(page, "as it opens")
    for path in ("/sharing", "/clinics"):
        page.goto(path)
        assert_axe_clean(page, "as it opens")
    code = create_share_code(page)
    assert_axe_clean(page, "a share code shown")
    add_patient(page, clinic, code)  # the administrator shares their own record
    expect(page.locator("#added-message")).to_be_visible()
    assert_axe_clean(page, "a patient added")
    page.goto("/sharing")
    assert_axe_clean(page, "a clinic with access")
    with page.expect_navigation():
        page.get_by_role("button", name=f"Revoke the access of {CLINIC}").click()
    assert_axe_clean(page, "access revoked")
    invite(page, clinic)
    assert_axe_clean(page, "an invitation shown")
    join(page, "not-a-code")
    expect(page.locator("#code-error")).to_be_visible()
    assert_axe_clean(page, "a bad code at its field")
    add_patient(page, clinic, "not-a-code")
    expect(page.locator("#code-error")).to_be_visible()
    assert_axe_clean(page, "a bad code at its field")
