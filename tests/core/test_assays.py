"""Reading the ferritin assay from the name on a lab report: a closed vocabulary."""

from __future__ import annotations

from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlsiron.core.knowledge.assays import ASSAYS, ASSAYS_FILE, Assay, parse_assays, resolve_assay
from rlsiron.core.knowledge.table import data_text
from rlsiron.core.knowledge.vocabulary import Term
from rlsiron.errors import UnknownTermError
from rlsiron.pipe_table import DataFileError
from tests.core.test_vocabulary import typed_like

ROWS = parse_assays(data_text(ASSAYS_FILE))
TERMS = [term for term, _ in ROWS]
FIELD = "labs[2].assay"


def test_every_manufacturer_has_names_and_the_codes_are_the_contract_s() -> None:
    assert ASSAYS == ("roche", "beckman", "abbott", "siemens", "other") == get_args(Assay)
    assert {t.code for t in TERMS} == set(ASSAYS)


@pytest.mark.parametrize("term", TERMS, ids=lambda t: f"{t.code}:{t.text}")
def test_every_name_in_the_file_resolves_to_its_manufacturer(term: Term[Assay]) -> None:
    assert resolve_assay(term.text, field=FIELD) == term.code


@pytest.mark.parametrize("code", ASSAYS)
def test_the_codes_themselves_are_accepted(code: Assay) -> None:
    assert resolve_assay(code, field=FIELD) == code
    assert resolve_assay(code.upper(), field=FIELD) == code


@given(
    st.sampled_from(TERMS).flatmap(
        lambda t: st.tuples(
            st.just(t),
            typed_like(t.text, after=("", " Ferritin", " 2", " (2024)", ", ferritin II")),
        )
    )
)
def test_any_name_resolves_however_it_is_typed(case: tuple[Term[Assay], str]) -> None:
    term, typed = case
    assert resolve_assay(typed, field=FIELD) == term.code


@pytest.mark.parametrize(
    ("text", "assay"),
    [
        ("Roche", "roche"),
        ("Roche Elecsys", "roche"),
        ("Roche cobas e 801", "roche"),
        ("cobas e411", "roche"),
        ("Elecsys Ferritin, cobas 8000", "roche"),
        ("Elecsis", "roche"),  # misspelt
        ("Beckman Coulter Access", "beckman"),
        ("Beckmann", "beckman"),
        ("UniCel DxI 800", "beckman"),
        ("DxI 9000", "beckman"),
        ("ARCHITECT i2000SR", "abbott"),
        ("Abbott Alinity i", "abbott"),
        ("Siemens Atellica IM", "siemens"),
        ("ADVIA Centaur XP", "siemens"),
        ("Centaur", "siemens"),
        ("Ortho VITROS 5600", "other"),
        ("other", "other"),
    ],
)
def test_names_on_lab_reports(text: str, assay: Assay) -> None:
    assert resolve_assay(text, field=FIELD) == assay


def _refused(text: str) -> UnknownTermError:
    with pytest.raises(UnknownTermError) as caught:
        resolve_assay(text, field=FIELD)
    return caught.value


@pytest.mark.parametrize("text", ["Quest", "unknown", "chemiluminescence", "ELISA", "Rochester"])
def test_an_unknown_assay_is_refused_naming_the_field_value_and_accepted_names(
    text: str,
) -> None:
    error = _refused(text)
    assert (error.field, error.value) == (FIELD, text)
    assert error.problems[0].kind == "unknown_term"
    assert error.accepted == (
        "roche (Elecsys, cobas)",
        "beckman (Beckman Coulter, Access, DxI, UniCel)",
        "abbott (Architect, Alinity)",
        "siemens (Atellica, ADVIA Centaur)",
        "other",
    )
    assert str(error).startswith(f"{FIELD}: is not a ferritin assay we know; received {text!r}")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Beckman or Roche", "beckman, roche"),
        ("Roche, converted to Beckman equivalent", "roche, beckman"),
        ("Architect/Atellica", "abbott, siemens"),
    ],
)
def test_two_manufacturers_are_refused_not_guessed(text: str, named: str) -> None:
    error = _refused(text)
    assert f"names more than one assay manufacturer ({named})" in str(error)
    assert error.accepted[-1] == "other"


def test_names_of_one_manufacturer_together_are_one_assay() -> None:
    assert resolve_assay("Roche Diagnostics cobas, Elecsys", field=FIELD) == "roche"


@given(st.text(max_size=60))
def test_any_text_resolves_to_an_assay_or_is_refused(text: str) -> None:
    try:
        assert resolve_assay(text, field=FIELD) in ASSAYS
    except UnknownTermError as error:
        assert error.field == FIELD


# --- The loader ---------------------------------------------------------------------

_HEADER = "# a test file\ncode | term | typos | shown | note\n"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("tosoh | Tosoh | no | no |", "column 'code' is 'tosoh'"),
        ("roche | (()) | no | no |", "has no letters or digits"),
        ("roche | Roche | sometimes | no |", "column 'typos' is 'sometimes'"),
        ("roche | Roche | no | maybe |", "column 'shown' is 'maybe'"),
        ("roche | cobas | no | no |\nroche | COBAS | no | no |", "already listed at line 3"),
        ("roche | Roche | no | no | x | y", "6 cells where the header has 5"),
    ],
)
def test_a_malformed_row_is_refused_naming_file_and_line(row: str, message: str) -> None:
    text = _HEADER + row + "\n"
    with pytest.raises(DataFileError, match=message) as caught:
        parse_assays(text, "assays.txt")
    assert str(caught.value).startswith(f"assays.txt:{text.count(chr(10))}:")
