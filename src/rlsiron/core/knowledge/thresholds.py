"""Every clinical number the engine uses, each with its source and how sure we are of it.

This is the one place a clinician reviews: a row is a number, the comparison that
decides which side of it a value falls on, what it means, and the source ids of
REFERENCE.md. Evidence tags: "P" read in the primary source, "S" read in a secondary
summary, "U" widely cited but unconfirmed here (shown to users as expert consensus).
Nothing else in the package writes a clinical number as a literal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from rlsiron.core.readings import Reading

Op = Literal["<", "<=", ">", ">="]
Evidence = Literal["P", "S", "U"]

_OP_TEXT: Mapping[Op, str] = MappingProxyType({"<": "<", "<=": "≤", ">": ">", ">=": "≥"})
_UNIT_TEXT: Mapping[str, str] = MappingProxyType({"ug/L": "µg/L"})


@dataclass(frozen=True, slots=True)
class Threshold:
    """A number with its comparison: `holds(x)` is "x <op> value", three-valued."""

    id: str
    value: float
    unit: str
    op: Op
    meaning: str
    sources: tuple[str, ...]
    evidence: Evidence

    def holds(self, reading: Reading | None) -> bool | None:
        if reading is None:
            return None
        match self.op:
            case "<":
                return reading.lt(self.value)
            case "<=":
                return reading.le(self.value)
            case ">":
                return reading.gt(self.value)
            case ">=":
                return reading.ge(self.value)

    def describe(self) -> str:
        """E.g. "≤ 75 µg/L", for explanations a person reads."""
        unit = _UNIT_TEXT.get(self.unit, self.unit)
        return f"{_OP_TEXT[self.op]} {self.value:g} {unit}"


def _t(
    id: str, op: Op, value: float, unit: str, meaning: str, sources: str, evidence: Evidence
) -> Threshold:
    return Threshold(id, value, unit, op, meaning, tuple(sources.split()), evidence)


_ROWS: tuple[Threshold, ...] = (
    # --- Iron therapy decision for RLS, adults (REFERENCE: "Iron-therapy decision") ---
    _t(
        "tsat.contraindicated",
        ">=",
        45,
        "%",
        "TSAT at which iron must not be started or continued",
        "AASM-2024 AASLD-2011",
        "P",
    ),
    _t(
        "ferritin.trial_ceiling",
        ">=",
        300,
        "ug/L",
        "ferritin at or above which IV iron trials for RLS enrolled no one",
        "IRLSSG-2018",
        "P",
    ),
    _t(
        "ferritin.rls_indicated",
        "<=",
        75,
        "ug/L",
        "ferritin at or below which iron is indicated for RLS (oral or IV)",
        "AASM-2024",
        "P",
    ),
    _t(
        "ferritin.rls_indicated_seed",
        "<",
        50,
        "ug/L",
        "seed articles: ferritin below 50 is often associated with RLS",
        "SEED",
        "U",
    ),
    _t(
        "tsat.rls_indicated",
        "<",
        20,
        "%",
        "TSAT below which iron is indicated for RLS",
        "AASM-2024",
        "P",
    ),
    _t(
        "ferritin.iv_band_upper",
        "<=",
        100,
        "ug/L",
        "upper bound of the IV-only band (oral iron poorly absorbed here); IRLSSG-2018 writes "
        "< 100 [U]: a profile can carry either comparison",
        "AASM-2024",
        "S",
    ),
    _t(
        "ferritin.iv_band_lower",
        ">",
        75,
        "ug/L",
        "lower bound of the IV-only band, in every profile (the seed profile moves only step 4)",
        "AASM-2024",
        "P",
    ),
    _t(
        "ferritin.low_tsat_review",
        ">",
        100,
        "ug/L",
        "ferritin above which a low TSAT needs review (inflammation, functional deficiency)",
        "AASM-2024",
        "S",
    ),
    # --- Special groups ---
    _t(
        "age.pediatric",
        "<",
        18,
        "years",
        "age below which the paediatric iron rule applies",
        "IRLSSG-2018",
        "S",
    ),
    _t(
        "ferritin.pediatric_indicated",
        "<",
        50,
        "ug/L",
        "children: ferritin below which oral iron is indicated for RLS",
        "IRLSSG-2018",
        "S",
    ),
    _t(
        "ferritin.pregnancy_indicated",
        "<=",
        75,
        "ug/L",
        "pregnancy: ferritin at or below which oral iron is indicated",
        "PREG-2015",
        "U",
    ),
    _t(
        "tsat.pregnancy_indicated",
        "<",
        20,
        "%",
        "pregnancy: TSAT below which oral iron is indicated",
        "PREG-2015",
        "U",
    ),
    _t(
        "ferritin.dialysis_indicated",
        "<",
        200,
        "ug/L",
        "dialysis: ferritin below which IV iron sucrose is indicated (with low TSAT)",
        "AASM-2024",
        "S",
    ),
    _t(
        "tsat.dialysis_indicated",
        "<",
        20,
        "%",
        "dialysis: TSAT below which IV iron sucrose is indicated (with low ferritin)",
        "AASM-2024",
        "S",
    ),
    # --- WHO iron deficiency (independent of RLS) ---
    _t(
        "age.who_ferritin_young",
        "<",
        5,
        "years",
        "age below which the WHO under-5 ferritin cut-offs apply",
        "WHO-FER-2020",
        "S",
    ),
    _t(
        "ferritin.who_deficient",
        "<",
        15,
        "ug/L",
        "iron deficiency, age 5 and over, no inflammation",
        "WHO-FER-2020",
        "S",
    ),
    _t(
        "ferritin.who_deficient_young",
        "<",
        12,
        "ug/L",
        "iron deficiency, under 5, no inflammation",
        "WHO-FER-2020",
        "S",
    ),
    _t(
        "ferritin.who_deficient_inflamed",
        "<",
        70,
        "ug/L",
        "iron deficiency, age 5 and over, with inflammation",
        "WHO-FER-2020",
        "S",
    ),
    _t(
        "ferritin.who_deficient_young_inflamed",
        "<",
        30,
        "ug/L",
        "iron deficiency, under 5, with inflammation",
        "WHO-FER-2020",
        "S",
    ),
    # --- Inflammation ---
    _t(
        "crp.inflammation",
        ">",
        5,
        "mg/L",
        "CRP above which ferritin is raised by inflammation (about 50 %)",
        "THURNHAM-2010",
        "P",
    ),
    # --- Overload (EASL-2022) ---
    _t(
        "tsat.overload_premenopausal",
        ">",
        45,
        "%",
        "overload pattern, premenopausal women: TSAT",
        "EASL-2022",
        "P",
    ),
    _t(
        "ferritin.overload_premenopausal",
        ">",
        200,
        "ug/L",
        "overload pattern, premenopausal women: ferritin",
        "EASL-2022",
        "P",
    ),
    _t(
        "tsat.overload",
        ">",
        50,
        "%",
        "overload pattern, men and postmenopausal women: TSAT",
        "EASL-2022",
        "P",
    ),
    _t(
        "ferritin.overload",
        ">",
        300,
        "ug/L",
        "overload pattern, men and postmenopausal women: ferritin",
        "EASL-2022",
        "P",
    ),
    _t(
        "ferritin.very_high",
        ">",
        1000,
        "ug/L",
        "ferritin above which specialist review (liver staging) is urgent",
        "AASLD-2011",
        "P",
    ),
    _t(
        "age.menopause_default",
        ">=",
        50,
        "years",
        "our default when menopause status is not given: women of 50 and over count as postmenopausal",
        "EASL-2022",
        "U",
    ),
    _t(
        "ferritin.high_female",
        ">",
        200,
        "ug/L",
        "high ferritin in women (with normal TSAT: inflammation, liver, metabolic)",
        "EASL-2022",
        "S",
    ),
    _t(
        "ferritin.high_male",
        ">",
        300,
        "ug/L",
        "high ferritin in men (with normal TSAT: inflammation, liver, metabolic)",
        "EASL-2022",
        "S",
    ),
    # --- Other nutrients: common adult cut-offs when the lab gives no range ---
    _t("folate.low", "<", 4, "ng/mL", "folate low (about 10 nmol/L)", "SEED", "U"),
    _t("b12.low", "<", 200, "pg/mL", "vitamin B12 low (about 148 pmol/L)", "SEED", "U"),
    _t(
        "magnesium.low",
        "<",
        0.70,
        "mmol/L",
        "magnesium low (1.7 mg/dL); evidence for RLS is weak",
        "SEED MAYO-2021",
        "U",
    ),
    _t("vitamin_d.low", "<", 20, "ng/mL", "25-OH vitamin D low", "SEED", "U"),
    # --- RLS symptoms ---
    _t(
        "rls.episodes_significant",
        ">",
        2,
        "per week",
        "symptoms more than twice a week count as clinically significant (with at least moderate distress)",
        "AASM-2024",
        "S",
    ),
    _t(
        "rls.chronic_persistent",
        ">=",
        2,
        "per week",
        "course: chronic-persistent at 2 or more a week over the past year",
        "IRLSSG-2014",
        "P",
    ),
    # --- Monitoring ---
    _t(
        "panel.stale_days",
        ">",
        365,
        "days",
        "iron panel older than 12 months is stale",
        "AASM-2024",
        "U",
    ),
    _t(
        "iv.ferritin_unreliable_days",
        "<",
        28,
        "days",
        "ferritin drawn within 4 weeks of an IV infusion is falsely high",
        "AASM-2024",
        "U",
    ),
    _t(
        "therapy.on_iron_ferritin_stop",
        ">",
        300,
        "ug/L",
        "ferritin rising above 300 while on iron: stop and review",
        "AASM-2024",
        "U",
    ),
)

THRESHOLDS: Mapping[str, Threshold] = MappingProxyType({row.id: row for row in _ROWS})


def threshold(id: str) -> Threshold:
    """The row named `id`; a KeyError here is a programming error, not user input."""
    return THRESHOLDS[id]


@dataclass(frozen=True, slots=True)
class Cutoff:
    """A plain number (not compared against a lab value directly) with its source."""

    id: str
    value: float
    unit: str
    meaning: str
    sources: tuple[str, ...]
    evidence: Evidence


def _c(id: str, value: float, unit: str, meaning: str, sources: str, evidence: Evidence) -> Cutoff:
    return Cutoff(id, value, unit, meaning, tuple(sources.split()), evidence)


_NUMBERS: tuple[Cutoff, ...] = (
    # Retest intervals (REFERENCE: "Monitoring", [U] unless noted)
    _c(
        "retest.after_oral_weeks",
        12,
        "weeks",
        "recheck ferritin and TSAT about 12 weeks after starting oral iron",
        "AASM-2024",
        "U",
    ),
    _c(
        "retest.after_iv_weeks",
        8,
        "weeks",
        "recheck 8-12 weeks after IV iron (never before 4)",
        "AASM-2024",
        "U",
    ),
    _c(
        "retest.routine_months",
        12,
        "months",
        "recheck at least yearly while on or after iron",
        "AASM-2024",
        "U",
    ),
    # Roche Elecsys reads higher than Beckman: Roche 121 ~ Beckman 75, Roche 158 ~ Beckman 100
    _c(
        "assay.roche_at_beckman_75",
        121,
        "ug/L",
        "Roche Elecsys ferritin equivalent to Beckman 75",
        "ASSAY-NOTE",
        "P",
    ),
    _c(
        "assay.roche_at_beckman_100",
        158,
        "ug/L",
        "Roche Elecsys ferritin equivalent to Beckman 100",
        "ASSAY-NOTE",
        "P",
    ),
    # Oral iron formulation named in AASM-2024 (for the clinician, never a dose instruction)
    _c(
        "oral.ferrous_sulfate_mg",
        325,
        "mg",
        "ferrous sulfate tablet named in the guideline",
        "AASM-2024",
        "S",
    ),
    _c(
        "oral.ferrous_sulfate_elemental_mg",
        65,
        "mg",
        "elemental iron in 325 mg ferrous sulfate",
        "AASM-2024",
        "S",
    ),
    _c(
        "iv.fcm_trial_mg",
        1000,
        "mg",
        "ferric carboxymaltose dose used in the RLS trials",
        "AASM-2024",
        "S",
    ),
    # Diet (DRI-2001)
    _c(
        "diet.vegetarian_factor",
        1.8,
        "x RDA",
        "vegetarians need about 1.8 times the RDA",
        "DRI-2001",
        "S",
    ),
    _c(
        "diet.ul_adult_mg",
        45,
        "mg/day",
        "upper limit from food and supplements, age 14 and over",
        "DRI-2001",
        "S",
    ),
    _c(
        "diet.ul_child_mg",
        40,
        "mg/day",
        "upper limit from food and supplements, under 14",
        "DRI-2001",
        "S",
    ),
    _c("diet.ul_age", 14, "years", "age from which the adult upper limit applies", "DRI-2001", "S"),
    _c(
        "oral.fasting_hours",
        24,
        "hours",
        "no iron supplements or iron-rich food before the blood draw",
        "AASM-2024",
        "P",
    ),
)

NUMBERS: Mapping[str, Cutoff] = MappingProxyType({row.id: row for row in _NUMBERS})


def number(id: str) -> Cutoff:
    return NUMBERS[id]


# --- Tables keyed by group ---


@dataclass(frozen=True, slots=True)
class HbCutoff:
    """WHO-HB-2024: anaemia when Hb (g/dL) is below `g_dl` for this group."""

    group: str
    g_dl: float
    sources: tuple[str, ...] = ("WHO-HB-2024",)
    evidence: Evidence = "S"


# Age groups in completed months (under 5) or years; pregnancy by completed weeks.
HB_CHILD_MONTHS: tuple[tuple[int, int, HbCutoff], ...] = (
    (6, 23, HbCutoff("children 6-23 months", 10.5)),
    (24, 59, HbCutoff("children 24-59 months", 11.0)),
)
HB_CHILD_YEARS: tuple[tuple[int, int, HbCutoff], ...] = (
    (5, 11, HbCutoff("children 5-11 years", 11.5)),
    (12, 14, HbCutoff("adolescents 12-14 years", 12.0)),
)
HB_ADULT_FROM_YEARS = 15
HB_WOMEN = HbCutoff("women 15 years and over", 12.0)
HB_MEN = HbCutoff("men 15 years and over", 13.0)
# (first completed week, cut-off): 1st trimester < 14 weeks, 2nd 14-27, 3rd >= 28
HB_PREGNANCY: tuple[tuple[int, HbCutoff], ...] = (
    (0, HbCutoff("pregnancy, 1st trimester", 11.0)),
    (14, HbCutoff("pregnancy, 2nd trimester", 10.5)),
    (28, HbCutoff("pregnancy, 3rd trimester", 11.0)),
)

# IRLS-2003 severity bands: (lowest total, band)
IRLS_BANDS: tuple[tuple[int, str], ...] = (
    (0, "none"),
    (1, "mild"),
    (11, "moderate"),
    (21, "severe"),
    (31, "very_severe"),
)
IRLS_MAX = 40
IRLS_ITEMS = 10
IRLS_ITEM_MAX = 4
IRLS_SIGNIFICANT_BAND = "moderate"  # at least moderate distress (AASM-2024 [S])

# DRI-2001 iron RDA, mg/day: (sex or None for both, lowest age, highest age, mg)
RDA_MG: tuple[tuple[str | None, int, int, float], ...] = (
    (None, 1, 3, 7),
    (None, 4, 8, 10),
    (None, 9, 13, 8),
    ("male", 14, 18, 11),
    ("female", 14, 18, 15),
    ("male", 19, 200, 8),
    ("female", 19, 50, 18),
    ("female", 51, 200, 8),
)
RDA_PREGNANCY_MG = 27.0


@dataclass(frozen=True, slots=True)
class Profile:
    """A named rule set: which ferritin bounds steps 4 and 5 of the adult rules use."""

    id: str
    label: str
    ferritin_indicated: Threshold
    iv_band_upper: Threshold


PROFILES: Mapping[str, Profile] = MappingProxyType(
    {
        "aasm-2024": Profile(
            "aasm-2024",
            "AASM 2024 guideline",
            THRESHOLDS["ferritin.rls_indicated"],
            THRESHOLDS["ferritin.iv_band_upper"],
        ),
        "seed": Profile(
            "seed",
            "seed articles (ferritin below 50)",
            THRESHOLDS["ferritin.rls_indicated_seed"],
            THRESHOLDS["ferritin.iv_band_upper"],
        ),
    }
)
