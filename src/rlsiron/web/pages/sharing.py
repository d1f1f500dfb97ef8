"""Sharing (`/sharing`): a patient makes a code for a clinic, sees who has access, revokes it.

The routes are the API's own functions (`api.clinic`), so the page and `/api/v1/me/...`
cannot drift apart. A new code is shown in the answer to the POST that made it, not after
a redirect: the server keeps only its hash, so the code cannot be shown again, and putting
it in a URL would leave it in the browser's history. Revoking is a POST button that
answers with a redirect to the list, which then names the clinic that lost access.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from rlsiron.store import shares_of
from rlsiron.web.api.clinic import NewCode, new_share_code, revoke
from rlsiron.web.deps import StateDep
from rlsiron.web.pages.session import PagePerson
from rlsiron.web.pages.templating import page

router = APIRouter()
SHARING: Final = "/sharing"


def _sharing_page(
    request: Request,
    me: PagePerson,
    state: StateDep,
    *,
    new_code: NewCode | None = None,
    revoked: int | None = None,
) -> HTMLResponse:
    shares = shares_of(state.db, me.person_id)
    context = {
        "title": "Sharing with a clinic",
        "shares": shares,
        "new_code": new_code,
        "lifetime_days": state.settings.share_code_lifetime.days,
        "revoked": next((s.organisation for s in shares if s.organisation_id == revoked), None),
    }
    return page(request, "sharing.html.j2", context, csrf=me.csrf_token)


@router.get(SHARING, response_class=HTMLResponse)
def sharing(
    request: Request, me: PagePerson, state: StateDep, revoked: int | None = None
) -> HTMLResponse:
    return _sharing_page(request, me, state, revoked=revoked)


@router.post(f"{SHARING}/codes", response_class=HTMLResponse)
def make_code(request: Request, me: PagePerson, state: StateDep) -> HTMLResponse:
    """A new code, shown on this answer only."""
    return _sharing_page(request, me, state, new_code=new_share_code(me, state))


@router.post(f"{SHARING}/{{organisation_id}}/revoke")
def end_access(
    organisation_id: int, request: Request, me: PagePerson, state: StateDep
) -> RedirectResponse:
    """The clinic's access ended (404 when it has none to end), back to the list."""
    revoke(organisation_id, me, state, request)
    return RedirectResponse(
        f"{SHARING}?revoked={organisation_id}", status_code=status.HTTP_303_SEE_OTHER
    )
