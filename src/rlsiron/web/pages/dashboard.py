"""The dashboard: the current decision with its reasons and sources, the charts, the next
test dates, and the report's links.

Each chart's Vega-Lite spec is embedded in a `<script type="application/json">` element:
data, which the Content-Security-Policy lets through, not script; `static/charts.js` hands
it to vega-embed. Embedding saves a second request per chart and keeps the page and its
charts from one reading of the database.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from rlsiron.web.deps import StateDep, Today
from rlsiron.web.pages.session import PagePerson
from rlsiron.web.pages.templating import page
from rlsiron.web.standing import report_view, standing

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, me: PagePerson, state: StateDep, today: Today) -> HTMLResponse:
    s = standing(state.db, state.standings, me.person_id, today)
    context = {
        "title": "Dashboard",
        "person": s.person,
        "problems": s.problems,
        "report": report_view(s, state.now()),
        "charts": s.chart_json,
        "other_profiles": s.other_profiles,
    }
    return page(request, "dashboard.html.j2", context, csrf=me.csrf_token)
