"""The Resources section: the index of short articles on iron and RLS, and each article.

General information, so anyone may read it, signed in or not: a signed-in reader keeps
the navigation (`reader_csrf`), others see the pages alone. The articles and their index
are data (`web/resources/`), loaded and checked when the app starts; an unknown article
is a 404, which a browser sees as the error page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse

from rlsiron.web.pages.templating import page, reader_csrf
from rlsiron.web.resources import LIBRARY, PREFIX

router = APIRouter()
ReaderCsrf = Annotated[str | None, Depends(reader_csrf)]


@router.get(PREFIX, response_class=HTMLResponse)
def resources(request: Request, csrf: ReaderCsrf) -> HTMLResponse:
    context = {"title": "Resources", "sections": LIBRARY.sections}
    return page(request, "resources.html.j2", context, csrf=csrf)


@router.get(PREFIX + "/{slug}", response_class=HTMLResponse)
def resource(request: Request, slug: str, csrf: ReaderCsrf) -> HTMLResponse:
    article = LIBRARY.articles.get(slug)
    if article is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "there is no article at this address")
    context = {"title": article.title, "article": article}
    return page(request, "resources_article.html.j2", context, csrf=csrf)
