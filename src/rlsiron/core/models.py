"""The assessment contract as pydantic models: what comes in, what goes out.

The JSON Schemas the package publishes are generated from these classes, so the
schema, the validation and the serialised output can never disagree.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from rlsiron.core.knowledge.thresholds import IRLS_ITEM_MAX, IRLS_ITEMS, IRLS_MAX

Sex = Literal["female", "male"]
Kidney = Literal["normal", "ckd", "dialysis"]
DietKind = Literal["omnivore", "pescatarian", "vegetarian", "vegan"]
ProfileId = Literal["aasm-2024", "seed"]
Decision = Literal["indicated", "not_indicated", "contraindicated", "test_first"]
Route = Literal["oral", "iv"]
Severity = Literal["info", "warning", "urgent"]
IrlsBand = Literal["none", "mild", "moderate", "severe", "very_severe"]
TsatSource = Literal["reported", "calculated", "estimated"]
IronSymptom = Literal[
    "chronic_fatigue",
    "pale_skin",
    "weakness",
    "cold_extremities",
    "shortness_of_breath",
    "frequent_headaches",
]
SectionId = Literal["iron", "diet", "lifestyle", "medications", "monitoring", "see_a_doctor"]

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

# Dates before this are typing mistakes, not lab results or treatments.
EARLIEST_DATE = dt.date(1900, 1, 1)
Day = Annotated[dt.date, Field(ge=EARLIEST_DATE)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(_In):
    age_years: int = Field(ge=0, le=120, description="Completed years.")
    age_months: int | None = Field(
        default=None, ge=0, le=59, description="Completed months, for children under 5."
    )
    sex: Sex = Field(description="The sex that the reference ranges use.")
    weight_kg: float | None = Field(default=None, gt=0, le=400)
    pregnancy_weeks: int | None = Field(default=None, ge=0, le=45)
    postmenopausal: bool | None = None
    kidney: Kidney | None = Field(
        default=None, description="Not given means not known: no kidney rule is applied."
    )
    conditions: tuple[NonEmpty, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Person:
        if self.pregnancy_weeks is not None and self.sex != "female":
            raise ValueError("pregnancy_weeks is given for a person whose sex is not female")
        if self.age_months is not None and self.age_months // 12 != self.age_years:
            raise ValueError(
                f"age_months {self.age_months} does not match age_years {self.age_years}"
            )
        return self


class LabInput(_In):
    test: NonEmpty = Field(description="A test name, synonym or LOINC code.")
    value: float | str = Field(description='A number, or a one-sided value such as "<5".')
    unit: str | None = Field(default=None, description="Required for every test.")
    date: Day
    reference_range: str | None = Field(
        default=None, description='The lab\'s own, e.g. "4.6-18.7".'
    )
    assay: NonEmpty | None = Field(default=None, description='Ferritin assay, e.g. "roche".')

    @field_validator("value", mode="before")
    @classmethod
    def _number_or_text(cls, value: object) -> object:
        # Without this, pydantic would read true as 1.0 and report null twice (per union arm).
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError('must be a number, or a one-sided value such as "<5"')
        return value


class RlsCriteria(_In):
    """IRLSSG-2014 essential criteria; null = not asked or not sure."""

    urge: bool | None = None
    rest: bool | None = None
    movement_relief: bool | None = None
    evening: bool | None = None
    not_mimic: bool | None = None


class RlsInput(_In):
    criteria: RlsCriteria | None = None
    irls_total: int | None = Field(default=None, ge=0, le=IRLS_MAX)
    irls_items: tuple[Annotated[int, Field(ge=0, le=IRLS_ITEM_MAX)], ...] | None = Field(
        default=None,
        min_length=IRLS_ITEMS,
        max_length=IRLS_ITEMS,
        description="The ten item scores, 0-4 each.",
    )
    episodes_per_week: float | None = Field(default=None, ge=0, le=7)

    @model_validator(mode="after")
    def _items_match_total(self) -> RlsInput:
        if (
            self.irls_items is not None
            and self.irls_total is not None
            and sum(self.irls_items) != self.irls_total
        ):
            raise ValueError(
                f"irls_items add up to {sum(self.irls_items)} but irls_total is {self.irls_total}"
            )
        return self


class IronTherapy(_In):
    route: Route
    product: NonEmpty | None = None
    started: Day
    ended: Day | None = None

    @model_validator(mode="after")
    def _ordered(self) -> IronTherapy:
        if self.ended is not None and self.ended < self.started:
            raise ValueError(f"ended {self.ended} is before started {self.started}")
        return self


class AssessmentInput(_In):
    as_of: Day | None = Field(
        default=None, description="The day the assessment is for; the CLI fills in today."
    )
    profile: ProfileId = "aasm-2024"
    person: Person
    labs: tuple[LabInput, ...] = ()
    rls: RlsInput | None = None
    symptoms: tuple[IronSymptom, ...] = ()
    medications: tuple[NonEmpty, ...] = ()
    iron_therapy: tuple[IronTherapy, ...] = ()
    diet: DietKind | None = None


# ---------------------------------------------------------------- output


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Values(_Out):
    ferritin_ug_l: float | None = None
    tsat_percent: float | None = None
    hemoglobin_g_dl: float | None = None
    tsat_source: TsatSource | None = None
    iron_umol_l: float | None = None
    tibc_umol_l: float | None = None
    transferrin_g_l: float | None = None
    crp_mg_l: float | None = None
    mcv_fl: float | None = None
    ferritin_beckman_equivalent_ug_l: float | None = None


class LabValue(_Out):
    """One result as used: canonical value plus what was read (provenance)."""

    test: str
    display: str
    value: float
    qualifier: str = "="
    unit: str
    date: dt.date
    source: Literal["reported", "calculated", "estimated"] = "reported"
    original: str | None = Field(default=None, description='As read, e.g. "101 pmol/L".')
    plausible: bool = True


class IronTherapyOut(_Out):
    decision: Decision
    routes: tuple[Route, ...] = ()
    options: tuple[str, ...] = ()
    rule: str = Field(description="Which rule decided, for the explanation.")
    why: str
    sources: tuple[str, ...] = ()


class Anemia(_Out):
    present: bool | None
    threshold_g_dl: float | None = None
    group: str | None = None


class RlsOut(_Out):
    criteria_met: bool | None = None
    irls_total: int | None = None
    irls_band: IrlsBand | None = None
    clinically_significant: bool | None = None
    course: Literal["chronic_persistent", "intermittent"] | None = None


class Finding(_Out):
    code: str
    severity: Severity
    title: str
    detail: str
    sources: tuple[str, ...]
    evidence: dict[str, float | str] = Field(default_factory=dict)


class PlanSection(_Out):
    id: SectionId
    title: str
    items: tuple[str, ...]


class Plan(_Out):
    sections: tuple[PlanSection, ...]


class NextTest(_Out):
    tests: tuple[str, ...]
    due: dt.date
    why: str


class Assessment(_Out):
    profile: ProfileId
    as_of: dt.date
    values: Values
    labs: tuple[LabValue, ...] = Field(description="The latest value of each test, as used.")
    history: tuple[LabValue, ...] = Field(description="Older values, newest first.")
    iron_therapy: IronTherapyOut
    anemia: Anemia
    rls: RlsOut
    findings: tuple[Finding, ...]
    plan: Plan
    next_tests: tuple[NextTest, ...]
    disclaimer: str
