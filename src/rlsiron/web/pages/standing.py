"""Where a person stands today: their history as the engine reads it, the assessment, the
charts. The dashboard, the plan and the report all start here, so they cannot disagree.

The assessment is made on the stored history (`store.as_input`) for the day, as
`GET /api/v1/me/assessment` does, but not saved: a page view is not a decision worth
keeping, and saving on every view would make reading the dashboard a write. A person whose
facts the engine still needs (sex, birth date) gets the engine's problems instead, which
the pages show with a link to the settings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rlsiron.core.assessment.assess import assess
from rlsiron.core.models import Assessment, AssessmentInput
from rlsiron.errors import Problem, RlsironError
from rlsiron.store import DIARY, IRLS, Database, PersonRecord, as_input, get_person
from rlsiron.web.charts import (
    Chart,
    IrlsScore,
    ferritin_tsat_chart,
    hemoglobin_chart,
    symptom_chart,
)
from rlsiron.web.report.view import Report, build_report


@dataclass(frozen=True)
class Standing:
    person: PersonRecord
    inp: AssessmentInput | None
    assessment: Assessment | None
    problems: tuple[Problem, ...]  # why there is no assessment yet


def standing(db: Database, person_id: int, today: dt.date) -> Standing:
    person = get_person(db, person_id)
    try:
        inp = as_input(db, person_id, today)
    except RlsironError as exc:
        return Standing(person, None, None, exc.problems)
    return Standing(person, inp, assess(inp, as_of=today), ())


def charts(db: Database, s: Standing) -> dict[str, Chart]:
    """The dashboard's charts by element id, in the person's units; empty without an
    assessment. The report prints the same charts."""
    if s.assessment is None or s.inp is None:
        return {}
    units = s.person.settings.units
    irls = [
        IrlsScore(r.date, r.irls_total if r.irls_total is not None else sum(r.irls_items or ()))
        for r in IRLS.all(db, s.person.id)
    ]
    return {
        "chart-iron": ferritin_tsat_chart(
            s.assessment, units=units, iron_therapy=s.inp.iron_therapy
        ),
        "chart-hemoglobin": hemoglobin_chart(s.assessment, units=units),
        "chart-symptoms": symptom_chart(irls=irls, diary=DIARY.all(db, s.person.id)),
    }


def report_view(s: Standing, generated: dt.datetime) -> Report | None:
    """The report's wording of the assessment (headline, findings with sources, plan)."""
    if s.assessment is None or s.inp is None:
        return None
    return build_report(s.inp, s.assessment, charts_svg=(), generated=generated, person_name=None)
