"""Where a person stands on a day: their history as the engine reads it, the assessment,
the charts. The dashboard, the plan and the report all start here, so they cannot disagree.

The assessment is made on the stored history (`store.as_input`) for the day, as
`GET /api/v1/me/assessment` does, but not saved: a page view is not a decision worth
keeping, and saving on every view would make reading the dashboard a write. A person whose
facts the engine still needs (sex, birth date) gets the engine's problems instead, which
the pages show with a link to the settings.

A standing is kept per person (`web.kept`) under the store's revision and the day, so a
page view between two changes costs one small query instead of reading and assessing the
whole history again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from rlsiron.core.assessment.assess import assess
from rlsiron.core.models import Assessment, AssessmentInput
from rlsiron.errors import Problem, RlsironError
from rlsiron.store import DIARY, IRLS, Database, PersonRecord, as_input, get_person, revision
from rlsiron.web.charts import (
    Chart,
    IrlsScore,
    ferritin_tsat_chart,
    hemoglobin_chart,
    symptom_chart,
)
from rlsiron.web.kept import Kept
from rlsiron.web.report.view import Report, build_report


@dataclass(frozen=True)
class Standing:
    person: PersonRecord
    inp: AssessmentInput | None
    assessment: Assessment | None
    problems: tuple[Problem, ...]  # why there is no assessment yet
    charts: Mapping[str, Chart]  # by element id, in the person's units; none without one


def standing(db: Database, kept: Kept[Standing], person_id: int, today: dt.date) -> Standing:
    """The person's standing on `today`: the kept one while their revision stands."""
    key: Hashable = (revision(db, person_id), today)
    return kept.get(person_id, key, lambda: _stand(db, person_id, today))


def _stand(db: Database, person_id: int, today: dt.date) -> Standing:
    person = get_person(db, person_id)
    try:
        inp = as_input(db, person_id, today)
    except RlsironError as exc:
        return Standing(person, None, None, exc.problems, {})
    assessment = assess(inp, as_of=today)
    return Standing(person, inp, assessment, (), _charts(db, person, inp, assessment))


def _charts(
    db: Database, person: PersonRecord, inp: AssessmentInput, assessment: Assessment
) -> dict[str, Chart]:
    """The dashboard's charts; the report prints the same ones."""
    units = person.settings.units
    irls = [
        IrlsScore(r.date, r.irls_total if r.irls_total is not None else sum(r.irls_items or ()))
        for r in IRLS.all(db, person.id)
    ]
    return {
        "chart-iron": ferritin_tsat_chart(assessment, units=units, iron_therapy=inp.iron_therapy),
        "chart-hemoglobin": hemoglobin_chart(assessment, units=units),
        "chart-symptoms": symptom_chart(irls=irls, diary=DIARY.all(db, person.id)),
    }


def report_view(s: Standing, generated: dt.datetime) -> Report | None:
    """The report's wording of the assessment (headline, findings with sources, plan)."""
    if s.assessment is None or s.inp is None:
        return None
    return build_report(s.inp, s.assessment, charts_svg=(), generated=generated, person_name=None)
