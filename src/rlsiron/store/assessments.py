"""Saved assessments: the engine's whole output, with the engine version that made it.

The output is stored as the contract's JSON, so a saved assessment reads back as the
`Assessment` it was, even after the engine has changed; `as_of`, `profile` and `decision`
are columns beside it for listing without reading the JSON.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Final

from rlsiron.core.models import Assessment
from rlsiron.store import models as orm
from rlsiron.store.owned import RecordType, record_from
from rlsiron.store.schemas import AssessmentRecord


def _columns(assessment: Assessment) -> dict[str, Any]:
    return {
        "as_of": assessment.as_of,
        "engine_version": assessment.engine_version,
        "profile": assessment.profile,
        "decision": assessment.iron_therapy.decision,
        "output": assessment.model_dump(mode="json"),
    }


ASSESSMENTS: Final = RecordType[Assessment, AssessmentRecord, orm.SavedAssessment](
    name="assessment",
    location="assessments",
    table=orm.SavedAssessment,
    columns=_columns,
    record=partial(record_from, AssessmentRecord),
    order=(orm.SavedAssessment.as_of.asc(), orm.SavedAssessment.created_at.asc()),
    history=False,  # an assessment saved changes nothing the engine reads
)
