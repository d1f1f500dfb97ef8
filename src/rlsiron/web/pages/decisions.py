"""How the decision changed: the decision on the dates of the latest panels, and on any day
the person asks for, each assessed on the history as it was known that day.

The replay is kept with the standing (`web.standing.replay`); a day asked for is one more
assessment, not kept. A day after today has no history yet and is refused at the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, NamedTuple

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse

from rlsiron.core.assessment.assess import assess
from rlsiron.core.validation import parse_input
from rlsiron.errors import Problem, RlsironError
from rlsiron.report.summary import headline
from rlsiron.store import history_documents
from rlsiron.web.deps import StateDep, Today
from rlsiron.web.pages.forms import FieldErrors
from rlsiron.web.pages.session import PagePerson
from rlsiron.web.pages.templating import page
from rlsiron.web.standing import replay, standing

router = APIRouter()
_ISO_DATE = len(dt.date.min.isoformat())  # "YYYY-MM-DD": the longest day worth reading


class OnDay(NamedTuple):
    """The decision on a day asked for, in the replay's words, with its findings' titles;
    or the problems that kept that day from being assessed."""

    day: dt.date
    headline: str = ""
    why: str = ""
    findings: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()


def _on_day(state: StateDep, person_id: int, day: dt.date) -> OnDay:
    (document,) = history_documents(state.db, person_id, (day,))
    try:
        a = assess(parse_input(document, as_of=day), as_of=day, plan=False)
    except RlsironError as exc:
        return OnDay(day, problems=exc.problems)
    return OnDay(day, headline(a), a.iron_therapy.why, tuple(f.title for f in a.findings))


@router.get("/decisions", response_class=HTMLResponse)
def decisions(
    request: Request,
    me: PagePerson,
    state: StateDep,
    today: Today,
    on: Annotated[str, Query(max_length=_ISO_DATE)] = "",
) -> HTMLResponse:
    s = standing(state.db, state.standings, me.person_id, today)
    errors, asked = FieldErrors(), None
    if on:
        try:
            day = dt.date.fromisoformat(on)
        except ValueError:
            errors.at["on"] = f"not a date: {on!r}; accepted: a date such as {today.isoformat()}"
        else:
            if day > today:
                errors.at["on"] = f"{day} is after today: there is no history of it yet"
            else:
                asked = _on_day(state, me.person_id, day)
    context = {
        "title": "How your decision changed",
        "problems": s.problems,
        "turns": list(reversed(replay(state.db, state.replays, s, today))),
        "on": on or today.isoformat(),
        "asked": asked,
        "errors": errors,
        "today": today,
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK
    return page(request, "decisions.html.j2", context, csrf=me.csrf_token, status_code=code)
