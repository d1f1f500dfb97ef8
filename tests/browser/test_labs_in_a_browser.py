"""Lab entry in Debian's Chromium against a real server: the engine's message appears while
a value is typed (nothing submitted, focus kept), follows a change of unit or of test, and
reads fine once the row is fixed; the result is saved, changed and deleted through the list;
the same messages without JavaScript; axe on /labs with messages shown and on the edit page.
The ordinary contexts fail on any CSP violation (conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import axe_violations, describe, new_context, sign_up

WRONG_UNIT: Final = "Ferritin 38000 ug/dL is outside what the body can plausibly have"


@pytest.fixture
def without_script(browser: Browser, base_url: str) -> Iterator[Page]:
    """A page whose context runs no JavaScript: htmx never loads."""
    made = new_context(browser, base_url, java_script_enabled=False)
    yield made.new_page()
    made.close()


def test_a_wrong_unit_is_said_while_typing_then_the_result_is_saved_changed_and_deleted(
    page: Page,
) -> None:
    sign_up(page)
    page.goto("/labs")
    form = page.locator("#one-result-form")
    form.get_by_label("Test").select_option("ferritin")
    # Choosing a test swaps the unit picker in (htmx): choose the unit once it has come,
    # or a slow answer would replace the choice with the test's first unit.
    page.wait_for_load_state("networkidle")
    form.get_by_label("Unit").select_option("ug/dL")
    value = form.get_by_label("Value")
    value.press_sequentially("38000", delay=30)
    message = page.locator("#lab-check")
    expect(message).to_contain_text(WRONG_UNIT)
    expect(message).to_contain_text("did you mean ug/L, ng/mL or pmol/L?")
    assert page.url.endswith("/labs"), page.url  # nothing was submitted
    expect(value).to_be_focused()  # the message took no focus
    expect(page.locator("#stored-labs")).to_contain_text("No results yet.")

    form.get_by_label("Unit").select_option("ug/L")
    expect(message).to_have_text("Reads as 38000 ug/L.")
    form.get_by_role("button", name="Save the result").click()
    page.wait_for_url("**/labs?saved=true")
    row = page.locator("#stored-labs tbody tr").first
    expect(row).to_contain_text("38000 ug/L")

    row.get_by_role("link", name=re.compile("^Change ferritin")).click()
    page.wait_for_url(re.compile(r"/labs/[0-9]+/edit$"))
    expect(page.locator("#lab-check")).to_have_text("Reads as 38000 ug/L.")
    edit = page.locator("#edit-form")
    edit.get_by_label("Value").fill("380")
    expect(page.locator("#lab-check")).to_have_text("Reads as 380 ug/L.")
    edit.get_by_role("button", name="Save the changes").click()
    page.wait_for_url("**/labs?saved=true")
    expect(row).to_contain_text("380 ug/L")

    row.get_by_role("button", name=re.compile("^Delete ferritin")).click()
    page.wait_for_url("**/labs?deleted=true")
    expect(page.locator("#deleted")).to_have_text("Deleted.")
    expect(page.locator("#stored-labs")).to_contain_text("No results yet.")


def test_another_test_is_checked_with_its_own_unit(page: Page) -> None:
    """The unit picker is swapped first; the check then reads the row with the new test's
    canonical unit, never the old test's (which would be "not valid for hemoglobin")."""
    sign_up(page)
    page.goto("/labs")
    form = page.locator("#one-result-form")
    form.get_by_label("Value").press_sequentially("126", delay=30)
    message = page.locator("#lab-check")
    expect(message).to_have_text("Reads as 126 ug/L.")
    form.get_by_label("Test").select_option("hemoglobin")
    expect(form.get_by_label("Unit")).to_have_value("g/dL")
    expect(message).to_contain_text("Hemoglobin 126 g/dL is outside")
    expect(message).to_contain_text("did you mean g/L?")
    expect(message).not_to_contain_text("not valid")


def test_a_panel_row_is_checked_while_typing(page: Page) -> None:
    sign_up(page)
    page.goto("/labs")
    page.locator("#value-tsat").press_sequentially("0.18", delay=30)
    expect(page.locator("#check-tsat")).to_contain_text(
        "0.18 looks like a fraction: if it is, it is 18 % (write 18 with unit %)"
    )
    expect(page.locator("#check-ferritin")).to_have_text("")


def test_without_javascript_the_check_and_saving_say_the_same(without_script: Page) -> None:
    page = without_script
    sign_up(page)
    page.goto("/labs")
    form = page.locator("#one-result-form")
    form.get_by_label("Unit").select_option("ug/dL")
    form.get_by_label("Value").fill("38000")
    form.get_by_role("button", name="Check without saving").click()
    page.wait_for_url("**/labs/check")
    expect(page.locator("#lab-check")).to_contain_text(WRONG_UNIT)
    expect(page.locator("#stored-labs")).to_contain_text("No results yet.")
    page.locator("#one-result-form").get_by_role("button", name="Save the result").click()
    page.wait_for_url("**/labs?saved=true")
    expect(page.locator("#stored-labs tbody tr").first).to_contain_text(WRONG_UNIT)


def test_axe_on_labs_with_messages_shown(axe_context: BrowserContext) -> None:
    page = axe_context.new_page()
    try:
        page.goto("/labs")
        form = page.locator("#one-result-form")
        form.get_by_label("Unit").select_option("ug/dL")
        form.get_by_label("Value").press_sequentially("38000", delay=30)
        page.locator("#value-hemoglobin").press_sequentially("126", delay=30)
        expect(page.locator("#lab-check")).to_contain_text(WRONG_UNIT)
        expect(page.locator("#check-hemoglobin")).to_contain_text("did you mean g/L?")
        violations = axe_violations(page)
        assert not violations, f"axe on /labs with messages:\n{describe(violations)}"
    finally:
        page.close()


def test_axe_on_the_edit_page(axe_context: BrowserContext) -> None:
    page = axe_context.new_page()
    try:
        page.goto("/labs")
        page.locator("#stored-labs tbody tr").first.get_by_role(
            "link", name=re.compile("^Change")
        ).click()
        page.wait_for_url(re.compile(r"/labs/[0-9]+/edit$"))
        expect(page.locator("#lab-check")).to_contain_text("Reads as")
        violations = axe_violations(page)
        assert not violations, f"axe on the edit page:\n{describe(violations)}"
    finally:
        page.close()
