"""The clinic's worklist page, `/clinic/{organisation_id}`: the patients who shared their
record with the clinic, most urgent first, filtered by a flag (links, so no script is
needed), a page at a time, with how many patients carry each flag.

The list is `store.worklist`'s (standings recomputed only for patients whose records
changed); who may open it is `api.worklist.clinic_member`'s decision, as for the API: a
clinic the account is not a member of is 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Annotated, Final, NamedTuple
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from rlsiron.core.knowledge.thresholds import UNIT_TEXT
from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.core.rules.display import decimals_for, show_number
from rlsiron.report.summary import DECISION_HEADLINE
from rlsiron.store.worklist import FLAGS, Flag, WorklistRow, worklist
from rlsiron.web.api.worklist import MOST_PAGES, FlagFilter, OrganisationId, clinic_member
from rlsiron.web.deps import StateDep, Today
from rlsiron.web.pages.session import PagePerson
from rlsiron.web.pages.templating import page

router = APIRouter()

FLAG_WORDS: Final[Mapping[Flag, str]] = {
    "safety": "Safety: TSAT at the safety limit or an urgent finding",
    "below_target_untreated": "Below target, no iron under way",
    "worsening": "Symptoms worsening",
    "retest_overdue": "Retest overdue",
    "awaiting_recheck": "Awaiting a recheck after iron",
    "facts_missing": "No assessment: sex or birth date not given",
}
NOT_ASSESSED: Final = "No assessment yet"

# `page` in the address, as in the API; the route's own name for it keeps page() in reach.
PageNumber = Annotated[int, Query(alias="page", ge=1, le=MOST_PAGES, description="From 1.")]


class Listed(NamedTuple):
    """A worklist row as the table shows it."""

    patient_id: int
    email: str
    decision: str
    flags: tuple[str, ...]
    ferritin: str
    tsat: str
    latest_panel: str
    next_test_due: str


def _shown(test: str, value: float | None) -> str:
    """A value of the iron panel at the analyte's display precision, with its unit."""
    if value is None:
        return "not known"
    unit = ANALYTES[test].canonical_unit
    return f"{show_number(value, decimals_for(test))} {UNIT_TEXT.get(unit, unit)}"


def _listed(row: WorklistRow) -> Listed:
    return Listed(
        patient_id=row.patient_id,
        email=row.email,
        decision=NOT_ASSESSED if row.decision is None else DECISION_HEADLINE[row.decision],
        flags=tuple(FLAG_WORDS[flag] for flag in row.flags),
        ferritin=_shown("ferritin", row.ferritin_ug_l),
        tsat=_shown("tsat", row.tsat_percent),
        latest_panel="none" if row.latest_panel is None else row.latest_panel.isoformat(),
        next_test_due="" if row.next_test_due is None else row.next_test_due.isoformat(),
    )


def worklist_href(organisation_id: int, flag: Flag | None = None, page_number: int = 1) -> str:
    """The worklist's address with a filter and a page (left out when they are the first)."""
    query = {
        **({"flag": flag} if flag else {}),
        **({"page": str(page_number)} if page_number > 1 else {}),
    }
    path = f"/clinic/{organisation_id}"
    return f"{path}?{urlencode(query)}" if query else path


@router.get("/clinic/{organisation_id}", response_class=HTMLResponse)
def worklist_page(
    request: Request,
    organisation_id: OrganisationId,
    me: PagePerson,
    state: StateDep,
    today: Today,
    flag: FlagFilter = None,
    page_number: PageNumber = 1,
) -> HTMLResponse:
    clinic = clinic_member(state.db, me.person_id, organisation_id)
    found = worklist(state.db, organisation_id, today, flag=flag, page=page_number)
    context = {
        "title": f"Worklist: {clinic.organisation}",
        "clinic": clinic,
        "today": today,
        "found": found,
        "rows": [_listed(row) for row in found.rows],
        "flag": flag,
        "shown": "All patients" if flag is None else FLAG_WORDS[flag],
        "flags": [(name, FLAG_WORDS[name], found.counts[name]) for name in FLAGS],
        "href": partial(worklist_href, organisation_id),
        "first_shown": (found.page - 1) * found.per_page + 1,
    }
    return page(request, "worklist.html.j2", context, csrf=me.csrf_token)
