"""Upload in Debian's Chromium against a real server: a person chooses a real lab report,
sees what was read, accepts it and finds the results on /labs; discarding stores nothing;
axe-core on the upload form, the form with a problem at the file field, and the preview.
The CSP is checked on every page of the ordinary contexts (conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import axe_violations, describe, sign_up

# MediKeep's LabCorp text (see /work/shared/data/lab-reports/PROVENANCE.md): four results
# rlsiron reads (haemoglobin and MCV, each with a previous result), twenty tests skipped.
LAB_REPORT: Final = Path("/work/shared/data/lab-reports/medikeep-text/labcorp_clean_text.txt")
NOT_A_REPORT: Final = Path("/work/shared/data/lab-reports/medikeep-text/empty_pdf_text.txt")
RESULTS: Final = 4


def preview(page: Page, path: Path) -> None:
    """The file chosen and sent through `#upload-form`, waiting for the answer."""
    page.goto("/upload")
    page.get_by_label("File", exact=True).set_input_files(path)
    with page.expect_navigation():
        page.get_by_role("button", name="Preview the file").click()


def test_a_person_uploads_a_report_checks_it_accepts_it_and_sees_the_results(
    page: Page,
) -> None:
    sign_up(page)
    preview(page, LAB_REPORT)
    expect(page.locator("#preview-file")).to_contain_text(LAB_REPORT.name)
    expect(page.locator("#results-title")).to_have_text(f"Results read ({RESULTS})")
    expect(page.locator("#results tbody tr")).to_have_count(RESULTS)
    expect(page.locator("#results tbody tr").first).to_contain_text("line 10")
    expect(page.locator("#skipped-title")).to_have_text("Tests skipped (20)")

    page.get_by_role("button", name="Accept and store").click()
    page.wait_for_url("**/upload?labs=4*")
    expect(page.locator("#stored")).to_contain_text(f"Stored: {RESULTS} lab results")
    page.get_by_role("link", name="See your lab results").click()
    page.wait_for_url("**/labs")
    rows = page.locator("#stored-labs tbody tr")
    expect(rows).to_have_count(RESULTS)
    expect(rows.filter(has_text="hemoglobin")).to_have_count(2)


def test_discarding_the_preview_stores_nothing(page: Page) -> None:
    sign_up(page)
    preview(page, LAB_REPORT)
    page.get_by_role("link", name="Discard").click()
    page.wait_for_url("**/upload")
    expect(page.locator("#upload-form")).to_be_visible()
    page.goto("/labs")
    expect(page.locator("#stored-labs")).to_contain_text("No results yet.")


def test_a_file_that_cannot_be_read_is_named_at_the_file_field(page: Page) -> None:
    sign_up(page)
    preview(page, NOT_A_REPORT)
    field = page.get_by_label("File", exact=True)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#file-error")).to_contain_text("is empty or in a format")
    page.locator("#upload-errors a").click()
    expect(field).to_be_focused()


def test_axe_finds_no_serious_or_critical_violation_on_the_upload_pages(
    axe_context: BrowserContext,
) -> None:
    page = axe_context.new_page()
    try:
        page.goto("/upload")
        states = {"the form": axe_violations(page)}
        preview(page, NOT_A_REPORT)
        states["the form with a problem"] = axe_violations(page)
        preview(page, LAB_REPORT)
        page.locator("#skipped details summary").click()  # the list of skipped names open
        states["the preview"] = axe_violations(page)
        found = {state: describe(v) for state, v in states.items() if v}
        assert not found, f"axe on the upload pages:\n{found}"
    finally:
        page.close()
