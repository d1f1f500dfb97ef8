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

from rlsiron.core.knowledge.codes import FindingCode
from rlsiron.core.knowledge.conditions import Kidney
from rlsiron.core.knowledge.thresholds import IRLS_ITEM_MAX, IRLS_ITEMS, IRLS_MAX

Sex = Literal["female", "male"]
DietKind = Literal["omnivore", "pescatarian", "vegetarian", "vegan"]
ProfileId = Literal["aasm-2024", "ferritin-50"]
# Accepted on input: the ids and their aliases ("seed" is the old name of ferritin-50).
ProfileName = Literal["aasm-2024", "ferritin-50", "seed"]
Decision = Literal["indicated", "not_indicated", "contraindicated", "test_first"]
Route = Literal["oral", "iv"]
Severity = Literal["info", "warning", "urgent"]
EvidenceLevel = Literal["guideline", "expert_consensus"]
Comparator = Literal["<", "<=", ">", ">="]
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
SectionId = Literal[
    "iron", "diet", "lifestyle", "medications", "monitoring", "see_a_doctor", "for_the_clinician"
]

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

# Dates before this are typing mistakes, not lab results or treatments.
EARLIEST_DATE = dt.date(1900, 1, 1)
# Input bounds of the contract (the batch screener refuses the same).
OLDEST_AGE = 120
LONGEST_PREGNANCY_WEEKS = 45
Day = Annotated[dt.date, Field(ge=EARLIEST_DATE)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(_In):
    age_years: int = Field(ge=0, le=OLDEST_AGE, description="Completed years.")
    age_months: int | None = Field(
        default=None, ge=0, le=59, description="Completed months, for children under 5."
    )
    birth_date: Day | None = Field(
        default=None,
        description="As a record gives it; when age_years is missing, the age on the "
        "assessment day is computed from it (parse_input's as_of).",
    )
    sex: Sex = Field(description="The sex that the reference ranges use.")
    weight_kg: float | None = Field(default=None, gt=0, le=400)
    pregnancy_weeks: int | None = Field(default=None, ge=0, le=LONGEST_PREGNANCY_WEEKS)
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


class Quantity(_In):
    """A result as a number with an optional comparator, as FHIR's valueQuantity carries it."""

    # int kept apart from float so that "5" is known to be reported without decimals.
    value: int | float = Field(allow_inf_nan=False)
    comparator: Comparator | None = Field(
        default=None, description='"<" for a result reported as "<5"; none for an exact one.'
    )


class RangeInput(_In):
    """The lab's reference range as numbers; either end may be open ("<5", ">59")."""

    low: float | None = Field(default=None, allow_inf_nan=False)
    high: float | None = Field(default=None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> RangeInput:
        if self.low is None and self.high is None:
            raise ValueError("give low, high or both")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low {self.low:g} is above high {self.high:g}")
        return self


class LabInput(_In):
    test: NonEmpty = Field(description="A test name, synonym or LOINC code.")
    value: int | float | str | Quantity = Field(
        description='A number, a one-sided value such as "<5", or {"value": 5, "comparator": "<"}.'
    )
    unit: str | None = Field(default=None, description="Required for every test.")
    date: Day
    reference_range: str | RangeInput | None = Field(
        default=None, description='The lab\'s own: "4.6-18.7", "<5", or {"low": 4.6, "high": 18.7}.'
    )
    assay: NonEmpty | None = Field(
        default=None,
        description="Ferritin assay: roche (Elecsys, cobas), beckman, abbott, siemens or other.",
    )
    flag: NonEmpty | None = Field(
        default=None,
        description="The lab's abnormal flag as printed (H, L, A, HH). Kept and shown; the "
        "rules compare the value with their own thresholds, not with the lab's flag.",
    )

    @field_validator("value", mode="before")
    @classmethod
    def _number_or_text(cls, value: object) -> object:
        # Without this, pydantic would read true as 1.0 and report null once per union arm.
        if isinstance(value, bool) or not isinstance(value, int | float | str | dict | Quantity):
            raise ValueError(
                'must be a number, a one-sided value such as "<5", or {"value": 5, "comparator": "<"}'
            )
        return value


class RlsCriteria(_In):
    """IRLSSG-2014 essential criteria; null = not asked or not sure."""

    urge: bool | None = None
    rest: bool | None = None
    movement_relief: bool | None = None
    evening: bool | None = None
    not_mimic: bool | None = None


class DiaryEntry(_In):
    """One week of the free symptom diary (REFERENCE.md, "RLS symptoms")."""

    date: Day = Field(description="The last day of the week the entry covers.")
    nights_affected: int = Field(ge=0, le=7, description="Nights with symptoms this week, 0-7.")
    severity: int = Field(ge=0, le=10, description="How bad the symptoms were, 0 (none) to 10.")
    sleep_quality: int | None = Field(
        default=None,
        ge=0,
        le=10,
        description="How well you slept, 0 (very badly) to 10 (very well).",
    )


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
    diary: tuple[DiaryEntry, ...] = Field(
        default=(), description="The free symptom diary, for people without the licensed IRLS form."
    )

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


class Origin(_In):
    """Where an imported fact came from: the file, the place in it, the text as printed."""

    file: Annotated[str, StringConstraints(min_length=1, max_length=4096)] = Field(
        description="The file's path as it was given (paths can be long)."
    )
    at: NonEmpty = Field(description='"line 14", "entry 12 (Observation/abc)", "OBX 3".')
    text: str | None = Field(default=None, description="The line or display text as read.")
    note: str | None = Field(
        default=None,
        description="What the file says beside the result (an HL7 NTE comment), or how it "
        "was read (decoded as Windows-1252).",
    )


class ReviewItem(_In):
    """Something an importer read but would not guess at; it is left out of the document."""

    origin: Origin
    reason: Annotated[str, StringConstraints(min_length=1, max_length=4096)] = Field(
        description="Why it was left out, naming the values and where each came from."
    )


class AssessmentInput(_In):
    as_of: Day | None = Field(
        default=None,
        description="The day the assessment is for. assess() takes it explicitly; the CLI "
        "passes this one on, or today.",
    )
    profile: ProfileName = Field(
        default="aasm-2024",
        description="aasm-2024 (default) or ferritin-50 (alias seed): the ferritin-below-50 "
        "threshold of patient-education articles.",
    )
    person: Person
    labs: tuple[LabInput, ...] = ()
    rls: RlsInput | None = None
    symptoms: tuple[IronSymptom, ...] = ()
    medications: tuple[NonEmpty, ...] = ()
    iron_therapy: tuple[IronTherapy, ...] = ()
    diet: DietKind | None = None
    provenance: dict[str, tuple[Origin, ...]] = Field(
        default_factory=dict,
        description='Where each imported fact came from, by location: "labs[0]", "person.sex".',
    )
    needs_review: tuple[ReviewItem, ...] = Field(
        default=(), description="What an importer left out because it was ambiguous."
    )


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
    value: float = Field(description="Exact, in the canonical unit.")
    shown: str = Field(description="As a person reads it: the analyte's display precision.")
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


class DiaryOut(_Out):
    """The diary summarised: its span and, once there are several entries, the trend."""

    entries: int
    first: dt.date
    last: dt.date
    nights_affected_latest: int
    severity_latest: int
    trend: Literal["better", "worse", "stable"] | None = Field(
        description="From the first half of the entries to the second; null with one entry."
    )


class RlsOut(_Out):
    criteria_met: bool | None = None
    irls_total: int | None = None
    irls_band: IrlsBand | None = None
    clinically_significant: bool | None = None
    course: Literal["chronic_persistent", "intermittent"] | None = None
    diary: DiaryOut | None = None


class Finding(_Out):
    code: FindingCode
    severity: Severity
    evidence_level: EvidenceLevel
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
    engine_version: str
    as_of: dt.date
    values: Values
    labs: tuple[LabValue, ...] = Field(description="The latest value of each test, as used.")
    history: tuple[LabValue, ...] = Field(description="Older values, newest first.")
    iron_therapy: IronTherapyOut
    anemia: Anemia
    rls: RlsOut
    conditions: tuple[str, ...] = Field(
        default=(), description="The condition codes the rules read (hemochromatosis, ...)."
    )
    findings: tuple[Finding, ...]
    plan: Plan | None = Field(description="Null when the caller asked for no plan (batch use).")
    next_tests: tuple[NextTest, ...]
    disclaimer: str
