"""The "Medicines and iron" page in Chromium: a medicine and an oral iron course added
through the forms, the engine's reading of the medicine seen, the course changed on its
edit page, the medicine deleted from the list, by the forms alone (the CSP is checked on
every page, conftest.py); a problem shown at its field; and axe on the page and on an edit
page. Each test signs up its own person, so the people other tests share keep their data.
"""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from rlsiron.core.knowledge.medications import match_medications
from tests.browser.conftest import artefact, axe_violations, describe, new_context, sign_up

MEDICINE = "sertraline 50 mg"


def test_medicines_and_an_iron_course_through_the_forms(page: Page) -> None:
    sign_up(page)
    page.goto("/medicines")
    form = page.locator("#medicine-form")
    form.get_by_label("Medicine").fill(MEDICINE)
    form.get_by_label("Started").fill("2025-06-01")
    with page.expect_navigation():
        form.get_by_role("button", name="Add the medicine").click()

    row = page.locator("#medicine-list tbody tr", has_text=MEDICINE)
    (match,) = match_medications((MEDICINE,))
    expect(row).to_contain_text(f"{match.generic}: {match.drug_class.label}.")
    expect(row).to_contain_text(match.drug_class.why)

    course = page.locator("#iron-course-form")
    course.get_by_label("Kind of iron").select_option("oral")
    course.get_by_label("Product").fill("ferrous sulfate")
    course.get_by_label("Started, or the day of the infusion").fill("2026-01-05")
    with page.expect_navigation():
        course.get_by_role("button", name="Add the iron course").click()
    courses = page.locator("#iron-course-list tbody tr")
    expect(courses).to_have_count(1)
    expect(courses.first).to_contain_text("ongoing")

    courses.first.get_by_role("link", name="Change the iron course of 2026-01-05").click()
    expect(page.locator("h1")).to_have_text("Change the iron course")
    edit = page.locator("#edit-form")
    expect(edit.get_by_label("Product")).to_have_value("ferrous sulfate")
    edit.get_by_label("Ended").fill("2026-02-20")
    with page.expect_navigation():
        edit.get_by_role("button", name="Save the changes").click()
    assert page.url.endswith("/medicines")
    expect(courses.first).to_contain_text("2026-02-20")
    expect(courses.first).not_to_contain_text("ongoing")
    page.screenshot(path=artefact("browser-medicines.png"), full_page=True)

    with page.expect_navigation():
        row.get_by_role("button", name=f"Delete the medicine {MEDICINE}").click()
    expect(page.locator("#medicine-list")).to_have_count(0)
    expect(page.locator("#medicines")).to_contain_text("No medicines yet.")
    expect(courses).to_have_count(1)  # the other lists are untouched


def test_an_end_date_for_an_infusion_is_shown_at_its_field(page: Page) -> None:
    sign_up(page)
    page.goto("/medicines")
    course = page.locator("#iron-course-form")
    course.get_by_label("Kind of iron").select_option("iv")
    course.get_by_label("Started, or the day of the infusion").fill("2026-01-05")
    course.get_by_label("Ended").fill("2026-01-06")
    with page.expect_navigation():
        course.get_by_role("button", name="Add the iron course").click()
    summary = page.locator("#iron-course-errors")
    expect(summary).to_contain_text("no end date")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#iron-course-ended")
    ended = page.locator("#iron-course-ended")
    expect(ended).to_have_attribute("aria-invalid", "true")
    expect(ended).to_have_value("2026-01-06")  # what was typed stays, to correct it
    expect(page.locator("#iron-course-list")).to_have_count(0)


def _assert_no_violation(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe on {page.url}:\n{describe(violations)}"


def test_axe_finds_no_serious_or_critical_violation_on_the_page_and_an_edit_page(
    browser: Browser, base_url: str
) -> None:
    context = new_context(browser, base_url, bypass_csp=True)  # to inject axe
    try:
        page = context.new_page()
        sign_up(page)
        page.goto("/medicines")
        _assert_no_violation(page)  # the lists empty
        condition = page.locator("#condition-form")
        condition.get_by_label("Condition").fill("migraine")
        with page.expect_navigation():
            condition.get_by_role("button", name="Add the condition").click()
        medicine = page.locator("#medicine-form")
        medicine.get_by_label("Medicine").fill(MEDICINE)
        with page.expect_navigation():
            medicine.get_by_role("button", name="Add the medicine").click()
        _assert_no_violation(page)  # the lists filled

        with page.expect_navigation():
            page.get_by_role("link", name="Change the condition migraine").click()
        _assert_no_violation(page)
        page.locator("#edit-form").get_by_label("Condition").fill(" ")
        with page.expect_navigation():
            page.get_by_role("button", name="Save the changes").click()
        expect(page.locator("#condition-errors")).to_be_visible()
        _assert_no_violation(page)  # the edit form with a problem at its field
    finally:
        context.close()
