"""Merging the files of one person: one result per test, date and value, with every origin.

Extracts are built here as a reader would return them, so the merge is tested on its own;
each reader's tests go through it again end to end.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from rlsiron import assess, parse_input
from rlsiron.io.extract import Extract, FoundFact, FoundLab
from rlsiron.io.merge import merge

DAY = dt.date(2026, 10, 1)


def _extract(
    file: str, *labs: tuple[str, int | float | str, str | None], day: dt.date = DAY
) -> Extract:
    extract = Extract(file=file, format="table")
    for line, (test, value, unit) in enumerate(labs, start=2):
        extract.labs.append(
            FoundLab(
                test=test,
                value=value,
                unit=unit,
                date=day,
                origin=extract.origin(f"line {line}", f"{test},{value},{unit}"),
            )
        )
    return extract


def test_the_same_result_in_two_units_from_two_files_is_one_result_with_two_origins() -> None:
    result = merge(
        [_extract("a.csv", ("ferritin", 38, "ng/mL")), _extract("b.csv", ("ferritin", 38, "ug/L"))]
    )
    assert len(result.labs) == 1
    assert [(o.file, o.at) for o in result.labs[0].origins] == [
        ("a.csv", "line 2"),
        ("b.csv", "line 2"),
    ]
    assert result.document["provenance"]["labs[0]"][1]["file"] == "b.csv"


def test_two_files_that_disagree_on_a_value_are_left_for_review_not_guessed() -> None:
    result = merge(
        [_extract("a.csv", ("ferritin", 38, "ng/mL")), _extract("b.csv", ("ferritin", 83, "ng/mL"))]
    )
    assert result.document["labs"] == []
    reasons = [item["reason"] for item in result.document["needs_review"]]
    assert len(reasons) == 2
    assert "the files disagree" in reasons[0]
    assert "a.csv" in reasons[0] and "b.csv" in reasons[0]


def test_two_values_of_one_test_on_one_day_in_one_file_are_both_kept_in_file_order() -> None:
    result = merge([_extract("a.csv", ("ferritin", 38, "ng/mL"), ("ferritin", 40, "ng/mL"))])
    assert [row["value"] for row in result.document["labs"]] == [38, 40]


def test_a_row_the_core_cannot_read_is_a_problem_named_by_file_and_place_and_the_rest_is_kept() -> (
    None
):
    result = merge([_extract("a.csv", ("ferritin", 38, "furlongs"), ("tsat", 18, "%"))])
    assert [row["test"] for row in result.document["labs"]] == ["tsat"]
    (problem,) = result.problems
    assert problem.location.startswith("a.csv: line 2")
    assert problem.received == "furlongs"


def test_person_facts_from_two_files_that_agree_are_one_fact_with_both_origins() -> None:
    first, second = Extract("a.json", "fhir"), Extract("b.hl7", "hl7v2")
    for extract in (first, second):
        extract.facts.append(FoundFact("person.sex", "female", extract.origin("Patient")))
    result = merge([first, second])
    assert result.document["person"] == {"sex": "female"}
    assert len(result.document["provenance"]["person.sex"]) == 2


def test_person_facts_the_files_disagree_on_are_left_out_for_review() -> None:
    first, second = Extract("a.json", "fhir"), Extract("b.hl7", "hl7v2")
    first.facts.append(FoundFact("person.birth_date", dt.date(1982, 9, 16), first.origin("e 1")))
    second.facts.append(FoundFact("person.birth_date", dt.date(1982, 6, 9), second.origin("PID")))
    result = merge([first, second])
    assert "birth_date" not in result.document["person"]
    assert {item["origin"]["file"] for item in result.document["needs_review"]} == {
        "a.json",
        "b.hl7",
    }


def test_the_same_medicine_from_two_files_is_listed_once_case_aside() -> None:
    first, second = Extract("a.json", "fhir"), Extract("b.json", "fhir")
    first.facts.append(FoundFact("medications", "Ferrous sulfate 325 MG", first.origin("e 3")))
    second.facts.append(FoundFact("medications", "ferrous sulfate 325 mg", second.origin("e 9")))
    second.facts.append(FoundFact("medications", "Sertraline", second.origin("e 10")))
    result = merge([first, second])
    assert result.document["medications"] == ["Ferrous sulfate 325 MG", "Sertraline"]
    assert len(result.document["provenance"]["medications[0]"]) == 2


def test_the_merged_document_is_a_contract_input_that_assess_reads_unchanged() -> None:
    extract = _extract("a.csv", ("ferritin", 38, "ng/mL"), ("tsat", 18, "%"))
    extract.facts += [
        FoundFact("person.sex", "female", extract.origin("line 1")),
        FoundFact("person.birth_date", dt.date(1982, 9, 16), extract.origin("line 1")),
    ]
    document = merge([extract]).document
    assessment = assess(parse_input(document, as_of=DAY), as_of=DAY)
    assert assessment.iron_therapy.decision == "indicated"
    assert parse_input(document, as_of=DAY).person.age_years == 44


def test_nothing_read_is_not_usable() -> None:
    assert not merge([Extract("empty.csv", "table")]).usable


_VALUES = st.integers(min_value=5, max_value=900)
_UNITS = st.sampled_from(["ng/mL", "ug/L", "µg/L"])


@given(value=_VALUES, units=st.lists(_UNITS, min_size=1, max_size=4))
def test_one_value_in_any_units_from_any_number_of_files_is_one_result(
    value: int, units: list[str]
) -> None:
    extracts = [_extract(f"f{i}.csv", ("ferritin", value, unit)) for i, unit in enumerate(units)]
    result = merge(extracts)
    assert len(result.labs) == 1
    assert len(result.labs[0].origins) == len(units)


@given(values=st.lists(_VALUES, min_size=2, max_size=4, unique=True))
def test_different_values_from_different_files_never_reach_the_document(values: list[int]) -> None:
    extracts = [_extract(f"f{i}.csv", ("ferritin", v, "ng/mL")) for i, v in enumerate(values)]
    result = merge(extracts)
    assert result.document["labs"] == []
    assert len(result.document["needs_review"]) == len(values)


def test_a_result_whose_only_fault_is_its_range_is_kept_and_the_range_reported() -> None:
    extract = Extract("a.csv", "table")
    extract.labs.append(
        FoundLab(
            test="ferritin",
            value=38,
            unit="ng/mL",
            date=DAY,
            origin=extract.origin("line 2"),
            reference_range="twenty to fifty",
        )
    )
    result = merge([extract])
    assert [row["value"] for row in result.document["labs"]] == [38]
    assert "reference_range" not in result.document["labs"][0]
    (problem,) = result.problems
    assert problem.location == "a.csv: line 2 (reference_range)"


def test_a_note_the_reader_kept_reaches_the_provenance() -> None:
    extract = Extract("a.hl7", "hl7v2")
    extract.labs.append(
        FoundLab("ferritin", 38, "ng/mL", DAY, extract.origin("OBX 1"), note="haemolysed")
    )
    assert merge([extract]).document["provenance"]["labs[0]"][0]["note"] == "haemolysed"
