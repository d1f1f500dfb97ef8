"""The Resources section and the error pages in Debian's Chromium against a real server:
what a reader sees and follows, signed out and signed in, no CSP violation (the ordinary
contexts of conftest.py), and axe-core on the index, an article and the 404 page."""

from __future__ import annotations

from contextlib import closing
from typing import Final

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import axe_violations, describe

ARTICLE: Final = "/resources/rls-and-iron"
NOT_FOUND: Final = "/no-such-page"


def test_a_signed_out_reader_finds_an_article_and_its_sources(page: Page) -> None:
    page.goto("/resources")
    expect(page.get_by_role("heading", level=1)).to_have_text("Resources")
    expect(page.locator("#main-nav")).to_have_count(0)
    page.get_by_role("link", name="RLS and iron", exact=True).click()
    page.wait_for_url(f"**{ARTICLE}")
    expect(page.get_by_role("heading", level=1)).to_have_text("RLS and iron")
    expect(page.locator("#article-dates")).to_contain_text("Written on 24 November 2026")
    sources = page.locator("#article-sources li")
    expect(sources.first).to_contain_text("AASM-2024")
    page.get_by_role("link", name="All resources on iron and RLS").click()
    page.wait_for_url("**/resources")


def test_a_signed_in_reader_reaches_the_resources_from_the_navigation(
    someones_page: Page,
) -> None:
    someones_page.goto("/")
    someones_page.locator("#main-nav").get_by_role("link", name="Resources").click()
    someones_page.wait_for_url("**/resources")
    expect(someones_page.locator('#main-nav a[aria-current="page"]')).to_have_text("Resources")


def test_an_unknown_page_shows_the_not_found_page(page: Page) -> None:
    response = page.goto(NOT_FOUND)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    page.get_by_role("link", name="Sign in to rlsiron").click()
    page.wait_for_url("**/sign-in")


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("anonymous_axe_context", "/resources"),
        ("anonymous_axe_context", ARTICLE),
        ("anonymous_axe_context", NOT_FOUND),
        ("axe_context", "/resources"),  # signed in: with the navigation
        ("axe_context", NOT_FOUND),
    ],
)
def test_axe_finds_no_serious_or_critical_violation(
    request: pytest.FixtureRequest, who: str, path: str
) -> None:
    context: BrowserContext = request.getfixturevalue(who)
    with closing(context.new_page()) as page:
        page.goto(path)
        violations = axe_violations(page)
    assert not violations, f"axe on {path} ({who}):\n{describe(violations)}"
