"""The three CDS services rlsiron offers, as discovery describes them, and their prefetch.

The prefetch templates ask for what the assessment reads: the Patient (sex and birth date),
the Observations of every test in the core's catalogue by its LOINC codes (the iron panel,
haemoglobin and CRP decide; kidney and vitamin results raise findings), active medicines, and
the Conditions (haemochromatosis forbids iron whatever the panel says). The codes are taken
from the catalogue (`core/labs/analytes.py`), so a code added there is fetched here too.

The order services ask for no medicines: their cards read only the decision and its findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.io.cdshooks.models import Service

PATIENT_TOKEN: Final = "{{context.patientId}}"
LOINC: Final = "http://loinc.org"

PATIENT_VIEW: Final = "rlsiron-iron-patient-view"
ORDER_SELECT: Final = "rlsiron-iron-order-select"
ORDER_SIGN: Final = "rlsiron-iron-order-sign"

_LAB_CODES: Final = ",".join(
    f"{LOINC}|{code}" for analyte in ANALYTES.values() for code in analyte.loinc
)

# Prefetch key -> template. The keys are also the names of what could not be fetched.
_RECORD: Final = {
    "patient": f"Patient/{PATIENT_TOKEN}",
    "observations": f"Observation?patient={PATIENT_TOKEN}&code={_LAB_CODES}&_sort=-date",
    # All Conditions, not only active ones: haemochromatosis recorded as inactive or in
    # remission still forbids iron; the FHIR reader decides what a status means.
    "conditions": f"Condition?patient={PATIENT_TOKEN}",
}
_MEDICINES: Final = {
    "medicationRequests": f"MedicationRequest?patient={PATIENT_TOKEN}&status=active",
    "medicationStatements": f"MedicationStatement?patient={PATIENT_TOKEN}&status=active",
}

_USAGE: Final = (
    "Reads prefetched data, or the FHIR server (fhirServer and fhirAuthorization) for any "
    "prefetch key not sent; answers 412 when it has neither. Decision support for clinicians, "
    "not a prescription."
)

SERVICES: Mapping[str, Service] = MappingProxyType(
    {
        service.id: service
        for service in (
            Service(
                hook="patient-view",
                id=PATIENT_VIEW,
                title="rlsiron: iron status for restless legs syndrome",
                description="Assesses the latest ferritin and transferrin saturation against the "
                "RLS iron guideline (AASM 2024) when a chart is opened: the iron-therapy "
                "decision with its reasons, and a separate card for each urgent finding.",
                prefetch={**_RECORD, **_MEDICINES},
                usage_requirements=_USAGE,
            ),
            Service(
                hook="order-select",
                id=ORDER_SELECT,
                title="rlsiron: iron order check (order selected)",
                description="When an iron product is selected, warns if the iron panel is missing "
                "or stale, and flags a safety stop (transferrin saturation at or above the "
                "guideline's limit, haemochromatosis). No card for other orders.",
                prefetch=dict(_RECORD),
                usage_requirements=_USAGE,
            ),
            Service(
                hook="order-sign",
                id=ORDER_SIGN,
                title="rlsiron: iron order check (before signing)",
                description="Before an iron order is signed, warns if the iron panel is missing "
                "or stale, and flags a safety stop (transferrin saturation at or above the "
                "guideline's limit, haemochromatosis). No card for other orders.",
                prefetch=dict(_RECORD),
                usage_requirements=_USAGE,
            ),
        )
    }
)


def query(template: str, patient_id: str) -> str:
    """The relative FHIR URL of a template for one patient (a validated FHIR id)."""
    return template.replace(PATIENT_TOKEN, patient_id)
