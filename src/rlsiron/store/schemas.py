"""What the repository takes and returns: pydantic models, built on the contract's.

Inputs reuse the contract where it has the shape already (a lab row is a `LabInput`, a
diary week a `DiaryEntry`, an iron course `IronTherapy`), so a form or an upload is checked
by the same rules as an assessment document. Every returned record is the input plus its
`id` (and, for a lab result, the core's reading of it), detached from the database: the
API can serialise it as it is, and nothing loads lazily after the session has closed.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rlsiron.core.knowledge.conditions import Kidney
from rlsiron.core.knowledge.thresholds import IRLS_ITEM_MAX, IRLS_ITEMS, IRLS_MAX
from rlsiron.core.models import (
    Assessment,
    Day,
    Decision,
    DiaryEntry,
    DietKind,
    IronSymptom,
    IronTherapy,
    LabInput,
    NonEmpty,
    Origin,
    Person,
    ProfileId,
    RlsCriteria,
    Sex,
)
from rlsiron.store.models import Qualifier, Role, Units

# The contract's own bound, not a second copy of it.
MOST_PREGNANCY_WEEKS: int = Person.model_fields["pregnancy_weeks"].metadata[-1].le
_NUL = "\x00"


def storable(text: str) -> bool:
    """Text both databases can hold: UTF-8 without NUL (PostgreSQL's text refuses NUL, and
    a JSON request can carry an unpaired surrogate, which no UTF-8 database can store)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return _NUL not in text


def _all_storable(value: object) -> bool:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, BaseModel):
        return _all_storable(value.model_dump())
    if isinstance(value, dict):
        return all(_all_storable(v) for v in value.values())
    if isinstance(value, tuple | list):
        return all(_all_storable(v) for v in value)
    return True


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Text(BaseModel):
    """Free text the store keeps: what a database cannot hold is refused here, at the
    field, for both databases alike, rather than failing inside the database."""

    @field_validator("*")
    @classmethod
    def _storable(cls, value: object) -> object:
        if not _all_storable(value):
            raise ValueError("must be text without NUL characters or unpaired surrogates")
        return value


# ---------------------------------------------------------------- the person


class DisplaySettings(_Model):
    units: Units = "conventional"
    profile: ProfileId = "aasm-2024"


class Pregnancy(_Model):
    """Weeks of pregnancy on a given day; the weeks on any other day are counted from it."""

    weeks: int = Field(ge=0, le=MOST_PREGNANCY_WEEKS)
    on: Day


class PersonFacts(_Model):
    """What the engine reads about the person; unknown until given (null)."""

    sex: Sex | None = None
    birth_date: Day | None = None
    pregnancy: Pregnancy | None = None
    postmenopausal: bool | None = None
    kidney: Kidney | None = None
    diet: DietKind | None = None
    symptoms: tuple[IronSymptom, ...] = Field(
        default=(), description="Symptoms of iron deficiency the person has now."
    )
    rls_criteria: RlsCriteria = RlsCriteria()

    @model_validator(mode="after")
    def _pregnancy_of_a_woman(self) -> Self:
        if self.pregnancy is not None and self.sex != "female":
            raise ValueError("pregnancy is given for a person whose sex is not female")
        return self


class PersonRecord(_Model):
    """The account as the app shows it: never the password hash."""

    id: int
    email: str
    created_at: dt.datetime
    settings: DisplaySettings
    facts: PersonFacts


class Account(_Model):
    """What signing in needs, and only that."""

    id: int
    email: str
    password_hash: str


# ---------------------------------------------------------------- records


class LabEntry(_Text, LabInput):
    """A lab row as received, and where it was read (none when it was typed in)."""

    origin: Origin | None = None


class Canonical(_Model):
    """The core's reading of a lab row when it was stored: for charts and queries."""

    test: str = Field(description="The catalogue's test id (ferritin, tsat, ...).")
    value: float = Field(description="In the canonical unit; a bound when one-sided.")
    qualifier: Qualifier
    unit: str
    plausible: bool


class LabRecord(LabEntry):
    id: int
    canonical: Canonical


class IrlsEntry(_Model):
    """An IRLS score: the total, or the ten item scores (the total is then their sum)."""

    date: Day
    irls_total: int | None = Field(default=None, ge=0, le=IRLS_MAX)
    irls_items: tuple[Annotated[int, Field(ge=0, le=IRLS_ITEM_MAX)], ...] | None = Field(
        default=None, min_length=IRLS_ITEMS, max_length=IRLS_ITEMS
    )

    @model_validator(mode="after")
    def _total_or_items(self) -> Self:
        if (self.irls_total is None) == (self.irls_items is None):
            raise ValueError("give irls_total or irls_items, one of them")
        return self


class IrlsRecord(IrlsEntry):
    id: int


class DiaryRecord(DiaryEntry):
    id: int


class MedicineEntry(_Text, _Model):
    text: NonEmpty
    started: Day | None = None
    ended: Day | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.started is not None and self.ended is not None and self.ended < self.started:
            raise ValueError(f"ended {self.ended} is before started {self.started}")
        return self


class MedicineRecord(MedicineEntry):
    id: int


class ConditionEntry(_Text, _Model):
    text: NonEmpty


class ConditionRecord(ConditionEntry):
    id: int


class IronCourseEntry(_Text, IronTherapy):
    """An oral course (started, ended when it ends) or an infusion (one day: ended null)."""


class IronCourseRecord(IronCourseEntry):
    id: int


class AssessmentRecord(_Model):
    """An assessment as the engine gave it; the columns beside it are for listing."""

    id: int
    as_of: dt.date
    engine_version: str
    profile: ProfileId
    decision: Decision
    created_at: dt.datetime
    output: Assessment


# ---------------------------------------------------------------- export


class Records(_Model):
    labs: tuple[LabRecord, ...]
    irls: tuple[IrlsRecord, ...]
    diary: tuple[DiaryRecord, ...]
    medicines: tuple[MedicineRecord, ...]
    conditions: tuple[ConditionRecord, ...]
    iron_courses: tuple[IronCourseRecord, ...]
    assessments: tuple[AssessmentRecord, ...]


class Export(_Model):
    """Everything stored about one person.

    `input` is the contract's input document of the history on the export day (what
    `rlsiron assess` reads); `records` keeps what the contract has no place for (when a
    medicine was taken, the stored ids, the core's readings, the saved assessments).
    """

    format: Literal["rlsiron-export"] = "rlsiron-export"
    as_of: dt.date
    person: PersonRecord
    input: dict[str, Any]
    records: Records


# ---------------------------------------------------------------- the clinic


class OrganisationRecord(_Model):
    id: int
    name: str
    created_at: dt.datetime


class MembershipRecord(_Model):
    organisation_id: int
    person_id: int
    role: Role


class ShareRecord(_Model):
    """A patient's record shared with a clinic; `revoked_at` once the patient ended it."""

    patient_id: int
    organisation_id: int
    organisation: str  # the clinic's name, as the patient reads it
    created_at: dt.datetime
    revoked_at: dt.datetime | None
