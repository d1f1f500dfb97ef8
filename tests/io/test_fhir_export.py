"""The FHIR R4 export: a collection Bundle that the R4B models validate and the importer reads back.

Every bundle here is validated with `fhir.resources.R4B.bundle.Bundle.model_validate`, and
its required codes (statuses, intents, severities) are checked against the value sets the
models list, which their validation itself does not enforce. The round trip goes through
`rlsiron import` as a user's file would: the exported bundle written to a file, detected,
read and merged.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from rlsiron import assess, parse_input
from rlsiron.core.knowledge.findings import FINDINGS
from rlsiron.core.knowledge.sources import SOURCES
from rlsiron.core.labs.analytes import ANALYTES, resolve_test
from rlsiron.core.labs.panel import read_lab
from rlsiron.core.labs.units import accepted_units, normalise_unit
from rlsiron.core.models import Assessment, AssessmentInput, LabInput
from rlsiron.errors import RlsironError
from rlsiron.io.fhir_export import export_bundle
from rlsiron.io.fhir_export_resources import ucum
from rlsiron.io.importer import import_files
from rlsiron.io.merge import ImportResult
from tests.conftest import load_vignettes

NOW = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)
AS_OF = dt.date(2026, 11, 20)
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
VIGNETTES = {case["id"]: case for case in load_vignettes()}

Resource = dict[str, Any]


# ------------------------------------------------------------------ helpers


def _assessed(document: dict[str, Any]) -> tuple[AssessmentInput, Assessment]:
    inp = parse_input(document, as_of=dt.date.fromisoformat(document["as_of"]))
    assert inp.as_of is not None
    return inp, assess(inp, as_of=inp.as_of)


def _export(document: dict[str, Any]) -> tuple[AssessmentInput, Assessment, Resource]:
    inp, assessment = _assessed(document)
    return inp, assessment, export_bundle(inp, assessment, now=NOW)


def _resources(bundle: Resource, kind: str) -> list[Resource]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _by_url(bundle: Resource) -> dict[str, Resource]:
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}


def _test_of(observation: Resource) -> str:
    """The catalogue test an Observation's LOINC code names."""
    return resolve_test(observation["code"]["coding"][0]["code"]).key


def _one(bundle: Resource, test: str, *, derived: bool = False, day: str = "") -> Resource:
    """The one Observation of a test (derived or measured, drawn on `day` when given)."""
    (found,) = [
        o
        for o in _resources(bundle, "Observation")
        if o["code"]["coding"][0]["code"] in ANALYTES[test].loinc
        and ("derivedFrom" in o) == derived
        and o["effectiveDateTime"].startswith(day)
    ]
    return found


def _references(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        # A Reference; DetectedIssue.reference is a uri of the resource itself, not one.
        if "resourceType" not in node and isinstance(node.get("reference"), str):
            yield node["reference"]
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def _bad_codes(model: BaseModel, where: str = "") -> Iterator[str]:
    """Codes outside the value set the R4B model lists for their field (required bindings)."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        extra = field.json_schema_extra
        allowed = extra.get("enum_values") if isinstance(extra, dict) else None
        if isinstance(allowed, list) and value is not None and value not in allowed:
            yield f"{where}{name} = {value!r}"
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(item, BaseModel):
                yield from _bad_codes(item, f"{where}{name}[{index}].")


def _check_valid(bundle: Resource) -> None:
    """Valid R4 (R4B models), required codes in their value sets, every reference resolved."""
    model = Bundle.model_validate(bundle)
    assert list(_bad_codes(model)) == []
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(urls)) == len(urls)
    assert all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", url) for url in urls)
    assert set(_references(bundle)) <= set(urls)
    json.dumps(bundle)  # JSON-ready as it stands


def _round_trip(bundle: Resource) -> ImportResult:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bundle.json"
        path.write_text(json.dumps(bundle), encoding="utf-8")
        return import_files([path])


def _lab_facts(labs: Sequence[LabInput], as_of: dt.date) -> set[tuple[str, dt.date, str, float]]:
    """Test, draw date, comparator and value as the engine compares it (canonical unit, at
    the reported precision), of the results on or before the assessment day.

    A set: the importer merges identical rows of one file into one result with two origins.
    """
    rows = [read_lab(index, lab) for index, lab in enumerate(labs)]
    return {
        (r.analyte.key, r.date, r.reading.qualifier, round(r.reading.compared, 9))
        for r in rows
        if r.date <= as_of
    }


def _check_round_trip(inp: AssessmentInput, bundle: Resource) -> None:
    assert inp.as_of is not None
    document = _round_trip(bundle).document
    imported = [LabInput.model_validate(row) for row in document["labs"]]
    assert _lab_facts(imported, inp.as_of) == _lab_facts(inp.labs, inp.as_of)
    assert document["person"]["sex"] == inp.person.sex
    birth = inp.person.birth_date
    assert document["person"].get("birth_date") == (None if birth is None else birth.isoformat())


# ------------------------------------------------------------------ the vignettes


@pytest.mark.parametrize("case", VIGNETTES)
def test_every_vignette_exports_a_valid_r4_bundle_that_the_importer_reads_back(case: str) -> None:
    inp, _, bundle = _export(VIGNETTES[case]["input"])
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    _check_valid(bundle)
    _check_round_trip(inp, bundle)


@pytest.mark.parametrize(
    "case", [c for c, v in VIGNETTES.items() if v["expect"]["decision"] == "contraindicated"]
)
def test_a_contraindicated_vignette_has_a_detected_issue_for_each_safety_finding(case: str) -> None:
    _, assessment, bundle = _export(VIGNETTES[case]["input"])
    issues = _resources(bundle, "DetectedIssue")
    assert issues
    safety = [
        f
        for f in assessment.findings
        if f.severity == "urgent" or "safety_stop" in FINDINGS[f.code].flags
    ]
    assert [i["code"]["coding"][0]["code"] for i in issues] == [f.code for f in safety]
    for issue, finding in zip(issues, safety, strict=True):
        assert issue["severity"] == "high"
        assert issue["code"]["text"] == finding.title
        assert issue["detail"] == finding.detail
        cited = [d["identifier"]["value"] for e in issue["evidence"] for d in e["detail"]]
        assert cited == list(finding.sources)


def test_a_high_tsat_implicates_the_tsat_observation() -> None:
    _, _, bundle = _export(VIGNETTES["V16"]["input"])
    (issue,) = [
        i
        for i in _resources(bundle, "DetectedIssue")
        if i["code"]["coding"][0]["code"] == "iron.tsat_high"
    ]
    implicated = [_test_of(_by_url(bundle)[r["reference"]]) for r in issue["implicated"]]
    assert implicated == ["tsat"]
    assert issue["reference"].startswith("https://doi.org/")


def test_haemochromatosis_is_a_detected_issue_that_implicates_no_result() -> None:
    document = {**VIGNETTES["V01"]["input"]}
    document["person"] = {**document["person"], "conditions": ["hemochromatosis"]}
    _, assessment, bundle = _export(document)
    assert assessment.iron_therapy.decision == "contraindicated"
    (issue,) = [
        i
        for i in _resources(bundle, "DetectedIssue")
        if i["code"]["coding"][0]["code"] == "iron.hemochromatosis"
    ]
    assert "implicated" not in issue


# ------------------------------------------------------------------ lab results


def _panel_document() -> dict[str, Any]:
    return {
        "as_of": "2026-11-20",
        "person": {"sex": "female", "birth_date": "1984-03-05"},
        "labs": [
            {
                "test": "Ferritin",
                "value": 101,
                "unit": "pmol/L",
                "date": "2026-11-02",
                "reference_range": "10-300",
                "flag": "H",
                "assay": "Elecsys",
            },
            {"test": "tsat", "value": "<5", "unit": "%", "date": "2026-11-02", "flag": "low"},
            {"test": "magnesium", "value": 1.7, "unit": "mg/dL", "date": "2026-11-02"},
            {"test": "egfr", "value": ">90", "unit": "mL/min/1.73m2", "date": "2026-11-02"},
            {"test": "ferritin", "value": 30, "unit": "ug/L", "date": "2025-06-01"},
        ],
    }


def test_a_result_is_a_final_laboratory_observation_in_the_canonical_unit_in_ucum() -> None:
    _, assessment, bundle = _export(_panel_document())
    ferritin = _one(bundle, "ferritin", day="2026-11-02")
    assert ferritin["status"] == "final"
    assert ferritin["category"][0]["coding"][0]["code"] == "laboratory"
    assert ferritin["code"]["coding"] == [{"system": LOINC, "code": ANALYTES["ferritin"].loinc[0]}]
    assert ferritin["effectiveDateTime"] == "2026-11-02"
    # 101 pmol/L is 44.945 ug/L, reported to 1 pmol/L (0.445 ug/L): 44.9 as the engine compares it.
    assert ferritin["valueQuantity"] == {
        "value": 44.9,
        "unit": "ug/L",
        "system": UCUM,
        "code": "ug/L",
    }
    assert ferritin["note"] == [{"text": "As reported: 101 pmol/L."}]
    assert ferritin["method"] == {"text": "Elecsys"}
    low, high = ferritin["referenceRange"][0]["low"], ferritin["referenceRange"][0]["high"]
    assert (low["value"], high["value"], high["code"]) == (4.45, 133.5, "ug/L")
    assert ferritin["interpretation"][0]["coding"][0]["code"] == "H"
    assert assessment.labs[0].test == "ferritin"


def test_a_one_sided_result_keeps_its_comparator_and_a_printed_flag_stays_text() -> None:
    _, _, bundle = _export(_panel_document())
    tsat = _one(bundle, "tsat")
    assert tsat["valueQuantity"]["comparator"] == "<"
    assert tsat["valueQuantity"]["value"] == 5
    assert tsat["interpretation"] == [{"text": "low"}]
    assert "note" not in tsat  # given in its canonical unit: nothing to add
    assert _one(bundle, "egfr")["valueQuantity"]["comparator"] == ">"


def test_a_converted_result_is_exported_at_the_precision_it_was_reported_with() -> None:
    _, _, bundle = _export(_panel_document())
    # 1.7 mg/dL is 0.6994 mmol/L; reported to 0.1 mg/dL it is 0.70, and 0.70 is what the
    # engine compares with its cut-offs: the re-imported value must compare the same.
    assert _one(bundle, "magnesium")["valueQuantity"]["value"] == 0.7


def test_the_history_is_exported_and_only_the_results_used_are_the_decisions_basis() -> None:
    _, assessment, bundle = _export(_panel_document())
    observations = _resources(bundle, "Observation")
    dates = sorted(o["effectiveDateTime"] for o in observations if _test_of(o) == "ferritin")
    assert dates == ["2025-06-01", "2026-11-02"]
    (risk,) = _resources(bundle, "RiskAssessment")
    basis = [_by_url(bundle)[r["reference"]] for r in risk["basis"]]
    assert [_test_of(o) for o in basis] == [lab.test for lab in assessment.labs]
    assert "2025-06-01" not in {o["effectiveDateTime"] for o in basis}


def test_every_canonical_unit_has_a_ucum_code_the_unit_table_reads_as_that_unit() -> None:
    for analyte in ANALYTES.values():
        code = ucum(analyte)
        assert normalise_unit(code) == analyte.canonical_unit
        assert " " not in code
    assert ucum(ANALYTES["egfr"]) == "mL/min/{1.73_m2}"  # UCUM has no decimal factors


def test_a_calculated_tsat_is_derived_from_the_iron_and_tibc_observations() -> None:
    _, _, bundle = _export(VIGNETTES["V21"]["input"])
    tsat = _one(bundle, "tsat", derived=True)
    sources = [_by_url(bundle)[r["reference"]] for r in tsat["derivedFrom"]]
    assert [_test_of(o) for o in sources] == ["iron", "tibc"]
    assert all("derivedFrom" not in o for o in sources)
    assert "Calculated" in tsat["note"][0]["text"]


def test_an_estimated_tsat_is_derived_through_the_tibc_estimated_from_transferrin() -> None:
    _, _, bundle = _export(VIGNETTES["V22"]["input"])
    tsat = _one(bundle, "tsat", derived=True)
    iron, tibc = (_by_url(bundle)[r["reference"]] for r in tsat["derivedFrom"])
    assert (_test_of(iron), _test_of(tibc)) == ("iron", "tibc")
    (transferrin,) = (_by_url(bundle)[r["reference"]] for r in tibc["derivedFrom"])
    assert _test_of(transferrin) == "transferrin"
    assert "Estimated" in tsat["note"][0]["text"] and "Estimated" in tibc["note"][0]["text"]


@pytest.mark.parametrize("case", ["V21", "V22"])
def test_a_derived_tsat_does_not_come_back_as_a_reported_one(case: str) -> None:
    inp, _, bundle = _export(VIGNETTES[case]["input"])
    document = _round_trip(bundle).document
    tests = sorted(row["test"] for row in document["labs"])
    assert tests == sorted(resolve_test(lab.test).key for lab in inp.labs)
    assert "tsat" not in tests


# ------------------------------------------------------------------ the person


def test_the_patient_has_the_birth_date_when_the_input_has_one_and_no_age_observation() -> None:
    _, _, bundle = _export(_panel_document())
    (patient,) = _resources(bundle, "Patient")
    assert patient == {
        "resourceType": "Patient",
        "id": patient["id"],
        "gender": "female",
        "birthDate": "1984-03-05",
    }
    assert all(_test_of_or_none(o) is not None for o in _resources(bundle, "Observation"))


def _test_of_or_none(observation: Resource) -> str | None:
    try:
        return _test_of(observation)
    except RlsironError:
        return None


def test_without_a_birth_date_the_age_on_the_assessment_day_is_an_observation() -> None:
    _, _, bundle = _export(VIGNETTES["V06"]["input"])
    (patient,) = _resources(bundle, "Patient")
    assert "birthDate" not in patient
    (age,) = [o for o in _resources(bundle, "Observation") if _test_of_or_none(o) is None]
    assert age["valueQuantity"]["value"] == VIGNETTES["V06"]["input"]["person"]["age_years"]
    assert (age["valueQuantity"]["system"], age["valueQuantity"]["code"]) == (UCUM, "a")
    assert age["effectiveDateTime"] == VIGNETTES["V06"]["input"]["as_of"]


# ------------------------------------------------------------------ decision and plan


def test_the_risk_assessment_names_the_decision_the_method_the_why_and_the_sources() -> None:
    _, assessment, bundle = _export(VIGNETTES["V01"]["input"])
    (risk,) = _resources(bundle, "RiskAssessment")
    therapy = assessment.iron_therapy
    assert risk["status"] == "final"
    assert risk["prediction"][0]["outcome"]["coding"][0]["code"] == therapy.decision
    assert risk["prediction"][0]["outcome"]["text"] == "Iron therapy: indicated (iv or oral)"
    method = risk["method"]["text"]
    assert "rlsiron" in method and assessment.engine_version in method
    assert assessment.profile in method and therapy.rule in method
    notes = [n["text"] for n in risk["note"]]
    assert notes[0] == therapy.why
    assert all(any(SOURCES[s] in note for note in notes) for s in therapy.sources)
    assert risk["occurrenceDateTime"] == assessment.as_of.isoformat()


def test_the_care_plan_is_a_proposal_with_the_disclaimer_the_plan_items_and_the_next_tests() -> (
    None
):
    _, assessment, bundle = _export(VIGNETTES["V01"]["input"])
    (plan,) = _resources(bundle, "CarePlan")
    assert (plan["status"], plan["intent"]) == ("active", "proposal")
    assert plan["description"] == assessment.disclaimer
    details = [a["detail"] for a in plan["activity"]]
    assert all(d["status"] == "not-started" for d in details)
    assert assessment.plan is not None
    items = [(s.id, item) for s in assessment.plan.sections for item in s.items]
    assert [
        (d["code"]["coding"][0]["code"], d["description"]) for d in details[: len(items)]
    ] == items
    tests = [(t, n.due.isoformat()) for n in assessment.next_tests for t in n.tests]
    scheduled = [
        (resolve_test(d["code"]["coding"][0]["code"]).key, d["scheduledTiming"]["event"][0])
        for d in details[len(items) :]
    ]
    assert scheduled == tests
    assert all(d["kind"] == "ServiceRequest" for d in details[len(items) :])
    supporting = {_by_url(bundle)[r["reference"]]["resourceType"] for r in plan["supportingInfo"]}
    assert supporting == {"RiskAssessment"}


def test_an_assessment_without_a_plan_still_exports_the_next_tests() -> None:
    inp, _ = _assessed(VIGNETTES["V01"]["input"])
    assert inp.as_of is not None
    assessment = assess(inp, as_of=inp.as_of, plan=False)
    bundle = export_bundle(inp, assessment, now=NOW)
    _check_valid(bundle)
    (plan,) = _resources(bundle, "CarePlan")
    assert all(a["detail"]["kind"] == "ServiceRequest" for a in plan["activity"])


# ------------------------------------------------------------------ identity


def test_the_same_assessment_exports_the_same_bundle_whenever_it_is_exported() -> None:
    inp, assessment, first = _export(VIGNETTES["V16"]["input"])
    later = export_bundle(inp, assessment, now=NOW + dt.timedelta(days=3))
    assert later["timestamp"] != first["timestamp"]
    assert {**later, "timestamp": None} == {**first, "timestamp": None}


def test_two_assessments_share_no_id() -> None:
    *_, first = _export(VIGNETTES["V01"]["input"])
    *_, second = _export({**VIGNETTES["V01"]["input"], "as_of": "2026-11-21"})
    assert not set(_by_url(first)) & set(_by_url(second))


def test_a_timestamp_without_a_time_zone_is_refused() -> None:
    inp, assessment = _assessed(VIGNETTES["V01"]["input"])
    with pytest.raises(ValueError, match="timezone-aware"):
        export_bundle(inp, assessment, now=dt.datetime(2026, 11, 24, 9, 30))


def test_an_assessment_of_another_input_is_refused() -> None:
    inp, _ = _assessed(VIGNETTES["V01"]["input"])
    _, other = _assessed(VIGNETTES["V02"]["input"])
    with pytest.raises(ValueError, match="not of this input"):
        export_bundle(inp, other, now=NOW)


# ------------------------------------------------------------------ generated inputs


@st.composite
def _labs(draw: st.DrawFn) -> dict[str, Any]:
    key = draw(st.sampled_from(sorted(ANALYTES)))
    ceiling = 99 if ANALYTES[key].canonical_unit == "%" else 3000
    number = round(draw(st.floats(0, ceiling)), draw(st.integers(0, 3)))
    comparator = draw(st.sampled_from([None, "<", "<=", ">", ">="]))
    assume(number > 0 or comparator != "<")  # "<0" is impossible: an input error
    form = draw(st.sampled_from(["number", "text", "quantity"]))
    value: object = int(number) if number.is_integer() else number
    if form == "quantity":
        value = {"value": value, "comparator": comparator}
    elif form == "text" or comparator is not None:
        value = f"{comparator or ''}{value}"
    lab: dict[str, Any] = {
        "test": draw(st.sampled_from([key, ANALYTES[key].display, *ANALYTES[key].loinc])),
        "value": value,
        "unit": draw(st.sampled_from(accepted_units(key))),
        "date": draw(st.dates(dt.date(2015, 1, 1), AS_OF + dt.timedelta(days=30))).isoformat(),
    }
    if draw(st.booleans()):
        low = round(draw(st.floats(0, ceiling)), 1)
        lab["reference_range"] = {"low": low, "high": low + round(draw(st.floats(0, 50)), 1)}
    if draw(st.booleans()):
        lab["flag"] = draw(st.sampled_from(["H", "L", "HH", "A", "N", "abnormal"]))
    if key == "ferritin" and draw(st.booleans()):
        lab["assay"] = draw(st.sampled_from(["roche", "beckman", "other"]))
    return lab


@st.composite
def _documents(draw: st.DrawFn) -> dict[str, Any]:
    person: dict[str, Any] = {"sex": draw(st.sampled_from(["female", "male"]))}
    if draw(st.booleans()):
        born = draw(st.dates(AS_OF - dt.timedelta(days=36500), AS_OF))
        person["birth_date"] = born.isoformat()
    else:
        person["age_years"] = draw(st.integers(5, 100))
    labs = draw(st.lists(_labs(), max_size=8))
    if draw(st.booleans()):
        labs += _panel(draw)
    return {
        "as_of": AS_OF.isoformat(),
        "profile": draw(st.sampled_from(["aasm-2024", "ferritin-50"])),
        "person": person,
        "labs": labs,
    }


def _panel(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Iron with a binding capacity of the same draw: the engine derives TIBC and TSAT."""
    day = draw(st.dates(dt.date(2025, 1, 1), AS_OF)).isoformat()
    binding = draw(st.sampled_from(["tibc", "uibc", "transferrin"]))
    iron = round(draw(st.floats(ANALYTES["iron"].plausible_low, 40)), 1)
    capacity = round(draw(st.floats(ANALYTES[binding].plausible_low + 1, 100)), 1)
    return [
        {"test": "iron", "value": iron, "unit": "umol/L", "date": day},
        {"test": binding, "value": capacity, "unit": accepted_units(binding)[0], "date": day},
    ]


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(_documents())
def test_generated_inputs_export_valid_bundles_whose_values_come_back(
    document: dict[str, Any],
) -> None:
    inp, _, bundle = _export(document)
    _check_valid(bundle)
    _check_round_trip(inp, bundle)


# ------------------------------------------------------------------ the catalogue's codes


def _unit_kind(unit: str) -> str | None:
    """LOINC's property for a concentration unit: substance (mol) or mass (g)."""
    if "mol/" in unit:
        return "sCnc"
    if re.search(r"g/[dm]?L$", unit):
        return "mCnc"
    return None


def test_each_exported_loinc_code_measures_the_kind_of_quantity_of_the_canonical_unit(
    shared: Path,
) -> None:
    table = shared / "data" / "loinc" / "loinc_iron_related_subset.tsv"
    with table.open(encoding="utf-8") as handle:
        names = {
            row["LOINC_NUM"]: row["SHORTNAME"] for row in csv.DictReader(handle, delimiter="\t")
        }
    wrong = [
        f"{a.key}: {a.loinc[0]} ({names[a.loinc[0]]}) for {a.canonical_unit}"
        for a in ANALYTES.values()
        if (kind := _unit_kind(a.canonical_unit)) is not None
        and a.loinc[0] in names
        and not names[a.loinc[0]].endswith(kind)
    ]
    assert wrong == []
