"""The lab-test catalogue: what each test is called, coded and measured in.

Lab reports name the same test many ways ("Ferritin, serum", "S-Ferritin", LOINC 2276-4) and
users copy them as printed. Every name is matched after the same normalisation (case, accents,
punctuation and spaces ignored), so the table below only lists genuinely different wordings.
Unknown names fail with a suggestion instead of being guessed: a wrong test silently used is
worse than a question.

Each analyte also carries a physiologically plausible range in its canonical unit. A value
outside it is not rejected (it may be real) but flagged, because it is the signature of the
classic unit mistakes: serum iron in ug/dL labelled umol/L, Hb in g/L labelled g/dL, TSAT
written as a fraction.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from rlsiron.core.readings import Reading
from rlsiron.errors import ImpossibleValueError, UnknownTestError


@dataclass(frozen=True, slots=True)
class Analyte:
    """One lab test: identity, names, canonical unit and plausible range (canonical unit)."""

    key: str
    display: str
    loinc: tuple[str, ...]
    synonyms: tuple[str, ...]
    canonical_unit: str
    plausible_low: float
    plausible_high: float


# LOINC codes: checked against shared/data/loinc (an old LOINC table excerpt; its PROVENANCE warns
# that some public code tables swap 2500-7 and 2502-3, so every code here was read from the
# table's own short name, not copied). Codes outside the excerpt are marked as such.
# Only serum/plasma (or blood, for the blood count) codes of the same quantity are listed:
# red-cell folate, free magnesium, urine and fetal/cord codes are different tests.
_CATALOGUE = (
    Analyte(
        key="ferritin",
        display="Ferritin",
        # SerPl-mCnc, SerPl EIA-mCnc, SerPl-sCnc (pmol/L), Bld-mCnc, SerPl-msCnc (CDISC)
        loinc=("2276-4", "20567-4", "14723-1", "24373-3", "35209-6"),
        synonyms=(
            "Ferritin, serum",
            "Serum ferritin",
            "Plasma ferritin",
            "S-Ferritin",
            "P-Ferritin",
        ),
        canonical_unit="ug/L",
        # Assays report down to ~0.5 ug/L; HLH and Still's disease reach ~100 000.
        plausible_low=0.5,
        plausible_high=100_000.0,
    ),
    Analyte(
        key="iron",
        display="Iron",
        # SerPl-mCnc, SerPl-sCnc, SerPl-msCnc (CDISC)
        loinc=("2498-4", "14798-3", "35214-6"),
        synonyms=(
            "Fe",
            "Serum iron",
            "Iron, serum",
            "Plasma iron",
            "S-Iron",
            "S-Fe",
            "Serum Fe",
        ),
        canonical_unit="umol/L",
        # Low: the usual assay detection limit (0.9 umol/L = 5 ug/dL); "20 ug/L" (0.36) is below.
        # High: above the iron-binding capacity of nearly everyone; only acute iron poisoning
        # (not this tool's setting) exceeds it. Catches ug/dL values (normal 60-170) sent as umol/L.
        plausible_low=0.9,
        plausible_high=80.0,
    ),
    Analyte(
        key="tibc",
        display="TIBC",
        # SerPl-mCnc (ug/dL), SerPl-sCnc, SerPl-msCnc (CDISC)
        loinc=("2500-7", "14800-7", "35215-3"),
        synonyms=(
            "Total iron binding capacity",
            "Iron binding capacity",
            "Iron binding capacity, total",
            "TIBC, serum",
        ),
        canonical_unit="umol/L",
        # Real values ~15 (malnutrition, overload) to ~120 (late pregnancy, severe deficiency);
        # ug/dL values (250-450) sent as umol/L, or transferrin g/L sent as TIBC, fall outside.
        plausible_low=10.0,
        plausible_high=150.0,
    ),
    Analyte(
        key="uibc",
        display="UIBC",
        # SerPl-mCnc (ug/dL), SerPl-sCnc (Roche), SerPl-msCnc (CDISC)
        loinc=("2501-5", "22753-8", "35216-1"),
        synonyms=(
            "Unsaturated iron binding capacity",
            "Iron binding capacity, unsaturated",
            "Latent iron binding capacity",
            "LIBC",
        ),
        canonical_unit="umol/L",
        # Close to 0 in iron overload, so no lower bound; TIBC's ceiling above.
        plausible_low=0.0,
        plausible_high=150.0,
    ),
    Analyte(
        key="transferrin",
        display="Transferrin",
        # SerPl-mCnc, SerPl-sCnc (umol/L), SerPl-msCnc (CDISC)
        loinc=("3034-6", "22674-6", "35229-4"),
        synonyms=(
            "Serum transferrin",
            "Transferrin, serum",
            "S-Transferrin",
            "Tf",
            "Trf",
        ),
        canonical_unit="g/L",
        # Real 0.5 (nephrotic, malnutrition) to ~6 (pregnancy, deficiency); mg/dL values
        # (200-360) sent as g/L fall above, g/L sent as mg/dL (0.02-0.04 g/L) below.
        plausible_low=0.3,
        plausible_high=8.0,
    ),
    Analyte(
        key="tsat",
        display="Transferrin saturation",
        # Iron Satn MFr SerPl, Iron Satn SFr SerPl, Iron/TIBC SerPl-sRto (%)
        loinc=("2502-3", "14801-5", "39778-6"),
        synonyms=(
            "TSAT",
            "Tf sat",
            "Transferrin saturation index",
            "% saturation",
            "% transferrin saturation",
            "Percent saturation",
            "Iron saturation",
            "Iron sat",
            "Sat%",
        ),
        canonical_unit="%",
        # Below 1 % is out of reach (iron detection limit over the highest TIBC), so a fraction
        # such as 0.18 (for 18 %) is caught; 100 % is the definitional ceiling.
        plausible_low=1.0,
        plausible_high=100.0,
    ),
    Analyte(
        key="hemoglobin",
        display="Hemoglobin",
        # Bld-mCnc, Bld Calc-mCnc, Bld-sCnc (mmol/L), BldV-mCnc (venous), BldC-mCnc (capillary)
        loinc=("718-7", "20509-6", "59260-0", "30350-3", "30352-9"),
        synonyms=(
            "Hb",
            "Hgb",
            "Haemoglobin",
            "Hämoglobin",
            "Hémoglobine",
            "B-Hb",
            "Blood hemoglobin",
        ),
        canonical_unit="g/dL",
        # 2 g/dL is at the limit of survival in extreme anaemia; 25 above severe polycythaemia.
        # Catches g/L sent as g/dL (126) and g/dL sent as g/L (1.26 g/dL).
        plausible_low=2.0,
        plausible_high=25.0,
    ),
    Analyte(
        key="mcv",
        display="MCV",
        # RBC Auto, RBC
        loinc=("787-2", "30428-7"),
        synonyms=("Mean corpuscular volume", "Mean cell volume", "Mean red cell volume"),
        canonical_unit="fL",
        # Severe thalassaemia ~50, severe megaloblastic anaemia ~150.
        plausible_low=40.0,
        plausible_high=160.0,
    ),
    Analyte(
        key="crp",
        display="CRP",
        # SerPl-mCnc, SerPl HS-mCnc
        loinc=("1988-5", "30522-7"),
        synonyms=(
            "C-reactive protein",
            "hs-CRP",
            "High-sensitivity CRP",
            "High-sensitivity C-reactive protein",
            "CRP, serum",
        ),
        canonical_unit="mg/L",
        # hs-CRP reads below 0.1 mg/L; sepsis reaches ~500. A mg/L-vs-mg/dL mix-up (factor 10)
        # stays inside this range, so the range cannot catch it.
        plausible_low=0.0,
        plausible_high=600.0,
    ),
    Analyte(
        key="folate",
        display="Folate",
        # SerPl-mCnc, SerPl-sCnc, SerPl-msCnc (CDISC). Red-cell folate (2283-0) is another test.
        loinc=("2284-8", "14732-2", "35210-4"),
        synonyms=(
            "Folic acid",
            "Serum folate",
            "Folate, serum",
            "S-Folate",
            "Vitamin B9",
        ),
        canonical_unit="ng/mL",
        # Assays read from ~0.5 to ~25 (higher with supplements); red-cell folate (hundreds of
        # ng/mL) entered as serum folate falls above.
        plausible_low=0.5,
        plausible_high=60.0,
    ),
    Analyte(
        key="b12",
        display="Vitamin B12",
        # Ser-mCnc, Ser-sCnc, Ser-msCnc (CDISC)
        loinc=("2132-9", "14685-2", "35201-3"),
        synonyms=(
            "B12",
            "Vit B12",
            "Cobalamin",
            "Serum B12",
            "B12, serum",
        ),
        canonical_unit="pg/mL",
        # Severe deficiency ~30; injections and myeloproliferative disease reach the thousands.
        # Catches ng/mL (0.2-1) sent as pg/mL.
        plausible_low=20.0,
        plausible_high=20_000.0,
    ),
    Analyte(
        key="magnesium",
        display="Magnesium",
        # SerPl-mCnc (mg/dL), SerPl-sCnc, SerPl-msCnc (CDISC). Free (ionised) Mg is another test.
        loinc=("19123-9", "2601-3", "35249-2"),
        synonyms=(
            "Mg",
            "Serum magnesium",
            "Magnesium, serum",
            "S-Magnesium",
            "S-Mg",
        ),
        canonical_unit="mmol/L",
        # Severe hypomagnesaemia ~0.2; treatment-level toxicity ~5. Catches mg/L (17-24) sent
        # as mmol/L.
        plausible_low=0.1,
        plausible_high=6.0,
    ),
    Analyte(
        key="vitamin_d",
        display="25-OH vitamin D",
        # 62292-8 = 25-OH D2+D3 [Mass/volume] (not in the excerpt; the total most labs report).
        # 1989-3 = 25-OH D3 [Mass/volume] (not in the excerpt), still printed by many labs for
        # the total result, so it is accepted as the same test.
        loinc=("62292-8", "1989-3"),
        synonyms=(
            "25(OH)D",
            "Vitamin D, 25-hydroxy",
            "25-hydroxyvitamin D",
            "Vitamin D 25-OH",
            "Vitamin D",
            "Vit D",
            "Calcidiol",
            "Calcifediol",
        ),
        canonical_unit="ng/mL",
        # Assays read from ~3; intoxication cases reach a few hundred ng/mL.
        plausible_low=1.0,
        plausible_high=300.0,
    ),
    Analyte(
        key="creatinine",
        display="Creatinine",
        # SerPl-mCnc (mg/dL), SerPl-sCnc, SerPl-msCnc (CDISC)
        loinc=("2160-0", "14682-9", "35203-9"),
        synonyms=(
            "Creat",
            "Serum creatinine",
            "Creatinine, serum",
            "S-Creatinine",
            "SCr",
        ),
        canonical_unit="umol/L",
        # Young children ~15; kidney failure before dialysis ~2000. Catches mg/dL (0.5-10)
        # sent as umol/L.
        plausible_low=10.0,
        plausible_high=2500.0,
    ),
    Analyte(
        key="egfr",
        display="eGFR",
        # None in the excerpt. 98979-8 CKD-EPI 2021; 62238-1 CKD-EPI; 33914-3 MDRD;
        # 48642-3 / 48643-1 MDRD among non-blacks / blacks.
        loinc=("98979-8", "62238-1", "33914-3", "48642-3", "48643-1"),
        synonyms=(
            "Estimated GFR",
            "GFR, estimated",
            "Estimated glomerular filtration rate",
            "eGFR (CKD-EPI)",
            "eGFR (MDRD)",
        ),
        canonical_unit="mL/min/1.73m2",
        # Reported from <5 (kidney failure) up to ~150 (hyperfiltration).
        plausible_low=1.0,
        plausible_high=200.0,
    ),
)

ANALYTES: Mapping[str, Analyte] = MappingProxyType({a.key: a for a in _CATALOGUE})


@functools.lru_cache(maxsize=4096)
def _normalise_name(text: str) -> str:
    """Case, accents, punctuation and spaces dropped: "FERRITIN (SERUM)" -> "ferritinserum".

    "%" is kept as a word ("% saturation" -> "percentsaturation") because dropping it would
    leave the bare, ambiguous "saturation" (oxygen saturation is a different test).
    Hyphens in LOINC codes are dropped too; codes stay distinct because the part after the
    hyphen is always one check digit.
    """
    # NFKD splits "ä" into "a" + a combining mark, which is not alphanumeric and so dropped.
    decomposed = unicodedata.normalize("NFKD", text.replace("%", " percent ")).casefold()
    return "".join(ch for ch in decomposed if ch.isalnum())


@functools.cache
def _index() -> dict[str, Analyte]:
    """Normalised name, synonym or LOINC code -> analyte; built on first use."""
    index: dict[str, Analyte] = {}
    for analyte in ANALYTES.values():
        for name in (analyte.key, analyte.display, *analyte.synonyms, *analyte.loinc):
            index[_normalise_name(name)] = analyte
    return index


def resolve_test(text: str, *, field: str = "test") -> Analyte:
    """The analyte a lab-report name, synonym or LOINC code refers to.

    Raises UnknownTestError with the closest known names as a hint; never guesses.
    """
    normalised = _normalise_name(text)
    analyte = _index().get(normalised)
    if analyte is not None:
        return analyte
    # Imported here: only the error path needs it.
    import difflib

    close = difflib.get_close_matches(normalised, list(_index()), n=5, cutoff=0.6)
    suggestions = " or ".join(dict.fromkeys(repr(_index()[name].key) for name in close))
    raise UnknownTestError(
        "unknown lab test" if text.strip() else "empty lab test name",
        field=field,
        value=text,
        accepted=(*ANALYTES, "or a LOINC code"),
        hint=f"did you mean {suggestions}?" if suggestions else None,
    )


def check_possible(analyte: Analyte, reading: Reading, *, field: str) -> None:
    """Reject values no body can have: below zero, or a percentage above 100.

    Unlike the plausible range this is an error, not a flag: there is no unit in which the
    value makes sense, so the input itself is wrong.
    """
    if reading.value < 0 or reading.lt(0.0) is True:
        raise ImpossibleValueError(
            f"{analyte.display} cannot be negative",
            field=field,
            value=str(reading),
            accepted=("a value of 0 or more",),
        )
    if analyte.canonical_unit == "%" and reading.gt(100.0) is True:
        raise ImpossibleValueError(
            f"{analyte.display} is a percentage and cannot exceed 100",
            field=field,
            value=str(reading),
            accepted=("0 to 100 %",),
            hint="check the value as printed on the lab report",
        )


def is_plausible(analyte: Analyte, reading: Reading) -> bool:
    """False when the value (canonical unit) is surely outside the plausible range.

    One-sided readings count as plausible unless their whole interval lies outside, so a
    report of "<1" is not flagged merely because the bound is low.
    """
    return (
        reading.lt(analyte.plausible_low) is not True
        and reading.gt(analyte.plausible_high) is not True
    )
