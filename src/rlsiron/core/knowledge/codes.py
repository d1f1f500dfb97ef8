"""Finding codes: one typed vocabulary, so no code is compared as a bare string.

The set equals the codes of `data/findings.toml` (a test checks); the contract's JSON
carries the string values.
"""

from __future__ import annotations

from enum import StrEnum


class FindingCode(StrEnum):
    """Every finding the assessment can report (contract: "Finding codes")."""

    IRON_HEMOCHROMATOSIS = "iron.hemochromatosis"
    IRON_TSAT_HIGH = "iron.tsat_high"
    IRON_HIGH_TSAT_ON_ORAL_IRON = "iron.high_tsat_on_oral_iron"
    IRON_OVERLOAD_PATTERN = "iron.overload_pattern"
    IRON_FERRITIN_VERY_HIGH = "iron.ferritin_very_high"
    IRON_LOW_FOR_RLS = "iron.low_for_rls"
    IRON_IV_ONLY_BAND = "iron.iv_only_band"
    IRON_LOW_TSAT_HIGH_FERRITIN = "iron.low_tsat_high_ferritin"
    IRON_FERRITIN_HIGH_NORMAL_TSAT = "iron.ferritin_high_normal_tsat"
    IRON_WHO_DEFICIENCY = "iron.who_deficiency"
    IRON_ADEQUATE_FOR_RLS = "iron.adequate_for_rls"
    IRON_TSAT_ESTIMATED = "iron.tsat_estimated"
    IRON_ASSAY_DEPENDENT = "iron.assay_dependent"
    IRON_ORAL_POORLY_ABSORBED = "iron.oral_poorly_absorbed"
    IRON_ONGOING_LOSS = "iron.ongoing_loss"
    LABS_MISSING = "labs.missing"
    LABS_STALE = "labs.stale"
    LABS_AFTER_IV_IRON = "labs.after_iv_iron"
    LABS_TSAT_DISCORDANT = "labs.tsat_discordant"
    LABS_UNIT_SUSPECT = "labs.unit_suspect"
    LABS_FUTURE_DATE = "labs.future_date"
    CONTEXT_CONDITION_NOT_USED = "context.condition_not_used"
    INFLAMMATION_FERRITIN_UNRELIABLE = "inflammation.ferritin_unreliable"
    ANEMIA_PRESENT = "anemia.present"
    ANEMIA_INVESTIGATE_CAUSE = "anemia.investigate_cause"
    PREGNANCY_OBSTETRIC_CARE = "pregnancy.obstetric_care"
    PEDIATRIC_RULE_APPLIED = "pediatric.rule_applied"
    PEDIATRIC_ADULT_RULE_DIFFERS = "pediatric.adult_rule_differs"
    KIDNEY_DIALYSIS_RULE = "kidney.dialysis_rule"
    KIDNEY_NEPHROLOGY = "kidney.nephrology"
    KIDNEY_ASK_STATUS = "kidney.ask_status"
    RLS_CRITERIA_NOT_MET = "rls.criteria_not_met"
    RLS_SEVERITY = "rls.severity"
    RLS_DIARY_TREND = "rls.diary_trend"
    MEDS_MAY_WORSEN_RLS = "meds.may_worsen_rls"
    MEDS_AUGMENTATION_RISK = "meds.augmentation_risk"
    SYMPTOMS_IRON_DEFICIENCY = "symptoms.iron_deficiency"
    NUTRIENTS_FOLATE_LOW = "nutrients.folate_low"
    NUTRIENTS_B12_LOW = "nutrients.b12_low"
    NUTRIENTS_MAGNESIUM_LOW = "nutrients.magnesium_low"
    NUTRIENTS_VITAMIN_D_LOW = "nutrients.vitamin_d_low"
    THERAPY_STOP_AND_REVIEW = "therapy.stop_and_review"
    THERAPY_LOW_DESPITE_ORAL_IRON = "therapy.low_despite_oral_iron"
    THERAPY_RETEST_DUE = "therapy.retest_due"
