"""Errors as a browser meets them: a page in the layout with the right status code (404,
403, 405, 500), while the API, the CDS Hooks service and any client that does not ask for
HTML keep RFC 9457 problem details."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import anyio
import httpx
import pytest
from fastapi import FastAPI

from tests.web.conftest import FACTS, FERRITIN, Visitor, problem
from tests.web.test_pages import Markup

# What Chromium sends when it navigates to a page.
BROWSER: Final = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)
HTML: Final = {"Accept": BROWSER}
FAILING: Final = "/a-page-that-fails"


def error_page(response: httpx.Response, status: int, title: str) -> Markup:
    """The error page: its status, HTML in the layout, its title as the one heading."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    # A 500 is answered by Starlette's outermost middleware, outside SecurityHeaders, so it
    # carries none of them (known; the page holds no text from the request).
    if status != 500:
        assert "default-src 'self'" in response.headers["content-security-policy"]
    assert f"<title>{title} · rlsiron</title>" in response.text
    assert f"<h1>{title}</h1>" in response.text
    markup = Markup(response.text)
    assert markup.by_id("main")["tabindex"] == "-1"
    assert markup.all("a")[0] == {"class": "skip-link", "href": "#main"}
    return markup


def hrefs(markup: Markup) -> list[str]:
    return [a["href"] for a in markup.all("a")]


def signed_in_without_header(app: FastAPI) -> Visitor:
    """A signed-in browser: its forms carry the token as a field, never the header."""
    visitor = Visitor(app).sign_up()
    assert visitor.call("PUT", "/api/v1/me/facts", json=FACTS).status_code == 200
    visitor.csrf = None
    return visitor


# ---------------------------------------------------------------- 404


def test_an_unknown_page_is_a_not_found_page_with_a_way_back(app: FastAPI) -> None:
    response = Visitor(app).call("GET", "/no-such-page", headers=HTML)
    markup = error_page(response, 404, "Page not found")
    assert "There is no page at this address" in response.text
    assert "/sign-in" in hrefs(markup) and "/resources" in hrefs(markup)
    assert not markup.all("nav")  # signed out: no navigation
    assert "Details:" not in response.text  # "Not Found" says nothing the title does not


def test_a_signed_in_person_gets_the_navigation_and_the_dashboard(app: FastAPI) -> None:
    response = signed_in_without_header(app).call("GET", "/no-such-page", headers=HTML)
    markup = error_page(response, 404, "Page not found")
    assert markup.by_id("main-nav")
    assert "Go to your dashboard" in response.text and "/sign-in" not in hrefs(markup)


@pytest.mark.parametrize(
    "accept",
    ["*/*", "application/json", "application/json, text/html;q=0.5", "text/html;q=0", ""],
)
def test_a_client_that_does_not_ask_for_html_first_gets_problem_details(
    app: FastAPI, accept: str
) -> None:
    response = Visitor(app).call("GET", "/no-such-page", headers={"Accept": accept})
    assert problem(response, 404)["title"] == "Not Found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/no-such-thing"),
        ("GET", "/api"),
        ("GET", "/api/v1/me/labs"),  # signed out: 401, not a page either
        ("POST", "/cds-services/no-such-service"),
    ],
)
def test_the_api_and_the_cds_service_keep_problem_details_for_a_browser(
    app: FastAPI, method: str, path: str
) -> None:
    response = Visitor(app).call(method, path, headers=HTML, json={})
    assert response.headers["content-type"] == "application/problem+json"
    assert response.status_code in (401, 404)


def test_another_persons_record_in_the_api_stays_a_not_found_problem(app: FastAPI) -> None:
    bob = Visitor(app).sign_up()
    record = bob.call("POST", "/api/v1/me/labs", json=FERRITIN).json()
    anna = Visitor(app).sign_up()
    for accept in (BROWSER, "application/json"):
        response = anna.call("GET", f"/api/v1/me/labs/{record['id']}", headers={"Accept": accept})
        body = problem(response, 404)
        assert body["detail"].endswith(str(record["id"]))
        assert set(body) == {"type", "title", "status", "detail"}  # nothing of the record


# ---------------------------------------------------------------- 403 and 405


def test_a_form_without_its_csrf_field_is_refused_with_a_page(app: FastAPI) -> None:
    visitor = signed_in_without_header(app)
    data = {"date": "2026-01-10", "nights_affected": "3", "severity": "4"}
    response = visitor.call("POST", "/diary", data=data, headers=HTML)
    markup = error_page(response, 403, "Not allowed")
    assert "reload the page and try again" in response.text
    assert markup.by_id("error-detail")  # the reason, as the app gave it
    assert markup.by_id("main-nav")  # still signed in
    assert visitor.call("GET", "/api/v1/me/export").json()["records"]["diary"] == []
    # The same refusal to a script stays a problem.
    problem(visitor.call("POST", "/diary", data=data), 403)


def test_a_method_a_page_does_not_take_is_a_page_with_allow(app: FastAPI) -> None:
    response = Visitor(app).call("DELETE", "/resources", headers=HTML)
    error_page(response, 405, "This page cannot do that")
    assert response.headers["allow"] == "GET"


# ---------------------------------------------------------------- 500


@pytest.fixture
def failing_app(app: FastAPI) -> Iterator[FastAPI]:
    """The app with one more page whose code fails, as a bug would."""

    def fails() -> None:
        raise RuntimeError("a secret detail of the failure")

    app.add_api_route(FAILING, fails, include_in_schema=False)
    yield app


def call_failing(app: FastAPI, accept: str) -> httpx.Response:
    """The failing page through the ASGI app, as the server answers it (the error is also
    raised to the server, which logs it)."""

    async def exchange() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get(FAILING, headers={"Accept": accept})

    return anyio.run(exchange)


def test_a_failure_is_a_page_that_shows_nothing_of_it(failing_app: FastAPI) -> None:
    response = call_failing(failing_app, BROWSER)
    markup = error_page(response, 500, "Something went wrong")
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert "/resources" in hrefs(markup)
    body = problem(call_failing(failing_app, "application/json"), 500)
    assert "detail" not in body
