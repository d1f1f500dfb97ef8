"""The report for the doctor as a PDF download and as a page to print, and the next test
dates as a calendar file, each of today's assessment of the person's stored history.

The report's charts are the dashboard's, drawn as SVG (`charts.to_svg`) and embedded as
`data:` images. Without an assessment yet (facts missing) the links lead to the
dashboard, which says what is missing.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rlsiron.web.charts import to_svg
from rlsiron.web.deps import StateDep, Today
from rlsiron.web.pages.session import PagePerson
from rlsiron.web.report import next_tests_ics, render_report_html, render_report_pdf, report_css
from rlsiron.web.standing import Standing, standing

router = APIRouter()
STYLESHEET: Final = "/report.css"


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


def _not_yet() -> RedirectResponse:
    return RedirectResponse("/", status.HTTP_303_SEE_OTHER)


def _svgs(s: Standing) -> list[str]:
    return [to_svg(chart) for chart in s.charts.values()]


@router.get("/report.pdf", response_class=Response)
def report_pdf(me: PagePerson, state: StateDep, today: Today) -> Response:
    s = standing(state.db, state.standings, me.person_id, today)
    if s.inp is None or s.assessment is None:
        return _not_yet()
    pdf = render_report_pdf(s.inp, s.assessment, charts_svg=_svgs(s), generated=state.now())
    name = f"rlsiron-report-{today.isoformat()}.pdf"
    return Response(pdf, media_type="application/pdf", headers=_attachment(name))


@router.get("/report.html", response_class=HTMLResponse)
def report_html(me: PagePerson, state: StateDep, today: Today) -> Response:
    s = standing(state.db, state.standings, me.person_id, today)
    if s.inp is None or s.assessment is None:
        return _not_yet()
    html = render_report_html(
        s.inp,
        s.assessment,
        charts_svg=_svgs(s),
        generated=state.now(),
        stylesheet_href=STYLESHEET,
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get(STYLESHEET)
def report_stylesheet() -> Response:
    return Response(report_css(), media_type="text/css")


@router.get("/next-tests.ics", response_class=Response)
def next_tests(me: PagePerson, state: StateDep, today: Today) -> Response:
    s = standing(state.db, state.standings, me.person_id, today)
    if s.assessment is None:
        return _not_yet()
    ics = next_tests_ics(s.assessment, generated=state.now())
    return Response(ics, media_type="text/calendar", headers=_attachment("rlsiron-next-tests.ics"))
