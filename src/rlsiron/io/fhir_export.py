"""`rlsiron export fhir`: an assessment as a FHIR R4 Bundle for an EHR.

The bundle holds the Patient, an Observation per lab result (fhir_export_resources.py), a
RiskAssessment for the decision, a DetectedIssue per safety finding and a CarePlan for the
plan and the next tests. It is built as plain JSON, validated whole with the fhir.resources
R4B models (never the package's R5 default), and returned as the models write it.

The bundle is a `collection`, not a `document`. A document is an attested clinical record: a
Composition with an author who stands behind it, signed and never edited. This is decision
support that nobody has attested yet, and an EHR takes its resources one by one (results into
the chart, the risk and the issues for review, the plan as a proposal), which is what a
collection offers. Every fullUrl is a `urn:uuid:` made with uuid5 from the input and the
assessment, so the same assessment always exports the same bundle (only `timestamp`, the
moment of export, differs).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any, Final

from rlsiron.core.knowledge.findings import FINDINGS
from rlsiron.core.knowledge.rules import VALUES
from rlsiron.core.knowledge.sources import SOURCES
from rlsiron.core.knowledge.thresholds import PROFILES
from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.core.models import Assessment, AssessmentInput, Finding, IronTherapyOut
from rlsiron.io.fhir_export_resources import (
    SYSTEM,
    Ids,
    Resource,
    Results,
    age_observation,
    lab_observations,
    loinc_concept,
    patient,
    ref,
    urn,
)

_DECISION: Final = f"{SYSTEM}:decision"
_RULE: Final = f"{SYSTEM}:rule"
_FINDING: Final = f"{SYSTEM}:finding"
_SECTION: Final = f"{SYSTEM}:plan-section"
_SOURCE: Final = f"{SYSTEM}:source"
_DOI: Final = re.compile(r"doi:\s*(10\.[^\s,;]+)")


def export_bundle(
    inp: AssessmentInput, assessment: Assessment, *, now: dt.datetime
) -> dict[str, Any]:
    """The assessment of `inp` as a FHIR R4 collection Bundle, JSON-ready.

    `now` (timezone-aware) is the bundle's timestamp, the only part that is not derived from
    the input and the assessment. Raises ValueError when `now` is naive, or when the
    assessment's results are not the input's.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware: a FHIR instant has a time zone")
    from fhir.resources.R4B.bundle import Bundle  # hundreds of ms: only when exporting

    ids = Ids(inp.model_dump_json(), assessment.model_dump_json())
    resources = _resources(inp, assessment, ids)
    bundle_id = ids.uuid("Bundle")
    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "id": bundle_id,
            "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{bundle_id}"},
            "type": "collection",
            "timestamp": now.isoformat(),
            "entry": [{"fullUrl": urn(r), "resource": r} for r in resources],
        }
    )
    exported: dict[str, Any] = bundle.model_dump(mode="json")
    return exported


def _resources(inp: AssessmentInput, assessment: Assessment, ids: Ids) -> list[Resource]:
    """Every resource of the bundle: the data first, then what rlsiron made of it."""
    results = lab_observations(inp, assessment, ids)
    age = age_observation(inp, assessment, ids)
    risk = _risk_assessment(assessment, results, ids)
    issues = [
        _detected_issue(finding, index, assessment, results, ids)
        for index, finding in enumerate(assessment.findings)
        if _is_safety(finding)
    ]
    plan = _care_plan(assessment, [risk, *issues], ids)
    return [
        patient(inp, ids),
        *results.observations,
        *([] if age is None else [age]),
        risk,
        *issues,
        plan,
    ]


# ------------------------------------------------------------------ the decision


def _risk_assessment(assessment: Assessment, results: Results, ids: Ids) -> Resource:
    """The decision as a RiskAssessment.

    R4's fields say: `basis` "information used in assessment" (the results the rules read),
    `method` "evaluation mechanism" (rlsiron, its profile, engine version and rule),
    `prediction.outcome` the decision, and `note` the engine's explanation. The rule's
    sources are the guidelines it applies, not patient data, so they are not `basis`; R4 has
    no citation field here, so each is a note with the citation as sources.txt gives it.
    """
    therapy = assessment.iron_therapy
    profile = PROFILES[assessment.profile]
    method = (
        f"rlsiron {assessment.engine_version}, profile {profile.id} ({profile.label}), "
        f"rule {therapy.rule}"
    )
    found: Resource = {
        "resourceType": "RiskAssessment",
        "id": ids.uuid("RiskAssessment"),
        "status": "final",
        "code": {"text": "Iron therapy for restless legs syndrome"},
        "method": {"coding": [{"system": _RULE, "code": therapy.rule}], "text": method},
        "subject": ids.ref("Patient"),
        "occurrenceDateTime": assessment.as_of.isoformat(),
        "prediction": [{"outcome": _decision(therapy)}],
        "note": [{"text": therapy.why}, *({"text": _cited(s)} for s in therapy.sources)],
    }
    if results.used:
        found["basis"] = [ref(url) for url in results.urls()]
    return found


def _decision(therapy: IronTherapyOut) -> Resource:
    routes = f" ({' or '.join(therapy.routes)})" if therapy.routes else ""
    words = therapy.decision.replace("_", " ")
    return {
        "coding": [{"system": _DECISION, "code": therapy.decision}],
        "text": f"Iron therapy: {words}{routes}",
    }


def _cited(source: str) -> str:
    return f"Source {source}: {SOURCES[source]}"


# ------------------------------------------------------------------ safety findings


def _is_safety(finding: Finding) -> bool:
    """Urgent, or a safety stop (no iron-boosting advice while it stands)."""
    return finding.severity == "urgent" or "safety_stop" in FINDINGS[finding.code].flags


def _detected_issue(
    finding: Finding, index: int, assessment: Assessment, results: Results, ids: Ids
) -> Resource:
    """A safety finding: the results its conditions read are `implicated`, and its sources
    are `evidence` (references by identifier, with the citation as display) and, for the
    first with a DOI, the `reference` R4 calls the authority for the issue."""
    found: Resource = {
        "resourceType": "DetectedIssue",
        "id": ids.uuid(f"DetectedIssue/{index}/{finding.code}"),
        "status": "final",
        "code": {"coding": [{"system": _FINDING, "code": finding.code}], "text": finding.title},
        "severity": "high",
        "patient": ids.ref("Patient"),
        "identifiedDateTime": assessment.as_of.isoformat(),
        "detail": finding.detail,
    }
    implicated = results.urls(_tests_read(finding))
    if implicated:
        found["implicated"] = [ref(url) for url in implicated]
    if finding.sources:
        found["evidence"] = [{"detail": [_source_reference(s) for s in finding.sources]}]
    link = next((url for s in finding.sources if (url := _doi_link(s)) is not None), None)
    if link is not None:
        found["reference"] = link
    return found


def _tests_read(finding: Finding) -> frozenset[str]:
    """The lab tests the finding's conditions read (values.txt names each value's analyte).

    A finding raised by the engine's code has no conditions, so it implicates no result.
    """
    names = {name for v in FINDINGS[finding.code].variants for name in v.when.reads}
    return frozenset(
        analyte
        for name in names
        if name in VALUES and (analyte := VALUES[name].analyte) is not None
    )


def _source_reference(source: str) -> Resource:
    return {"identifier": {"system": _SOURCE, "value": source}, "display": SOURCES[source]}


def _doi_link(source: str) -> str | None:
    match = _DOI.search(SOURCES[source])
    return None if match is None else f"https://doi.org/{match[1]}"


# ------------------------------------------------------------------ the plan


def _care_plan(assessment: Assessment, supporting: list[Resource], ids: Ids) -> Resource:
    """The plan as a proposal (decision support, not an order), the disclaimer as its
    description: an activity per plan item, coded by its section, then the next tests."""
    return {
        "resourceType": "CarePlan",
        "id": ids.uuid("CarePlan"),
        "status": "active",
        "intent": "proposal",
        "title": "Iron and restless legs syndrome: action plan",
        "description": assessment.disclaimer,
        "subject": ids.ref("Patient"),
        "period": {"start": assessment.as_of.isoformat()},
        "created": assessment.as_of.isoformat(),
        "supportingInfo": [ref(urn(r)) for r in supporting],
        "activity": [*_plan_items(assessment), *_next_tests(assessment)],
    }


def _plan_items(assessment: Assessment) -> Iterator[Resource]:
    sections = () if assessment.plan is None else assessment.plan.sections
    for section in sections:
        code = {
            "coding": [{"system": _SECTION, "code": section.id, "display": section.title}],
            "text": section.title,
        }
        for item in section.items:
            yield {"detail": {"code": code, "status": "not-started", "description": item}}


def _next_tests(assessment: Assessment) -> Iterator[Resource]:
    """One activity per test, a lab request (kind ServiceRequest) on the date it is due."""
    for entry in assessment.next_tests:
        for test in entry.tests:
            yield {
                "detail": {
                    "kind": "ServiceRequest",
                    "code": loinc_concept(ANALYTES[test]),
                    "status": "not-started",
                    "scheduledTiming": {"event": [entry.due.isoformat()]},
                    "description": entry.why,
                }
            }
