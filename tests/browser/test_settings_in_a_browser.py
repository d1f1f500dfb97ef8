"""The settings and account pages in Debian's Chromium against a real server: a person sets
the kidney status and the RLS criteria, finds them checked again, downloads both exports
and deletes the account; axe-core on each page, and on each with a form's problems shown.
The CSP is checked on every page of the ordinary contexts (see conftest.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from rlsiron.web.pages.account import CONFIRMATION
from tests.browser.conftest import PASSWORD, axe_violations, describe, give_facts, sign_up

# The answers given, by criterion fieldset; the last is left "not given".
ANSWERS: Final = {
    "rls-urge": "Yes",
    "rls-rest": "Yes",
    "rls-movement_relief": "Yes",
    "rls-evening": "No",
    "rls-not_mimic": "Not given",
}
DATED: Final = r"rlsiron-export-\d{4}-\d{2}-\d{2}"


def download(page: Page, link: str, saved: Path) -> object:
    """The file behind the link, saved and read as JSON; its suggested name checked."""
    with page.expect_download() as event:
        page.locator(link).click()
    got = event.value
    extension = r"\.fhir\.json" if "fhir" in link else r"\.json"
    assert re.fullmatch(DATED + extension, got.suggested_filename), got.suggested_filename
    got.save_as(saved)
    return json.loads(saved.read_text(encoding="utf-8"))


def test_a_person_sets_kidneys_and_criteria_downloads_and_deletes_the_account(
    page: Page, tmp_path: Path
) -> None:
    email = sign_up(page)
    give_facts(page)

    page.goto("/settings")
    kidney = page.locator("#kidney-form")
    kidney.get_by_label(re.compile(r"^On dialysis")).check()
    kidney.get_by_role("button", name="Save kidneys").click()
    page.wait_for_url("**/settings#kidney-section")
    criteria = page.locator("#rls-criteria-form")
    for fieldset, answer in ANSWERS.items():
        criteria.locator(f"#{fieldset}").get_by_label(answer, exact=True).check()
    criteria.get_by_role("button", name="Save the criteria").click()
    page.wait_for_url("**/settings#rls-criteria-section")

    page.reload()
    expect(page.locator("#kidney-dialysis")).to_be_checked()
    expect(page.locator("#rls-evening-no")).to_be_checked()
    expect(page.locator("#rls-not_mimic-not-given")).to_be_checked()

    page.get_by_role("link", name="Download your data or delete your account").click()
    page.wait_for_url("**/account")
    everything = download(page, "#export-json", tmp_path / "export.json")
    assert isinstance(everything, dict)
    assert everything["person"]["email"] == email
    assert everything["person"]["facts"]["kidney"] == "dialysis"
    assert everything["input"]["person"]["kidney"] == "dialysis"
    assert everything["input"]["rls"]["criteria"] == {
        "urge": True,
        "rest": True,
        "movement_relief": True,
        "evening": False,
    }
    bundle = download(page, "#export-fhir", tmp_path / "export.fhir.json")
    assert isinstance(bundle, dict)
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "collection")

    form = page.locator("#delete-form")
    form.get_by_label("Your password").fill("not my password at all")
    form.get_by_label("to confirm").fill(CONFIRMATION)
    form.get_by_role("button", name="Delete my account").click()
    expect(page.locator("#password-error")).to_have_text("the password is wrong")
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")

    form.get_by_label("Your password").fill(PASSWORD)
    form.get_by_label("to confirm").fill(CONFIRMATION)
    form.get_by_role("button", name="Delete my account").click()
    page.wait_for_url("**/account/deleted")
    expect(page.locator("#deleted")).to_contain_text("have been deleted")
    expect(page.locator("#main-nav")).to_have_count(0)
    page.goto("/settings")
    assert "/sign-in" in page.url


@contextmanager
def opened(context: BrowserContext, path: str) -> Iterator[Page]:
    """A new page of the context at `path`, closed afterwards (the axe contexts are shared)."""
    page = context.new_page()
    try:
        page.goto(path)
        yield page
    finally:
        page.close()


def no_serious_violations(page: Page, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe on {where}:\n{describe(violations)}"


@pytest.mark.parametrize("path", ["/settings", "/account"])
def test_axe_finds_no_serious_or_critical_violation(axe_context: BrowserContext, path: str) -> None:
    with opened(axe_context, path) as page:
        no_serious_violations(page, path)


def test_axe_on_the_settings_page_with_problems(axe_context: BrowserContext) -> None:
    with opened(axe_context, "/settings") as page:
        form = page.locator("#pregnancy-form")
        form.get_by_label("On the day").fill("2026-01-01")  # a day without its weeks
        form.get_by_role("button", name="Save pregnancy").click()
        expect(page.locator("#pregnancy-errors")).to_be_visible()
        expect(page.locator("#pregnancy_weeks-error")).to_contain_text("a day is given")
        no_serious_violations(page, "/settings with a pregnancy problem")


def test_axe_on_the_account_page_with_problems(axe_context: BrowserContext) -> None:
    with opened(axe_context, "/account") as page:
        form = page.locator("#delete-form")
        form.get_by_label("Your password").fill("a wrong password")
        form.get_by_role("button", name="Delete my account").click()
        expect(page.locator("#delete-errors")).to_be_visible()
        expect(page.locator("#confirmation-error")).to_be_visible()
        no_serious_violations(page, "/account with problems")


def test_axe_on_the_signed_out_page_after_deletion(anonymous_axe_context: BrowserContext) -> None:
    with opened(anonymous_axe_context, "/account/deleted") as page:
        expect(page.locator("#deleted")).to_be_visible()
        no_serious_violations(page, "/account/deleted")
