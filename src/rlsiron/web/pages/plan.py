"""The action plan: the engine's plan sections for the person, in the report's words, with
the section for the clinician apart. Decision support: the plan says what to discuss and
check, never to start, stop or dose a medicine (the engine's wording, shown as it is)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from rlsiron.web.deps import StateDep, Today
from rlsiron.web.pages.session import PagePerson
from rlsiron.web.pages.templating import page
from rlsiron.web.standing import report_view, standing

router = APIRouter()


@router.get("/plan", response_class=HTMLResponse)
def plan(request: Request, me: PagePerson, state: StateDep, today: Today) -> HTMLResponse:
    s = standing(state.db, state.standings, me.person_id, today)
    context = {
        "title": "Action plan",
        "problems": s.problems,
        "report": report_view(s, state.now()),
    }
    return page(request, "plan.html.j2", context, csrf=me.csrf_token)
