"""Where a person stands on a day: their history as the engine reads it, the assessment,
the charts. The dashboard, the plan and the report all start here, so they cannot disagree.

The assessment is made on the stored history (`store.as_input`) for the day, as
`GET /api/v1/me/assessment` does, but not saved: a page view is not a decision worth
keeping, and saving on every view would make reading the dashboard a write. A person whose
facts the engine still needs (sex, birth date) gets the engine's problems instead, which
the pages show with a link to the settings.

A standing also carries the decision under each other guideline profile, when it differs
from the person's own. The replay of how the decision changed (the decision on the dates
of the latest panels, from one reading of the history) is apart, for the decisions page:
it assesses a dozen days, which the dashboard should not wait for.

Both are kept per person (`web.kept`) under the store's revision and the day, so a page
view between two changes costs one small query instead of reading and assessing the
whole history again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from rlsiron.core.assessment.assess import assess
from rlsiron.core.knowledge.thresholds import PROFILES
from rlsiron.core.models import Assessment, AssessmentInput
from rlsiron.core.validation import parse_input
from rlsiron.errors import Problem, RlsironError
from rlsiron.report.summary import headline, profile_line
from rlsiron.store import (
    DIARY,
    IRLS,
    Database,
    PersonRecord,
    get_person,
    history_documents,
    revision,
)
from rlsiron.web.charts import (
    Chart,
    IrlsScore,
    ferritin_tsat_chart,
    hemoglobin_chart,
    symptom_chart,
    to_vega_lite,
)
from rlsiron.web.kept import Kept
from rlsiron.web.report.view import Report, build_report

# How many of the latest panel dates the replay shows: enough to see the last year or two
# of monthly panels change, few enough to assess on a page view (a display choice).
REPLAY_DAYS: Final = 12


class Turn(NamedTuple):
    """The decision on one day of the replay, and whether it differs from the day before."""

    day: dt.date
    decision: str
    headline: str
    why: str
    changed: bool


class OtherProfile(NamedTuple):
    """Today's decision under another guideline profile, shown when it differs."""

    profile: str  # its id and label, as the report names a profile
    headline: str
    why: str


@dataclass(frozen=True)
class Standing:
    person: PersonRecord
    inp: AssessmentInput | None
    assessment: Assessment | None
    problems: tuple[Problem, ...]  # why there is no assessment yet
    charts: Mapping[str, Chart]  # by element id, in the person's units; none without one
    # The charts' Vega-Lite JSON, escaped for a <script type="application/json"> element:
    # made once with the standing rather than on every view of the dashboard.
    chart_json: Mapping[str, Markup]
    other_profiles: tuple[OtherProfile, ...] = ()  # only those that decide differently


def standing(db: Database, kept: Kept[Standing], person_id: int, today: dt.date) -> Standing:
    """The person's standing on `today`: the kept one while their revision stands."""
    key: Hashable = (revision(db, person_id), today)
    return kept.get(person_id, key, lambda: _stand(db, person_id, today))


def _stand(db: Database, person_id: int, today: dt.date) -> Standing:
    person = get_person(db, person_id)
    (document,) = history_documents(db, person_id, (today,))
    try:
        inp = parse_input(document, as_of=today)
    except RlsironError as exc:
        return Standing(person, None, None, exc.problems, {}, {})
    assessment = assess(inp, as_of=today)
    charts = _charts(db, person, inp, assessment)
    return Standing(
        person,
        inp,
        assessment,
        (),
        charts,
        {key: htmlsafe_json_dumps(to_vega_lite(chart)) for key, chart in charts.items()},
        _other_profiles(inp, assessment),
    )


def replay(
    db: Database, kept: Kept[tuple[Turn, ...]], s: Standing, today: dt.date
) -> tuple[Turn, ...]:
    """The decision on each of the latest panel dates before today, then today's (oldest
    first); none without today's assessment. Kept while the revision stands."""
    if s.inp is None or s.assessment is None:
        return ()
    inp, assessment, person_id = s.inp, s.assessment, s.person.id
    key: Hashable = (revision(db, person_id), today)
    return kept.get(person_id, key, lambda: _replay(db, person_id, inp, assessment))


def _replay(
    db: Database, person_id: int, inp: AssessmentInput, today: Assessment
) -> tuple[Turn, ...]:
    days = sorted({lab.date for lab in inp.labs if lab.date < today.as_of})[-REPLAY_DAYS:]
    decided: list[Assessment] = []
    for day, document in zip(days, history_documents(db, person_id, days), strict=True):
        try:
            decided.append(assess(parse_input(document, as_of=day), as_of=day, plan=False))
        except RlsironError:
            continue  # the facts of that day were not enough (e.g. born later): no point
    return _turns([*decided, today])


def _turns(decided: Sequence[Assessment]) -> tuple[Turn, ...]:
    turns: list[Turn] = []
    for a in decided:
        said = headline(a)
        turns.append(
            Turn(
                a.as_of,
                a.iron_therapy.decision,
                said,
                a.iron_therapy.why,
                changed=bool(turns) and turns[-1].headline != said,
            )
        )
    return tuple(turns)


def _other_profiles(inp: AssessmentInput, today: Assessment) -> tuple[OtherProfile, ...]:
    """Today's decision under each other profile, where it is not the person's own."""
    others: list[OtherProfile] = []
    for profile in PROFILES.values():
        if profile.id == today.profile:
            continue
        other = assess(
            inp.model_copy(update={"profile": profile.id}), as_of=today.as_of, plan=False
        )
        if headline(other) != headline(today):
            others.append(
                OtherProfile(profile_line(other), headline(other), other.iron_therapy.why)
            )
    return tuple(others)


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
