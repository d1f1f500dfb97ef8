"""The pages' one Jinja2 environment and the way a page is answered.

Autoescaped, strict about undefined names (a misspelt variable is an error in the tests,
not an empty string on a page), templates inside the package (`web/templates/`), so an
installed wheel serves them. Every page gets what the layout needs: the signed-in person's
CSRF token (a hidden field in each form, and `hx-headers` on <body> for htmx requests),
which navigation item is current, and the page's title.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Final

from fastapi import Request, status
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from rlsiron.web.cookies import CSRF_HEADER

CSRF_FIELD: Final = "csrf_token"

# The main navigation: (path, words). Ids and order stay stable for the browser tests.
NAVIGATION: Final = (
    ("/", "Dashboard"),
    ("/labs", "Lab results"),
    ("/diary", "Symptom diary"),
    ("/medicines", "Medicines and iron"),
    ("/plan", "Action plan"),
    ("/settings", "Settings"),
)


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("rlsiron.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    csrf: str | None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """The template rendered with the layout's context; `csrf` None for a signed-out page."""
    html = (
        environment()
        .get_template(template)
        .render(
            **context,
            csrf=csrf,
            csrf_field=CSRF_FIELD,
            htmx_headers={CSRF_HEADER: csrf} if csrf else None,
            navigation=NAVIGATION if csrf else (),
            current=request.url.path,
        )
    )
    # Pages show health records: no shared or browser cache keeps them.
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})
