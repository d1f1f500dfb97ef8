"""The FHIR reader: real R4 and STU3 exports, HL7's examples, broken files, and properties.

Real files are read from ../shared/data (see each folder's PROVENANCE.md); the small
fixtures in data/fhir are hand-made exports with the quirks real ones carry.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import rlsiron
from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.core.models import Quantity, RangeInput
from rlsiron.io.extract import Extract, FoundLab
from rlsiron.io.fhir import STU3_ONLY, read_fhir, read_fhir_resources
from rlsiron.io.importer import ReadOptions, import_files
from rlsiron.io.merge import ImportResult
from tests.conftest import SHARED

DATA = Path(__file__).parent / "data" / "fhir"
SMART = SHARED / "data" / "fhir" / "smart-sample-patients"
SMART_WITH_PATIENT = SMART / "STU3_patient-8888803.fhir-bundle.01.json"
SMART_WITHOUT_PATIENT = SMART / "STU3_patient-8888803.fhir-bundle.json"
SYNTHEA = SHARED / "data" / "fhir" / "synthea-r4"
KIRSTEN = SYNTHEA / "Kirsten_Witting_a09212a3-af3e-4194-b1d1-3f0a543222f6.json"
ORALIA = SYNTHEA / "Oralia_Stark_b21200a6-ec96-408b-b8ab-e481402ac607.json"
VERA = SYNTHEA / "Vera_Spinka_165b0894-dab7-4721-802c-cae4bbb2eace.json"
HL7 = SHARED / "data" / "fhir-examples" / "r4"
PORTAL = DATA / "portal-export-r4.json"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
IRON_PANEL = ("ferritin", "iron", "tibc", "tsat", "hemoglobin")


def read_path(path: Path, patient: str | None = None) -> Extract:
    return read_fhir(path.read_bytes(), path.name, ReadOptions(patient=patient))


def read_json(document: object, patient: str | None = None) -> Extract:
    return read_fhir(json.dumps(document).encode(), "export.json", ReadOptions(patient=patient))


def labs(extract: Extract, test: str) -> list[FoundLab]:
    return sorted((lab for lab in extract.labs if lab.test == test), key=lambda lab: lab.date)


def number(lab: FoundLab) -> float:
    assert isinstance(lab.value, int | float), lab.value
    return lab.value


def facts(extract: Extract, field: str) -> list[object]:
    return [fact.value for fact in extract.facts if fact.field == field]


def problems(extract: Extract) -> list[str]:
    return [problem.describe() for problem in extract.problems]


def observation(
    code: str | dict[str, Any] = "2276-4",
    value: object = 18,
    unit: str | None = "ug/L",
    **fields: Any,
) -> dict[str, Any]:
    """An R4 laboratory Observation (a LOINC code or a whole CodeableConcept); `fields`
    replace its defaults (None removes one) or add to them."""
    concept = {"coding": [{"system": LOINC, "code": code}]} if isinstance(code, str) else code
    quantity: dict[str, Any] = {"value": value}
    if unit is not None:
        quantity |= {"unit": unit, "system": UCUM, "code": unit}
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": "obs",
        "status": "final",
        "code": concept,
        "effectiveDateTime": "2024-03-05",
        "valueQuantity": quantity,
    }
    resource.update(fields)
    return {k: v for k, v in resource.items() if v is not None}


def bundle(*resources: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": resource} for resource in resources],
    }


def patient(ident: str = "p1", **fields: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": ident, "gender": "female", **fields}


@pytest.fixture(scope="module")
def portal() -> Extract:
    return read_path(PORTAL)


# --- the SMART STU3 samples: the only public bundles with a full iron panel -------------------

# PROVENANCE.md: three panels of patient 8888803, values and units as the files store them.
SMART_PANELS = {
    dt.date(2015, 4, 29): {
        "ferritin": (4, "ug/L"),
        "iron": (20, "ug/L"),
        "tibc": (449, "ug/dL"),
        "tsat": (4, "%"),
        "hemoglobin": (10.5, "g/dL"),
    },
    dt.date(2015, 10, 31): {
        "ferritin": (9, "ug/L"),
        "iron": (33, "ug/L"),
        "tibc": (415, "ug/dL"),
        "tsat": (8, "%"),
        "hemoglobin": (11.4, "g/dL"),
    },
    dt.date(2016, 6, 9): {
        "ferritin": (11, "ug/L"),
        "iron": (35, "ug/L"),
        "tibc": (413, "ug/dL"),
        "tsat": (10, "%"),
        "hemoglobin": (11.8, "g/dL"),
    },
}


@pytest.fixture(scope="module")
def smart_import() -> ImportResult:
    return import_files([SMART_WITH_PATIENT, SMART_WITHOUT_PATIENT])


def test_the_two_smart_files_give_three_dated_iron_panels_once_each(
    smart_import: ImportResult,
) -> None:
    rows = smart_import.document["labs"]
    panel_days = {day.isoformat() for day in SMART_PANELS}
    found = {
        (row["date"], row["test"]): (row["value"], row["unit"])
        for row in rows
        if row["test"] in IRON_PANEL and row["date"] in panel_days
    }
    expected = {
        (day.isoformat(), test): reading
        for day, panel in SMART_PANELS.items()
        for test, reading in panel.items()
    }
    assert found == expected
    assert len({(row["date"], row["test"]) for row in rows}) == len(rows)  # no duplicate
    assert smart_import.problems == ()


def test_the_person_comes_from_the_smart_file_that_has_the_patient(
    smart_import: ImportResult,
) -> None:
    # PROVENANCE.md gives 1982-09-16 from the source table; the FHIR files are time-shifted
    # by 1272 days, dates of results and birth alike (2011-11-04 -> 2015-04-29), so the
    # Patient resource says 1986-03-11.
    person = smart_import.document["person"]
    assert person["sex"] == "female"
    assert person["birth_date"] == "1986-03-11"
    origin = smart_import.document["provenance"]["person.sex"][0]
    assert origin["file"] == str(SMART_WITH_PATIENT)
    assert origin["at"] == "entry 0 (Patient/smart-8888803)"


def test_serum_iron_in_ug_per_l_is_kept_as_printed_so_the_engine_flags_it(
    smart_import: ImportResult,
) -> None:
    iron = [row for row in smart_import.document["labs"] if row["test"] == "iron"]
    assert {row["unit"] for row in iron} == {"ug/L"}
    as_of = dt.date(2016, 7, 1)
    result = rlsiron.assess(rlsiron.parse_input(smart_import.document, as_of=as_of), as_of=as_of)
    suspect = [f for f in result.findings if f.code == "labs.unit_suspect"]
    assert [f.evidence["test"] for f in suspect] == ["Iron"]
    assert suspect[0].evidence["original"] == "35 ug/L"


def test_strict_stu3_validation_fails_on_the_smart_files_and_the_reader_still_reads_them() -> None:
    from fhir.resources.STU3.bundle import Bundle

    for path in (SMART_WITH_PATIENT, SMART_WITHOUT_PATIENT):
        with pytest.raises(ValidationError, match="valueString"):
            Bundle.model_validate(json.loads(path.read_bytes()))
        extract = read_path(path)
        assert extract.problems == []
        assert {lab.test for lab in extract.labs} >= {"ferritin", "iron", "tibc", "tsat"}


def test_smart_ranges_of_zero_to_zero_are_placeholders_not_ranges() -> None:
    extract = read_path(SMART_WITHOUT_PATIENT)
    assert extract.labs
    assert all(lab.reference_range is None for lab in extract.labs)


def test_stu3_conditions_and_medication_requests_are_read_by_their_status() -> None:
    extract = read_path(SMART_WITHOUT_PATIENT)
    conditions = facts(extract, "person.conditions")
    assert "Iron deficiency anemia" in conditions  # clinicalStatus "active", an STU3 code
    assert "Vitamin D deficiency" not in conditions  # abatementDateTime 2015-10-31
    assert extract.skipped["Vitamin D deficiency (abated)"] == 1
    medications = facts(extract, "medications")
    assert "Ferrous gluconate 325mg" in medications
    assert "Synthroid 25mcg" not in medications
    assert extract.skipped["Synthroid 25mcg (completed)"] == 1


def test_the_stu3_only_fields_are_those_the_r4b_models_lack() -> None:
    from fhir.resources.R4B import get_fhir_model_class as r4b
    from fhir.resources.STU3 import get_fhir_model_class as stu3

    def fields(model: Any) -> set[str]:
        return {field.alias or name for name, field in model.model_fields.items()}

    for kind, only in STU3_ONLY.items():
        # Primitive extensions ("_comment") go with their field.
        missing = {f for f in fields(stu3(kind)) - fields(r4b(kind)) if not f.startswith("_")}
        assert only == missing, kind


# --- Synthea R4 -----------------------------------------------------------------------------

# PROVENANCE.md: haemoglobin (g/dL) by date, and the birth date.
SYNTHEA_HB = {
    VERA: ("1982-04-21", [("2013-07-17", 7.39), ("2013-07-18", 11.26), ("2015-12-23", 13.31)]),
    ORALIA: ("1998-08-27", [("2014-10-09", 15.65), ("2020-10-29", 11.82), ("2020-10-29", 13.94)]),
    KIRSTEN: ("1948-06-14", [("2015-03-10", 13.95), ("2020-04-07", 17.49)]),
}


@pytest.mark.parametrize("path", list(SYNTHEA_HB), ids=lambda p: p.name.split("_")[0])
def test_each_synthea_bundle_gives_its_haemoglobin_history_and_person(path: Path) -> None:
    born, history = SYNTHEA_HB[path]
    extract = read_path(path)
    found = sorted(
        (lab.date.isoformat(), round(number(lab), 2)) for lab in labs(extract, "hemoglobin")
    )
    assert found == history
    assert {lab.unit for lab in labs(extract, "hemoglobin")} == {"g/dL"}
    assert facts(extract, "person.sex") == ["female"]
    assert facts(extract, "person.birth_date") == [dt.date.fromisoformat(born)]
    assert extract.problems == []


def test_an_active_anemia_condition_is_kept_as_recorded_and_a_resolved_one_is_not() -> None:
    for path in (KIRSTEN, ORALIA):
        assert "Anemia (disorder)" in facts(read_path(path), "person.conditions")
    vera = read_path(VERA)
    assert "Anemia (disorder)" not in facts(vera, "person.conditions")
    assert vera.skipped["Anemia (disorder) (resolved)"] == 1


def test_the_ferrous_sulfate_order_is_a_medication_and_stopped_orders_are_not() -> None:
    extract = read_path(KIRSTEN)
    medications = facts(extract, "medications")
    assert "ferrous sulfate 325 MG Oral Tablet" in medications
    assert "Acetaminophen 325 MG Oral Tablet" not in medications
    assert extract.skipped["Acetaminophen 325 MG Oral Tablet (stopped)"] == 1


def test_mch_and_mchc_are_skipped_never_read_as_haemoglobin() -> None:
    extract = read_path(KIRSTEN)
    assert extract.skipped["MCH [Entitic mass] by Automated count"] > 0
    assert extract.skipped["MCHC [Mass/volume] by Automated count"] > 0
    assert len(labs(extract, "hemoglobin")) == len(SYNTHEA_HB[KIRSTEN][1])


# --- HL7's R4 examples ----------------------------------------------------------------------


def test_hl7_f005_haemoglobin_is_read_with_the_ucum_unit_its_flag_and_range() -> None:
    extract = read_path(HL7 / "observation-example-f005-hemoglobin.json")
    (lab,) = extract.labs
    assert (lab.test, lab.value, lab.date) == ("hemoglobin", 7.2, dt.date(2013, 4, 5))
    assert lab.unit == "g/dL"  # the UCUM code; the file prints "g/dl"
    assert lab.origin.text == "Hemoglobin [Mass/volume] in Blood = 7.2 g/dl"
    assert lab.origin.at == "Observation/f005"
    assert lab.flag == "L"
    assert lab.reference_range == RangeInput(low=7.5, high=10)


@pytest.mark.parametrize(
    ("name", "drawn"),
    [
        ("diagnosticreport-example.json", dt.date(2011, 3, 4)),  # the report's effective
        ("diagnosticreport-example-ghp.json", dt.date(2015, 8, 16)),  # its CBC panel's specimen
    ],
)
def test_results_without_a_date_take_their_report_or_panel_draw_date(
    name: str, drawn: dt.date
) -> None:
    (hb,) = labs(read_path(HL7 / name), "hemoglobin")
    assert (hb.value, hb.unit, hb.date) == (176, "g/L", drawn)
    assert hb.origin.at.endswith("(Observation/r1)")


@pytest.mark.parametrize("path", sorted(HL7.glob("*.json")), ids=lambda p: p.name)
def test_every_hl7_example_is_read_or_refused_clearly(path: Path) -> None:
    extract = read_path(path)
    assert extract.usable or extract.problems or extract.skipped
    assert all(p.location.startswith(f"{path.name}: ") for p in extract.problems)


def test_a_transaction_with_five_patients_reads_nothing_and_lists_them() -> None:
    extract = read_path(HL7 / "bundle-transaction.json")
    assert not extract.usable
    (problem,) = problems(extract)
    assert "holds 5 patients" in problem and "123, " in problem and "123a" in problem
    assert "--patient" in problem


# --- a portal export with the quirks of real ones (data/fhir/portal-export-r4.json) -----------


def test_a_broken_entry_is_a_problem_named_by_entry_and_the_others_are_read(
    portal: Extract,
) -> None:
    (problem,) = problems(portal)
    assert problem.startswith(
        "portal-export-r4.json: entry 5 (Observation/crp-2024): gives no unit"
    )
    # Strict R4 validation says why: a typo the lenient read cannot know about.
    assert "not valid FHIR R4: valueQuantity.units: Extra inputs are not permitted" in problem
    assert [lab.test for lab in labs(portal, "ferritin")] == ["ferritin"]
    assert {lab.test for lab in portal.labs} == {"ferritin", "tsat", "hemoglobin"}


def test_the_specimen_collection_is_the_draw_date_before_effective_and_issued(
    portal: Extract,
) -> None:
    (ferritin,) = labs(portal, "ferritin")
    assert ferritin.date == dt.date(2024, 3, 5)  # issued is 2024-03-06
    assert ferritin.reference_range == RangeInput(low=15, high=150)
    assert ferritin.flag == "N"


def test_a_result_of_a_report_takes_the_report_date_and_contained_results_are_read(
    portal: Extract,
) -> None:
    (tsat,) = labs(portal, "tsat")
    assert (tsat.value, tsat.unit, tsat.date, tsat.flag) == (12, "%", dt.date(2024, 3, 5), "L")
    # A range text the core cannot read would cost the result: left out, with a note.
    assert tsat.reference_range is None
    assert tsat.note == "reference range not read: 20-50 %"
    contained = [lab for lab in portal.labs if "contained" in lab.origin.at]
    assert [(lab.test, lab.value, lab.date) for lab in contained] == [
        ("hemoglobin", 12.1, dt.date(2024, 3, 5))
    ]
    assert (
        contained[0].origin.at == "entry 1 (DiagnosticReport/iron-2024), contained Observation/hb"
    )


def test_a_datetime_without_its_time_zone_is_still_read_on_its_day(portal: Extract) -> None:
    assert dt.date(2023, 11, 20) in {lab.date for lab in labs(portal, "hemoglobin")}


def test_a_preliminary_result_goes_to_review_not_to_the_results(portal: Extract) -> None:
    (item,) = portal.review
    assert item.origin.at == "entry 7 (Observation/ferritin-prelim)"
    assert "preliminary" in item.reason
    assert all(lab.value != 25 for lab in labs(portal, "ferritin"))


def test_a_lookalike_is_counted_as_skipped(portal: Extract) -> None:
    assert portal.skipped["Hemoglobin A1c/Hemoglobin.total in Blood"] == 1


def test_conditions_medicines_and_the_irls_total_of_the_export(portal: Extract) -> None:
    assert facts(portal, "person.conditions") == [
        "Restless legs syndrome",
        "Chronic kidney disease stage 3",  # only a display: read as recorded
    ]
    assert portal.skipped["Iron deficiency anaemia (resolved)"] == 1
    assert facts(portal, "medications") == [
        "pramipexole dihydrochloride 0.25 MG Oral Tablet",
        "Ferrous fumarate 210 mg tablet",  # through its medicationReference
    ]
    assert portal.skipped["Omeprazole 20 mg capsule (completed)"] == 1
    assert facts(portal, "rls.irls_total") == [24]
    assert portal.skipped["Encounter"] == 1


def test_importing_the_export_gives_a_document_the_engine_accepts() -> None:
    result = import_files([PORTAL])
    document = result.document
    assert [p.location for p in result.problems] == [f"{PORTAL}: entry 5 (Observation/crp-2024)"]
    assert document["person"]["conditions"] == [
        "Restless legs syndrome",
        "Chronic kidney disease stage 3",
    ]
    assert document["rls"] == {"irls_total": 24}
    as_of = dt.date(2024, 4, 1)
    assessed = rlsiron.assess(rlsiron.parse_input(document, as_of=as_of), as_of=as_of)
    assert assessed.values.ferritin_ug_l == 18


# --- bad input --------------------------------------------------------------------------------


def test_malformed_json_is_one_problem_naming_the_file_line_and_column() -> None:
    extract = read_fhir(
        b'{\n  "resourceType": "Bundle",\n  "entry": [}\n', "bad.json", ReadOptions()
    )
    assert extract.format is None
    (problem,) = extract.problems
    assert problem.location == "bad.json: line 3, column 13"
    assert problem.message.startswith("is not valid JSON")


def test_a_capability_statement_is_refused_saying_what_is_read() -> None:
    extract = read_json({"resourceType": "CapabilityStatement", "status": "active"})
    (problem,) = extract.problems
    assert problem.message == "is a CapabilityStatement, not a resource rlsiron reads"
    assert problem.received == "CapabilityStatement"
    assert problem.hint is not None and "Observation" in problem.hint


def test_an_operation_outcome_says_what_the_server_reported() -> None:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "forbidden", "diagnostics": "Access denied"}],
    }
    (problem,) = read_json(outcome).problems
    assert problem.message.endswith("error: Access denied")


def test_an_observation_without_a_unit_is_a_problem_naming_the_entry() -> None:
    extract = read_json(bundle(observation(unit=None, id="no-unit")))
    assert problems(extract) == [
        "export.json: entry 0 (Observation/no-unit): gives no unit; received '18'"
    ]
    assert extract.labs == []


def test_an_unknown_code_is_counted_as_skipped_not_an_error() -> None:
    unknown = {"coding": [{"system": LOINC, "code": "99999-9", "display": "Mystery panel"}]}
    extract = read_json(bundle(observation(code=unknown)))
    assert extract.problems == [] and extract.labs == []
    assert extract.skipped == {"Mystery panel": 1}


def test_an_entry_that_is_not_a_resource_is_a_problem_and_the_rest_is_read() -> None:
    document = bundle(observation())
    document["entry"] += [{"resource": {"id": "x"}}, "text", {"resource": [1]}]
    extract = read_json(document)
    assert [p.location for p in extract.problems] == [
        "export.json: entry 1",
        "export.json: entry 2",
        "export.json: entry 3",
    ]
    assert [lab.test for lab in extract.labs] == ["ferritin"]


def test_two_patients_give_nothing_unless_one_is_chosen() -> None:
    document = bundle(
        patient("a"),
        patient("b", gender="male"),
        observation(subject={"reference": "Patient/a"}, id="of-a"),
        observation(value=300, subject={"reference": "Patient/b"}, id="of-b"),
    )
    ambiguous = read_json(document)
    assert not ambiguous.usable
    assert "holds 2 patients (a, b)" in problems(ambiguous)[0]
    chosen = read_json(document, patient="Patient/b")
    assert chosen.problems == []
    assert [(lab.value, lab.origin.at) for lab in chosen.labs] == [
        (300, "entry 3 (Observation/of-b)")
    ]
    assert facts(chosen, "person.sex") == ["male"]
    assert chosen.skipped == {"Observation of another patient": 1, "Patient of another patient": 1}


def test_results_about_another_patient_than_the_one_read_are_not_read() -> None:
    document = bundle(
        patient("a"),
        observation(subject={"reference": "Patient/a"}, id="mine"),
        observation(subject={"reference": "Patient/z"}, id="theirs"),
    )
    extract = read_json(document)
    assert [lab.origin.at for lab in extract.labs] == ["entry 1 (Observation/mine)"]
    assert extract.skipped["Observation of another patient"] == 1


def test_a_chosen_patient_the_file_does_not_hold_is_a_problem() -> None:
    extract = read_json(bundle(patient("a"), observation()), patient="b")
    assert not extract.usable
    assert problems(extract) == [
        "export.json: patients: holds no patient 'b'; it holds a; received 'b'; check --patient"
    ]


def test_without_patient_resources_the_subjects_tell_whose_file_it_is() -> None:
    mixed = bundle(
        observation(subject={"reference": "urn:uuid:1"}),
        observation(subject={"reference": "urn:uuid:2"}),
    )
    assert not read_json(mixed).usable
    assert len(read_json(mixed, patient="urn:uuid:2").labs) == 1


# --- results: values, units, dates, statuses ----------------------------------------------------


def test_a_comparator_becomes_a_one_sided_quantity() -> None:
    quantity = {"value": 5, "comparator": "<", "unit": "ug/L", "system": UCUM, "code": "ug/L"}
    (lab,) = read_json(observation(valueQuantity=quantity)).labs
    assert lab.value == Quantity(value=5, comparator="<")
    assert lab.origin.text == "2276-4 = <5 ug/L"


def test_an_unknown_comparator_goes_to_review() -> None:
    quantity = {"value": 5, "comparator": "ad", "unit": "ug/L"}
    extract = read_json(observation(valueQuantity=quantity))
    assert extract.labs == []
    assert "comparator 'ad'" in extract.review[0].reason


def test_a_value_string_is_kept_as_printed_with_the_unit_of_its_range() -> None:
    ranged = {"high": {"value": 40, "unit": "ug/dL", "system": UCUM, "code": "ug/dL"}}
    obs = observation(code="2498-4", valueQuantity=None, valueString="<5", referenceRange=[ranged])
    (lab,) = read_json(obs).labs
    assert (lab.test, lab.value, lab.unit) == ("iron", "<5", "ug/dL")
    assert lab.reference_range == RangeInput(high=40)


def test_the_ucum_code_wins_over_a_differently_spelt_printed_unit() -> None:
    quantity = {"value": 7.2, "unit": "g/dl", "system": UCUM, "code": "g/dL"}
    (lab,) = read_json(observation(code="718-7", valueQuantity=quantity)).labs
    assert (lab.unit, lab.origin.text) == ("g/dL", "718-7 = 7.2 g/dl")


def test_a_printed_unit_without_ucum_is_kept_as_printed() -> None:
    quantity = {"value": 20, "unit": "µg/dl", "system": "urn:lab:units", "code": "UGDL"}
    (lab,) = read_json(observation(code="2498-4", valueQuantity=quantity)).labs
    assert lab.unit == "µg/dl"


def test_components_that_are_catalogue_tests_are_results_of_their_own() -> None:
    panel = observation(
        code="50190-5",
        valueQuantity=None,
        component=[
            {
                "code": {"coding": [{"system": LOINC, "code": "2498-4"}]},
                "valueQuantity": {"value": 60, "unit": "ug/dL"},
            },
            {
                "code": {"text": "Iron binding capacity"},
                "valueQuantity": {"value": 300, "unit": "ug/dL"},
            },
            {"code": {"text": "Zinc"}, "valueQuantity": {"value": 90, "unit": "ug/dL"}},
        ],
    )
    extract = read_json(panel)
    assert [(lab.test, lab.value, lab.origin.at) for lab in extract.labs] == [
        ("iron", 60, "Observation/obs, component 0"),
        ("tibc", 300, "Observation/obs, component 1"),
    ]
    assert extract.skipped == {"Zinc": 1}


def test_a_coding_display_then_the_text_name_the_test_when_no_loinc_code_is_known() -> None:
    by_display = {"coding": [{"system": "urn:lab", "code": "FER", "display": "Ferritin"}]}
    by_text = {"coding": [{"system": LOINC, "code": "99999-9"}], "text": "Serum ferritin"}
    for code in (by_display, by_text):
        (lab,) = read_json(observation(code=code)).labs
        assert lab.test == "ferritin"


def test_a_lookalike_loinc_code_is_never_read_by_a_display_that_names_another_test() -> None:
    hba1c = {
        "coding": [
            {"system": LOINC, "code": "4548-4"},
            {"system": "urn:lab", "display": "Hemoglobin"},
        ]
    }
    extract = read_json(observation(code=hba1c, valueQuantity={"value": 5.6, "unit": "%"}))
    assert extract.labs == []
    assert extract.skipped == {"Hemoglobin": 1}


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled", "registered"])
def test_withdrawn_results_are_skipped_with_the_reason(status: str) -> None:
    extract = read_json(observation(status=status))
    assert extract.labs == [] and extract.problems == []
    assert extract.skipped == {f"2276-4 ({status})": 1}


def test_a_result_calculated_from_results_in_the_file_is_left_to_the_engine() -> None:
    iron = observation(code="2498-4", value=40, unit="ug/dL", id="iron")
    tibc = observation(code="2500-7", value=400, unit="ug/dL", id="tibc")
    sources = [{"reference": "Observation/iron"}, {"reference": "Observation/tibc"}]
    tsat = observation(code="2502-3", value=10, unit="%", id="tsat", derivedFrom=sources)
    extract = read_json(bundle(iron, tibc, tsat))
    assert sorted(lab.test for lab in extract.labs) == ["iron", "tibc"]
    assert extract.skipped == {"2502-3 (calculated from other results)": 1}
    # Its sources are not in the file: it is the only TSAT there is.
    assert [lab.test for lab in read_json(tsat).labs] == ["tsat"]


@pytest.mark.parametrize(
    ("fields", "drawn"),
    [
        ({"effectiveDateTime": "2024-03-05T23:30:00-05:00"}, dt.date(2024, 3, 5)),  # local day
        (
            {"effectiveDateTime": None, "effectivePeriod": {"start": "2024-02-01"}},
            dt.date(2024, 2, 1),
        ),
        ({"effectiveDateTime": None, "issued": "2024-01-09T10:00:00Z"}, dt.date(2024, 1, 9)),
        (
            {"effectiveDateTime": None, "effectiveInstant": "2024-01-08T10:00:00Z"},
            dt.date(2024, 1, 8),
        ),
    ],
)
def test_the_draw_date_is_the_recorded_day_of_the_best_time_the_file_gives(
    fields: dict[str, Any], drawn: dt.date
) -> None:
    (lab,) = read_json(observation(**fields)).labs
    assert lab.date == drawn


def test_a_draw_date_without_a_day_goes_to_review() -> None:
    extract = read_json(observation(effectiveDateTime="2024-03"))
    assert extract.labs == []
    assert extract.review[0].reason == "the draw date is recorded as 2024-03, without a day"


def test_a_result_without_any_date_or_with_a_broken_one_is_a_problem() -> None:
    undated = read_json(observation(effectiveDateTime=None))
    assert "has no draw date" in problems(undated)[0]
    broken = read_json(observation(effectiveDateTime="yesterday"))
    assert problems(broken) == [
        "export.json: Observation/obs: effectiveDateTime is not a date; received 'yesterday'; "
        "not valid FHIR R4: effectiveDateTime: DateTime value string does not match spec regex."
    ]


def test_a_value_that_is_not_a_number_is_a_problem_with_what_was_received() -> None:
    coded = observation(valueQuantity=None, valueCodeableConcept={"text": "high"})
    assert "gives its value as valueCodeableConcept" in problems(read_json(coded))[0]
    absent = observation(valueQuantity=None, dataAbsentReason={"text": "Sample haemolysed"})
    assert read_json(absent).skipped == {"2276-4 (no value: Sample haemolysed)": 1}


# --- the person -------------------------------------------------------------------------------


def test_a_sex_other_than_female_or_male_goes_to_review() -> None:
    extract = read_json(patient(gender="unknown", birthDate="1980"))
    assert facts(extract, "person.sex") == []
    reasons = [item.reason for item in extract.review]
    assert reasons[0].startswith("sex recorded as 'unknown'")
    assert reasons[1] == "birth date recorded as 1980, without a day: give --age"


def test_a_refuted_or_abated_condition_is_not_read() -> None:
    refuted = {
        "resourceType": "Condition",
        "code": {"text": "Hereditary hemochromatosis"},
        "verificationStatus": {"coding": [{"code": "refuted"}]},
    }
    abated = {
        "resourceType": "Condition",
        "code": {"text": "Celiac disease"},
        "abatementAge": {"value": 9},
    }
    still = {
        "resourceType": "Condition",
        "code": {"text": "Crohn's disease"},
        "abatementBoolean": False,
    }
    extract = read_json(bundle(refuted, abated, still))
    assert facts(extract, "person.conditions") == ["Crohn's disease"]
    assert extract.skipped == {
        "Hereditary hemochromatosis (refuted)": 1,
        "Celiac disease (abated)": 1,
    }


@pytest.mark.parametrize(
    "ended",
    [
        pytest.param({"clinicalStatus": {"coding": [{"code": "resolved"}]}}, id="resolved"),
        pytest.param({"clinicalStatus": {"coding": [{"code": "remission"}]}}, id="remission"),
        pytest.param({"abatementDateTime": "2019-05-01"}, id="abated"),
    ],
)
def test_haemochromatosis_recorded_as_ended_is_still_read_because_it_is_lifelong(
    ended: dict[str, object],
) -> None:
    treated = {"resourceType": "Condition", "code": {"text": "Hereditary hemochromatosis"}}
    anaemia = {"resourceType": "Condition", "code": {"text": "Anemia"}}
    extract = read_json(bundle({**treated, **ended}, {**anaemia, **ended}))
    assert facts(extract, "person.conditions") == ["Hereditary hemochromatosis"]
    assert sum(extract.skipped.values()) == 1  # the anaemia has ended; haemochromatosis has not


PREGNANCY = {
    "resourceType": "Condition",
    "id": "pregnancy",
    "clinicalStatus": {"coding": [{"code": "active"}]},
    "code": {
        "coding": [{"system": "http://snomed.info/sct", "code": "77386006", "display": "Pregnant"}]
    },
    "onsetDateTime": "2024-01-10",
}


def gestational_age(weeks: float, unit: str = "wk", day: str = "2024-05-02") -> dict[str, Any]:
    return observation(code="11884-4", value=weeks, unit=unit, effectiveDateTime=day, id="ga")


def test_an_active_pregnancy_without_weeks_goes_to_review() -> None:
    extract = read_json(PREGNANCY)
    assert facts(extract, "person.conditions") == ["Pregnant"]
    (item,) = extract.review
    assert item.reason == "pregnancy recorded, weeks unknown: give --pregnancy-weeks"


@pytest.mark.parametrize(("value", "unit", "weeks"), [(16.9, "wk", 16), (118, "d", 16)])
def test_gestational_age_gives_completed_weeks_in_a_current_pregnancy(
    value: float, unit: str, weeks: int
) -> None:
    extract = read_json(bundle(PREGNANCY, gestational_age(value, unit)))
    assert facts(extract, "person.pregnancy_weeks") == [weeks]
    assert extract.review == []


def test_gestational_age_of_an_earlier_or_no_current_pregnancy_is_not_read() -> None:
    earlier = read_json(bundle(PREGNANCY, gestational_age(30, day="2023-06-01")))
    assert facts(earlier, "person.pregnancy_weeks") == []
    assert earlier.review[0].reason.startswith("pregnancy recorded, weeks unknown")
    without = read_json(gestational_age(30))
    assert without.skipped == {"Gestational age (no current pregnancy)": 1}


def irls_response(total: object, label: str = "IRLS total score") -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [{"linkId": "total", "text": label, "answer": [{"valueInteger": total}]}],
    }


def test_an_irls_total_is_read_only_when_an_item_clearly_names_it() -> None:
    assert facts(read_json(irls_response(31)), "rls.irls_total") == [31]
    other = read_json(irls_response(31, label="PHQ-9 total score"))
    assert other.facts == [] and other.skipped == {"QuestionnaireResponse": 1}
    out_of_range = read_json(irls_response(41))
    assert out_of_range.facts == []
    assert out_of_range.review[0].reason == "an IRLS total is a whole number from 0 to 40"


# --- forms of input -----------------------------------------------------------------------------


def test_ndjson_reads_every_line_and_names_a_broken_one() -> None:
    extract = read_path(DATA / "bulk-export.ndjson")
    assert [(lab.test, lab.origin.at) for lab in extract.labs] == [
        ("ferritin", "line 2 (Observation/f1)"),
        ("tsat", "line 4 (Observation/t1)"),
    ]
    (problem,) = extract.problems
    assert problem.location == "bulk-export.ndjson: line 3, column 92"
    assert facts(extract, "person.sex") == ["male"]


def test_ndjson_is_detected_and_imported_like_any_file() -> None:
    result = import_files([DATA / "bulk-export.ndjson"])
    assert result.formats == {str(DATA / "bulk-export.ndjson"): "fhir"}
    assert [(row["test"], row["value"]) for row in result.document["labs"]] == [
        ("ferritin", 42),
        ("tsat", {"value": 5, "comparator": "<"}),
    ]
    assert [p.location for p in result.problems] == [
        f"{DATA / 'bulk-export.ndjson'}: line 3, column 92"
    ]


def test_a_json_array_of_resources_is_read_item_by_item() -> None:
    extract = read_fhir(json.dumps([patient(), observation()]).encode(), "a.json", ReadOptions())
    assert [lab.origin.at for lab in extract.labs] == ["item 1 (Observation/obs)"]


def test_a_batch_response_holding_a_searchset_is_opened() -> None:
    searchset = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": observation()}],
    }
    response = {
        "resourceType": "Bundle",
        "type": "batch-response",
        "entry": [
            {"resource": searchset, "response": {"status": "200 OK"}},
            {"response": {"status": "404"}},
        ],
    }
    (lab,) = read_json(response).labs
    assert lab.origin.at == "entry 0, entry 0 (Observation/obs)"


def test_resources_a_caller_holds_are_read_as_a_file_is() -> None:
    prefetch = [patient("1288992", birthDate="1925-12-23"), bundle(observation())]
    extract = read_fhir_resources(prefetch, "CDS Hooks prefetch", patient="1288992")
    assert facts(extract, "person.birth_date") == [dt.date(1925, 12, 23)]
    assert [lab.origin.at for lab in extract.labs] == ["resource 1, entry 0 (Observation/obs)"]
    assert extract.labs[0].origin.file == "CDS Hooks prefetch"


def test_a_problem_in_an_stu3_file_is_explained_by_the_stu3_models() -> None:
    stu3 = observation(valueQuantity={"value": 4}, context={"reference": "Encounter/e"})
    (problem,) = problems(read_json(stu3))
    assert "gives no unit" in problem and "FHIR STU3" not in problem  # nothing wrong in FHIR
    broken = observation(
        valueQuantity={"value": 4, "units": "ug/L"}, context={"reference": "Encounter/e"}
    )
    assert "not valid FHIR STU3: valueQuantity.units" in problems(read_json(broken))[0]


# --- properties ---------------------------------------------------------------------------------

CATALOGUE_CODES = sorted(
    (code, analyte.key) for analyte in ANALYTES.values() for code in analyte.loinc
)
PROPERTIES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTIES
@given(
    coded=st.sampled_from(CATALOGUE_CODES),
    value=st.integers(-(10**6), 10**6)
    | st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    comparator=st.sampled_from([None, "<", "<=", ">", ">="]),
    unit=st.text(st.sampled_from("abcdgLmolµ%/{}_.0123456789"), min_size=1, max_size=12),
    day=st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
)
def test_a_generated_r4_observation_reads_back_the_same(
    coded: tuple[str, str], value: float, comparator: str | None, unit: str, day: dt.date
) -> None:
    from fhir.resources.R4B.observation import Observation

    code, test = coded
    quantity = {"value": value, "unit": unit, "system": UCUM, "code": unit}
    if comparator:
        quantity["comparator"] = comparator
    resource = observation(code=code, valueQuantity=quantity, effectiveDateTime=day.isoformat())
    Observation.model_validate(resource)  # the generator writes valid R4
    extract = read_json(resource)
    (lab,) = extract.labs
    assert (lab.test, lab.unit, lab.date) == (test, unit, day)
    if comparator:
        assert lab.value == Quantity.model_validate({"value": value, "comparator": comparator})
    else:
        assert lab.value == value and type(lab.value) is type(value)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
# Keys and values the reader looks at, so that junk reaches deep into the extraction.
FHIR_KEYS = [
    "id", "status", "code", "coding", "system", "text", "display", "valueQuantity",
    "valueString", "value", "unit", "comparator", "component", "referenceRange", "low",
    "high", "interpretation", "effectiveDateTime", "issued", "specimen", "collection",
    "subject", "reference", "result", "hasMember", "derivedFrom", "contained", "entry",
    "resource", "fullUrl", "gender", "birthDate", "clinicalStatus", "abatementBoolean",
    "medicationReference", "item", "answer", "valueInteger", "linkId", "resourceType",
]  # fmt: skip
FHIR_VALUES = st.sampled_from(
    [LOINC, UCUM, "2276-4", "718-7", "4548-4", "11884-4", "ug/L", "<", "2024-03-05", "2024-03",
     "active", "#a", "Observation/a", "Patient/p", "irls total", "Observation", "Patient",
     "Bundle", "Condition", "DiagnosticReport", "MedicationRequest", "QuestionnaireResponse"]
)  # fmt: skip
SHAPED = st.recursive(
    FHIR_VALUES | JSON,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FHIR_KEYS), inner, max_size=6)
    ),
    max_leaves=30,
)
READ_TYPES = ["Patient", "Observation", "Condition", "MedicationRequest", "QuestionnaireResponse",
              "DiagnosticReport", "Specimen", "Medication", "Bundle"]  # fmt: skip
RESOURCE = st.builds(
    lambda kind, fields: {**fields, "resourceType": kind},
    st.sampled_from(READ_TYPES),
    st.dictionaries(st.sampled_from(FHIR_KEYS), SHAPED, max_size=6),
)
# Every entry at one fullUrl, so that references find some resource, not always the right one.
BUNDLE = st.builds(
    lambda resources: {
        "resourceType": "Bundle",
        "entry": [{"fullUrl": "Observation/a", "resource": r} for r in resources],
    },
    st.lists(RESOURCE, max_size=4),
)


def problems_name_the_file(extract: Extract, name: str) -> None:
    assert all(problem.location.startswith(f"{name}: ") for problem in extract.problems)


@PROPERTIES
@given(document=JSON | SHAPED | RESOURCE | BUNDLE)
def test_arbitrary_json_never_raises(document: object) -> None:
    data = json.dumps(document).encode()
    problems_name_the_file(read_fhir(data, "junk.json", ReadOptions()), "junk.json")
    items: Iterable[Any] = document if isinstance(document, list) else [document]
    problems_name_the_file(read_fhir_resources(items, "prefetch"), "prefetch")


@PROPERTIES
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    problems_name_the_file(read_fhir(data, "junk.bin", ReadOptions()), "junk.bin")
