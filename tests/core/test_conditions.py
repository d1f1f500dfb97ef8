"""Reading `person.conditions`: codes the rules read, from the words people type."""

from __future__ import annotations

from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlsiron.core.knowledge.conditions import (
    CONDITION_CODES,
    CONDITIONS_FILE,
    ConditionCode,
    ConditionMatch,
    ConditionReading,
    Kidney,
    kidney_from_conditions,
    parse_conditions,
    read_conditions,
    reconcile_kidney,
)
from rlsiron.core.knowledge.table import data_text
from rlsiron.core.knowledge.vocabulary import Term, key, words
from rlsiron.errors import ContradictionError
from rlsiron.pipe_table import DataFileError
from tests.core.test_vocabulary import typed_like

TERMS = parse_conditions(data_text(CONDITIONS_FILE))
CODED = [t for t in TERMS if t.code is not None]
LOOKALIKES = [t.text for t in TERMS if t.code is None]


def _codes(entry: str) -> list[str]:
    return [m.code for m in read_conditions([entry]).matches]


def _terms_for(text: str) -> set[ConditionCode]:
    """Every code the data file gives the words of `text` (IBD is two)."""
    return {t.code for t in CODED if t.code is not None and key(t.text) == key(text)}


# --- The data file ------------------------------------------------------------------


def test_every_code_has_terms_and_every_term_a_known_code() -> None:
    assert {t.code for t in CODED} == set(CONDITION_CODES)
    assert set(CONDITION_CODES) == set(get_args(ConditionCode))


@pytest.mark.parametrize("term", CODED, ids=lambda t: f"{t.code}:{t.text}")
def test_every_term_in_the_file_matches_its_own_code_and_only_those(
    term: Term[ConditionCode],
) -> None:
    reading = read_conditions([term.text])
    assert reading.codes == _terms_for(term.text)
    assert {key(m.term) for m in reading.matches} == {key(term.text)}
    assert reading.unused == ()


@pytest.mark.parametrize("code", CONDITION_CODES)
def test_the_codes_themselves_are_accepted(code: ConditionCode) -> None:
    assert code in read_conditions([code]).codes
    assert code in read_conditions([code.replace("_", " ").upper()]).codes


@given(
    st.sampled_from(CODED).flatmap(
        lambda t: st.tuples(
            st.just(t),
            typed_like(
                t.text,
                before=("", "known ", "diagnosed ", "history of "),
                after=("", " since 2019", ", stable", " (per GP)", " - mild"),
            ),
        )
    )
)
def test_any_term_is_read_however_it_is_typed(case: tuple[Term[ConditionCode], str]) -> None:
    term, typed = case
    assert _terms_for(term.text) <= read_conditions([typed]).codes


@pytest.mark.parametrize("phrase", LOOKALIKES)
def test_phrases_that_only_look_like_a_condition_match_nothing(phrase: str) -> None:
    assert read_conditions([phrase]) == ConditionReading(frozenset(), (), (phrase,))


# --- What people and records write --------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "codes"),
    [
        ("rheumatoid_arthritis", ["inflammatory_disease"]),  # the contract's example
        ("Hereditary haemochromatosis type 1", ["hemochromatosis"]),
        ("HFE C282Y homozygous, on venesection", ["hemochromatosis"]),
        ("C282Y/H63D compound heterozygous", ["hemochromatosis"]),
        ("hemochromotosis", ["hemochromatosis"]),  # misspelt
        ("phlebotomy for iron overload", ["hemochromatosis"]),
        ("Crohn's disease", ["inflammatory_disease", "malabsorption"]),
        ("IBD", ["inflammatory_disease", "malabsorption"]),
        ("ulcerative colitis", ["inflammatory_disease", "malabsorption"]),
        ("SLE", ["inflammatory_disease"]),
        ("breast cancer 2024, on letrozole", ["inflammatory_disease"]),
        ("non-Hodgkin lymphoma", ["inflammatory_disease"]),  # "non" negates the next word only
        ("active infection (UTI)", ["inflammatory_disease"]),
        ("coeliac", ["malabsorption"]),
        ("celiac disease", ["malabsorption"]),
        ("Roux-en-Y gastric bypass 2015", ["malabsorption"]),
        ("sleeve gastrectomy", ["malabsorption"]),
        ("pernicious anaemia", ["malabsorption"]),
        ("menorrhagia", ["heavy_menstrual_bleeding"]),
        ("heavy periods", ["heavy_menstrual_bleeding"]),
        ("regular blood donor (3x/year)", ["blood_donor"]),
        ("gives blood every 3 months", ["blood_donor"]),
        ("breast-feeding", ["lactation"]),
        ("breast feeding 6 month old", ["lactation"]),
        ("CKD stage 3b", ["ckd"]),
        ("CKD 5", ["ckd"]),
        ("chronic kidney disease", ["ckd"]),
        ("CKD 5D", ["dialysis"]),  # the longest term wins
        ("haemodialysis 3x weekly", ["dialysis"]),
        ("peritoneal dialysis", ["dialysis"]),
        ("ESRD", ["dialysis"]),
        ("end-stage kidney disease", ["dialysis"]),
        ("chronic kidney disease on dialysis", ["ckd", "dialysis"]),
        ("ESRD, lupus nephritis", ["dialysis", "inflammatory_disease"]),
    ],
)
def test_entries_are_read_as_the_codes_they_name(entry: str, codes: list[str]) -> None:
    assert _codes(entry) == codes


@pytest.mark.parametrize(
    "entry",
    [
        "iron deficiency",  # not haemochromatosis
        "iron deficiency anaemia",
        "osteoarthritis",  # decision: not inflammatory disease
        "arthritis",
        "rheumatoid factor positive",
        "psoriasis",
        "infection",
        "colitis",
        "malignant hyperthermia",
        "HFE C282Y heterozygous",  # a carrier
        "H63D homozygous",
        "acute kidney injury",
        "kidney stones",
        "gastric band",
        "gastrostomy",
        "metrorrhagia",
        "lactose intolerance",
        "nursing home resident",
        "lupus anticoagulant",
        "bowel cancer screening",
        "type 2 diabetes",
        "hypothyroidism",
        "",
        "   ",
    ],
)
def test_look_alike_and_unknown_conditions_come_back_unused(entry: str) -> None:
    assert read_conditions([entry]) == ConditionReading(frozenset(), (), (entry,))


def test_chronic_kidney_disease_is_not_dialysis() -> None:
    assert read_conditions(["chronic kidney disease", "CKD 4"]).codes == {"ckd"}


# --- Negation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "codes"),
    [
        ("no haemochromatosis", []),
        ("not on dialysis", []),
        ("CKD 3, not on dialysis", ["ckd"]),
        ("non-dialysis CKD", ["ckd"]),
        ("no longer on dialysis", []),
        ("no CKD or dialysis", []),
        ("no CKD/dialysis", []),
        ("no known history of IBD", []),
        ("coeliac excluded", []),
        ("coeliac screen negative", []),
        ("haemochromatosis ruled out", []),
        ("IBD and coeliac disease excluded", []),
        ("negative for coeliac disease", []),
        ("denies heavy periods", []),
        ("family history of haemochromatosis", []),
        ("FH haemochromatosis", []),
        ("non-coeliac gluten sensitivity", []),
        # Anything less clear is taken at face value (the safe side for iron).
        ("no treatment for haemochromatosis yet", ["hemochromatosis"]),
        ("haemochromatosis: negative", ["hemochromatosis"]),
        ("haemochromatosis, no venesection yet", ["hemochromatosis"]),
        ("?haemochromatosis", ["hemochromatosis"]),
        ("mother has haemochromatosis", ["hemochromatosis"]),
        ("no dialysis but CKD 4", ["ckd"]),
        ("rheumatoid arthritis, no flares", ["inflammatory_disease"]),
        ("rheumatoid arthritis seronegative", ["inflammatory_disease"]),
    ],
)
def test_negated_terms_and_relatives_terms_are_not_counted(entry: str, codes: list[str]) -> None:
    reading = read_conditions([entry])
    assert [m.code for m in reading.matches] == codes
    assert reading.unused == (() if codes else (entry,))


# --- The reading as a whole ---------------------------------------------------------


def test_a_reading_keeps_input_order_and_every_entry() -> None:
    entries = ["type 2 diabetes", "IBD", "menorrhagia", "no coeliac", "hypertension"]
    assert read_conditions(entries) == ConditionReading(
        codes=frozenset({"inflammatory_disease", "malabsorption", "heavy_menstrual_bleeding"}),
        matches=(
            ConditionMatch("IBD", "inflammatory_disease", "IBD"),
            ConditionMatch("IBD", "malabsorption", "IBD"),
            ConditionMatch("menorrhagia", "heavy_menstrual_bleeding", "menorrhagia"),
        ),
        unused=("type 2 diabetes", "no coeliac", "hypertension"),
    )


def test_a_match_reports_the_first_term_of_the_file_that_named_it() -> None:
    (match,) = read_conditions(["Hereditary Haemochromatosis (HH), venesection"]).matches
    assert match == ConditionMatch(
        "Hereditary Haemochromatosis (HH), venesection",
        "hemochromatosis",
        "hereditary haemochromatosis",
    )


def test_entries_that_differ_only_in_case_or_punctuation_count_once() -> None:
    reading = read_conditions(["Coeliac disease", "coeliac-disease", "Diabetes", "diabetes."])
    assert [m.entry for m in reading.matches] == ["Coeliac disease"]
    assert reading.unused == ("Diabetes",)


def test_different_entries_for_the_same_code_each_give_a_match() -> None:
    reading = read_conditions(["coeliac disease", "gastric bypass"])
    assert [(m.entry, m.code) for m in reading.matches] == [
        ("coeliac disease", "malabsorption"),
        ("gastric bypass", "malabsorption"),
    ]
    assert reading.codes == {"malabsorption"}


def test_an_empty_list_reads_nothing() -> None:
    assert read_conditions([]) == ConditionReading(frozenset(), (), ())


def test_a_single_string_is_refused_rather_than_read_letter_by_letter() -> None:
    with pytest.raises(TypeError):
        read_conditions("coeliac")


@given(st.lists(st.text(max_size=60), max_size=6))
def test_every_entry_is_either_matched_or_unused_and_nothing_raises(entries: list[str]) -> None:
    reading = read_conditions(entries)
    assert reading.codes == {m.code for m in reading.matches}
    accounted = {m.entry for m in reading.matches} | set(reading.unused)
    for entry in entries:
        # An entry is listed, or one with the same words is.
        assert any(words(entry) == words(other) for other in accounted), entry
    assert not {m.entry for m in reading.matches} & set(reading.unused)


# --- Kidney status ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([], None),
        (["IBD"], None),
        (["CKD 3"], "ckd"),
        (["haemodialysis"], "dialysis"),
        (["CKD", "on haemodialysis"], "dialysis"),  # dialysis is CKD stage 5D
        (["CKD 3, not on dialysis"], "ckd"),
    ],
)
def test_kidney_from_conditions(entries: list[str], expected: str | None) -> None:
    assert kidney_from_conditions(read_conditions(entries).codes) == expected


@pytest.mark.parametrize(
    ("kidney", "entries", "expected"),
    [
        (None, [], None),
        (None, ["CKD 4"], "ckd"),  # the conditions fill in the status
        (None, ["ESRD"], "dialysis"),
        ("normal", [], "normal"),
        ("normal", ["rheumatoid_arthritis"], "normal"),  # the contract's example
        ("ckd", ["CKD 4"], "ckd"),
        ("dialysis", ["haemodialysis"], "dialysis"),
        ("dialysis", ["CKD 5"], "dialysis"),
        ("ckd", [], "ckd"),
        ("dialysis", [], "dialysis"),
    ],
)
def test_a_kidney_status_that_agrees_with_the_conditions(
    kidney: Kidney | None, entries: list[str], expected: str | None
) -> None:
    assert reconcile_kidney(kidney, read_conditions(entries)) == expected


@pytest.mark.parametrize(
    ("kidney", "entry", "stated", "accepted"),
    [
        ("normal", "CKD stage 3", "ckd", ("ckd", "dialysis")),
        ("normal", "on haemodialysis", "dialysis", ("dialysis",)),
        ("ckd", "peritoneal dialysis", "dialysis", ("dialysis",)),  # a contradiction of stage
    ],
)
def test_a_kidney_status_that_contradicts_the_conditions_is_an_input_error(
    kidney: Kidney, entry: str, stated: str, accepted: tuple[str, ...]
) -> None:
    with pytest.raises(ContradictionError) as caught:
        reconcile_kidney(kidney, read_conditions(["IBD", entry]), field="person.kidney")
    error = caught.value
    assert (error.field, error.value, error.accepted) == ("person.kidney", kidney, accepted)
    assert error.problems[0].kind == "contradiction"
    assert repr(entry) in str(error) and stated in str(error)


# --- The loader ---------------------------------------------------------------------

_HEADER = "# a test file\ncode | term | typos | note\n"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("anaemia | low haemoglobin | no |", "column 'code' is 'anaemia'"),
        ("ckd | --- | no |", "has no letters or digits"),
        ("ckd | CKD | maybe |", "column 'typos' is 'maybe'"),
        ("ckd | not | no |", "is a negation or linking word"),
        ("ckd | chronic kidney disease | no |\nckd | Chronic-Kidney Disease | no |", "line 3"),
        ("ckd | CKD | no", "3 cells where the header has 4"),
    ],
)
def test_a_malformed_row_is_refused_naming_file_and_line(row: str, message: str) -> None:
    text = _HEADER + row + "\n"
    with pytest.raises(DataFileError, match=message) as caught:
        parse_conditions(text, "conditions.txt")
    assert str(caught.value).startswith(f"conditions.txt:{text.count(chr(10))}:")


def test_a_term_may_name_two_codes_in_two_rows() -> None:
    terms = parse_conditions(_HEADER + "ckd | X1 | no |\ndialysis | X1 | no |\n- | X2 | no |\n")
    assert [(t.code, t.text) for t in terms] == [("ckd", "X1"), ("dialysis", "X1"), (None, "X2")]
