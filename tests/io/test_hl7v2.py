"""HL7 v2 result messages: what a lab interface sends is read as printed, with its place.

The fixtures in data/hl7v2 are written for these tests in the style of real interfaces
(each says in its FHS-10 comment what it is modelled on); the small messages below are built
in the tests to show one behaviour each.
"""

from __future__ import annotations

import datetime as dt
import string
from pathlib import Path

import hl7
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlsiron import assess, parse_input
from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.core.models import Quantity
from rlsiron.io.extract import Extract, FoundLab
from rlsiron.io.hl7v2 import PatientId, read_hl7v2, read_patients
from rlsiron.io.importer import ReadOptions, import_files

# python-hl7 0.4.5 calls the deprecated Logger.warn on an empty escape sequence ("\\"); the
# project turns warnings into errors, which would make that library call raise in tests only.
pytestmark = pytest.mark.filterwarnings("ignore:The 'warn' method is deprecated:DeprecationWarning")

DATA = Path(__file__).parent / "data" / "hl7v2"
NAME = "results.hl7"

MSH = "MSH|^~\\&|LAB|HOSP|RLSIRON|RLSIRON|20250301120000||ORU^R01^ORU_R01|MSG0001|P|2.5.1"
PID = "PID|1||A100^^^HOSP^MR||DOE^JANE||19800101|F"
OBR = "OBR|1|P1|F1|IRON^Iron studies^L|||20250301083000"
FERRITIN = "OBX|1|NM|2276-4^Ferritin^LN||18|ug/L|15-150|L|||F"


def segment(name: str, fields: dict[int, str]) -> str:
    """A segment with `fields` at their HL7 positions (1-based) and the others empty."""
    return "|".join([name, *(fields.get(i, "") for i in range(1, max(fields) + 1))])


def obx(**given: str) -> str:
    """A final ferritin OBX, with the fields named as in HL7 (code, value, unit...) replaced."""
    names = {"type": 2, "code": 3, "value": 5, "unit": 6, "range": 7, "flag": 8}
    names |= {"status": 11, "observed": 14}
    fields = {1: "1", 2: "NM", 3: "2276-4^Ferritin^LN", 5: "18", 6: "ug/L", 11: "F"}
    fields |= {names[key]: value for key, value in given.items()}
    return segment("OBX", fields)


def message(*segments: str, end: str = "\r") -> bytes:
    return (end.join(segments) + end).encode()


def read(data: bytes, patient: str | None = None) -> Extract:
    return read_hl7v2(data, NAME, ReadOptions(patient=patient))


def fixture(name: str, patient: str | None = None) -> Extract:
    return read_hl7v2((DATA / name).read_bytes(), name, ReadOptions(patient=patient))


def labs_by_test(extract: Extract) -> dict[str, FoundLab]:
    found = {lab.test: lab for lab in extract.labs}
    assert len(found) == len(extract.labs), "one result per test expected here"
    return found


def problem_texts(extract: Extract) -> list[str]:
    return [problem.describe() for problem in extract.problems]


def facts(extract: Extract) -> dict[str, object]:
    return {fact.field: fact.value for fact in extract.facts}


# --- realistic messages ---------------------------------------------------------------------------


def test_an_epic_iron_panel_reads_each_iron_test_as_printed_in_us_units() -> None:
    extract = fixture("epic_beaker_iron_panel_us.hl7")
    labs = labs_by_test(extract)
    printed = {
        test: (lab.value, lab.unit, lab.reference_range, lab.flag) for test, lab in labs.items()
    }
    assert printed == {
        "ferritin": (18, "ng/mL", "30-400", "L"),
        "iron": (52, "ug/dL", "50-170", None),
        "tibc": (412, "ug/dL", "250-450", None),
        "uibc": (360, "ug/dL", "110-370", None),
        "tsat": (13, "%", "15-50", "L"),
        "transferrin": (322, "mg/dL", "200-360", None),
        "hemoglobin": (11.6, "g/dL", "11.7-15.7", "L"),
        "mcv": (79, "fL", "79-97", None),
        "crp": (2.1, "mg/L", "0.0-10.0", None),
    }
    assert {lab.date for lab in extract.labs} == {dt.date(2025, 11, 2)}
    assert extract.problems == [] and extract.review == []


def test_mch_and_mchc_beside_haemoglobin_are_skipped_and_never_read_as_haemoglobin() -> None:
    for name in ("epic_beaker_iron_panel_us.hl7", "sunquest_iron_studies_si.hl7"):
        extract = fixture(name)
        haemoglobin = [lab for lab in extract.labs if lab.test == "hemoglobin"]
        assert len(haemoglobin) == 1
        assert haemoglobin[0].value in (11.6, 104)
        assert extract.skipped["MCH"] == 1 and extract.skipped["MCHC"] == 1


def test_each_result_names_its_file_message_segment_and_the_segment_as_printed() -> None:
    extract = fixture("epic_beaker_iron_panel_us.hl7")
    ferritin, crp = labs_by_test(extract)["ferritin"].origin, labs_by_test(extract)["crp"].origin
    assert ferritin.file == "epic_beaker_iron_panel_us.hl7"
    assert ferritin.at == "OBX 1 of message 1"
    assert ferritin.text is not None and ferritin.text.startswith("OBX|1|NM|1558^FERRITIN^LRR")
    assert crp.at == "OBX 12 of message 1"  # counted through the message, not per order


def test_notes_after_a_result_stay_with_it_and_notes_after_an_order_with_none() -> None:
    labs = labs_by_test(fixture("epic_beaker_iron_panel_us.hl7"))
    assert labs["ferritin"].note == (
        "Ferritin below 30 ng/mL suggests depleted iron stores in adults.\n"
        "Ferritin rises with inflammation: interpret with CRP."
    )
    assert labs["iron"].note is None
    # The CBC's OBR is followed by a note on the specimen: not the transferrin's before it.
    assert labs["transferrin"].note is None and labs["hemoglobin"].note is None


def test_sex_and_birth_date_come_from_the_pid_with_its_origin() -> None:
    extract = fixture("epic_beaker_iron_panel_us.hl7")
    assert facts(extract) == {"person.sex": "female", "person.birth_date": dt.date(1978, 4, 12)}
    assert {fact.origin.at for fact in extract.facts} == {"PID 1 of message 1"}


def test_a_sunquest_feed_in_si_units_with_lf_line_ends_is_read() -> None:
    extract = fixture("sunquest_iron_studies_si.hl7")
    printed = {lab.test: (lab.value, lab.unit) for lab in extract.labs}
    assert printed == {
        "ferritin": ("<5", "ug/L"),  # ST: the string as printed, for the core to read
        "iron": (6.1, "umol/L"),
        "tibc": (79, "umol/L"),
        "tsat": (8, "%"),  # "%SAT" is not a name rlsiron reads; its LOINC in OBX-3.4 is
        "transferrin": (3.6, "g/L"),
        "hemoglobin": (104, "g/L"),
        "crp": (3, "mg/L"),
    }
    assert labs_by_test(extract)["crp"].reference_range == "<5"
    assert {lab.date for lab in extract.labs} == {dt.date(2025, 10, 14)}


def test_an_elr_message_with_crlf_reads_structured_numbers_and_ucum_codes() -> None:
    extract = fixture("cerner_elr_251_iron_panel.hl7")
    labs = labs_by_test(extract)
    assert labs["ferritin"].value == Quantity(value=5, comparator="<")
    assert labs["ferritin"].note == "Result below the lower limit of quantitation (5 ng/mL)."
    assert labs["crp"].value == 2.4
    assert labs["iron"].unit == "ug/dL"  # the UCUM code, not "microgram per deciliter"
    assert labs["tibc"].flag == "H"
    # 07:15 at UTC-5 is the 20th where the blood was drawn, whatever the UTC date.
    assert {lab.date for lab in extract.labs} == {dt.date(2025, 10, 20)}
    assert extract.skipped == {"Hemoglobin A1c/Hemoglobin.total in Blood": 1}


def test_a_correction_replaces_the_final_result_of_the_same_test_and_date() -> None:
    extract = fixture("corrected_ferritin.hl7")
    labs = labs_by_test(extract)
    assert labs["ferritin"].value == 21
    assert labs["ferritin"].origin.at == "OBX 1 of message 2"
    assert labs["ferritin"].note is not None and "previously reported" in labs["ferritin"].note
    assert labs["tsat"].value == 17  # not corrected: kept from the first message


def test_a_preliminary_result_goes_to_review_and_a_cancelled_one_is_skipped_with_why() -> None:
    extract = fixture("preliminary_and_cancelled.hl7")
    assert [lab.test for lab in extract.labs] == ["iron"]
    (review,) = extract.review
    assert review.origin.at == "OBX 1 of message 1"
    assert "preliminary" in review.reason and "OBX-11 P" in review.reason
    (skipped,) = extract.skipped
    assert skipped.startswith("Total iron binding capacity (not done") and "OBX-11 X" in skipped


def test_two_messages_for_one_patient_in_a_batch_are_one_person_with_two_draws() -> None:
    extract = fixture("batch_one_patient_two_draws.hl7")
    draws = sorted((lab.date, lab.test, lab.value) for lab in extract.labs)
    assert draws == [
        (dt.date(2025, 6, 3), "ferritin", 42),
        (dt.date(2025, 6, 3), "tsat", 19),
        (dt.date(2025, 9, 9), "ferritin", 96),
        (dt.date(2025, 9, 9), "tsat", 27),
    ]
    assert extract.problems == []
    # The second PID gives only the MRN: the shared identifier makes it the same patient.
    assert {fact.origin.at for fact in extract.facts} == {
        "PID 1 of message 1",
        "PID 1 of message 2",
    }


def test_a_file_of_two_patients_reads_no_one_and_lists_their_identifiers() -> None:
    extract = fixture("batch_two_patients.hl7")
    assert extract.labs == [] and extract.facts == []
    (problem,) = extract.problems
    assert problem.location == "batch_two_patients.hl7: file"
    assert "CL-410022" in problem.message and "CL-410987" in problem.message
    assert problem.hint is not None and "--patient" in problem.hint


def test_the_patient_named_in_the_options_is_read_from_a_file_of_two() -> None:
    extract = fixture("batch_two_patients.hl7", patient="CL-410987")
    assert {lab.test: lab.value for lab in extract.labs} == {"ferritin": 180, "tsat": 31}
    assert facts(extract)["person.sex"] == "male"
    assert extract.problems == []


def test_a_patient_not_in_the_file_is_a_problem_naming_those_it_holds() -> None:
    extract = fixture("epic_beaker_iron_panel_us.hl7", patient="CL-410987")
    assert extract.labs == []
    (problem,) = extract.problems
    assert "'CL-410987'" in problem.message and "E4417522" in problem.message


def test_a_clinic_feed_gets_each_patient_of_a_batch_with_their_own_results() -> None:
    found = read_patients((DATA / "batch_two_patients.hl7").read_bytes(), "feed.hl7")
    assert [p.ids for p in found.patients] == [
        (PatientId("CL-410022", "CITYLAB", "MR"),),
        (PatientId("CL-410987", "CITYLAB", "MR"),),
    ]
    ferritin = [
        [lab.value for lab in p.extract.labs if lab.test == "ferritin"] for p in found.patients
    ]
    assert ferritin == [[33], [180]]
    assert found.unattached.problems == []


# --- the file around the messages -----------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(message(MSH, PID, OBR, FERRITIN), id="cr"),
        pytest.param(message(MSH, PID, OBR, FERRITIN, end="\n"), id="lf"),
        pytest.param(message(MSH, PID, OBR, FERRITIN, end="\r\n"), id="crlf"),
        pytest.param(b"\x0b" + message(MSH, PID, OBR, FERRITIN) + b"\x1c\r", id="mllp-framed"),
        pytest.param(
            b"\x0b"
            + message(MSH, PID)
            + b"\x1c\r\x0b"
            + message(MSH, PID, OBR, FERRITIN)
            + b"\x1c\r",
            id="mllp-capture-of-two-blocks",
        ),
        pytest.param(message(MSH, "", PID, " ", OBR, FERRITIN, end="\r\n"), id="blank-lines"),
        pytest.param(b"\xef\xbb\xbf" + message(MSH, PID, OBR, FERRITIN), id="utf8-bom"),
    ],
)
def test_line_ends_framing_and_blank_lines_do_not_change_what_is_read(data: bytes) -> None:
    extract = read(data)
    assert [(lab.test, lab.value, lab.unit) for lab in extract.labs] == [("ferritin", 18, "ug/L")]
    assert extract.problems == []


def test_a_latin1_file_is_read_with_its_accents() -> None:
    note = "NTE|1|L|Hämolytisch".encode("latin-1")
    extract = read(message(MSH, PID, OBR, FERRITIN) + note + b"\r")
    assert extract.labs[0].note == "Hämolytisch"


def test_segments_before_the_first_msh_are_a_problem_and_the_message_is_still_read() -> None:
    extract = read(message(PID, OBR, MSH, PID, OBR, FERRITIN))
    assert [lab.test for lab in extract.labs] == ["ferritin"]
    (problem,) = extract.problems
    assert problem.location == f"{NAME}: start of file"
    assert "(PID, OBR) come before any MSH" in problem.message


def test_a_file_without_any_msh_is_a_problem_and_reads_nothing() -> None:
    extract = read(message(PID, OBR, FERRITIN))
    assert extract.labs == [] and extract.facts == []
    assert any("holds no message" in text for text in problem_texts(extract))


def test_a_message_with_broken_separators_is_a_problem_and_the_next_message_is_read() -> None:
    extract = read(message("MSH|^^|LAB", PID, OBR, FERRITIN, MSH, PID, OBR, FERRITIN))
    assert [lab.origin.at for lab in extract.labs] == ["OBX 1 of message 2"]
    (problem,) = extract.problems
    assert problem.location == f"{NAME}: message 1" and "separators" in problem.message


def test_a_message_that_is_not_a_result_message_is_a_problem_naming_its_type() -> None:
    adt = MSH.replace("ORU^R01^ORU_R01", "ADT^A08^ADT_A01")
    extract = read(message(adt, PID, MSH, PID, OBR, FERRITIN))
    assert len(extract.labs) == 1
    (problem,) = extract.problems
    assert problem.location == f"{NAME}: MSH of message 1" and "ADT^A08" in problem.message


def test_a_line_that_is_not_a_segment_is_a_problem_and_the_rest_is_read() -> None:
    extract = read(message(MSH, PID, "garbage from a text editor", OBR, FERRITIN))
    assert len(extract.labs) == 1
    (problem,) = extract.problems
    assert problem.location == f"{NAME}: segment 3 of message 1"


def test_a_result_before_any_order_is_a_problem_and_not_read() -> None:
    extract = read(message(MSH, PID, FERRITIN, OBR, obx(value="21")))
    assert [lab.value for lab in extract.labs] == [21]
    (problem,) = extract.problems
    assert problem.location == f"{NAME}: OBX 1 of message 1" and "before any OBR" in problem.message


def test_a_message_without_pid_is_read_as_a_patient_without_identifiers_and_said() -> None:
    extract = read(message(MSH, OBR, FERRITIN))
    assert len(extract.labs) == 1 and extract.facts == []
    (problem,) = extract.problems
    assert (
        problem.location == f"{NAME}: OBR 1 of message 1" and "no readable PID" in problem.message
    )


def test_a_message_without_pid_beside_a_known_patient_is_a_second_patient() -> None:
    extract = read(message(MSH, PID, OBR, FERRITIN, MSH, OBR, obx(value="99")))
    assert extract.labs == []
    assert any(
        "2 patients" in text and "without identifiers" in text for text in problem_texts(extract)
    )


def test_notes_after_a_pid_or_an_order_do_not_break_the_message() -> None:
    iron = obx(code="2498-4^Iron^LN", value="9.8", unit="umol/L")
    extract = read(
        message(MSH, PID, "NTE|1|P|Fasting", OBR, iron, OBR, "NTE|1|L|Lipaemic", FERRITIN)
    )
    assert [(lab.test, lab.note) for lab in extract.labs] == [("iron", None), ("ferritin", None)]
    assert extract.problems == []


# --- the person -----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["U", "O", "A"])
def test_a_sex_other_than_f_or_m_goes_to_review_not_to_the_document(code: str) -> None:
    extract = read(message(MSH, PID.replace("|F", f"|{code}"), OBR, FERRITIN))
    assert "person.sex" not in facts(extract)
    (review,) = extract.review
    assert review.origin.at == "PID 1 of message 1" and f"'{code}'" in review.reason


def test_a_birth_date_with_a_time_is_the_date_and_a_partial_one_is_a_problem() -> None:
    with_time = read(message(MSH, PID.replace("19800101", "198001010830"), OBR, FERRITIN))
    assert facts(with_time)["person.birth_date"] == dt.date(1980, 1, 1)
    year_only = read(message(MSH, PID.replace("19800101", "1980"), OBR, FERRITIN))
    assert "person.birth_date" not in facts(year_only)
    assert any("PID-7" in text for text in problem_texts(year_only))


# --- which test -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "test"),
    [
        pytest.param("2276-4^Ferritin^LN", "ferritin", id="loinc-code"),
        pytest.param("2276-4^^LN", "ferritin", id="loinc-code-without-text"),
        pytest.param("FERR^Ferritin^L", "ferritin", id="local-code-known-name"),
        pytest.param("X1^Fe sat pct^L^2502-3^Iron Satn^LN", "tsat", id="alternate-loinc"),
        pytest.param("X1^Eisen^99LOC^^Iron^L", "iron", id="alternate-text"),
        pytest.param("2276-4^Reticulocytes^L", None, id="loinc-looking-local-code-ignored"),
        pytest.param("785-6^MCH^LN", None, id="mch"),
        pytest.param("786-4^MCHC^LN", None, id="mchc"),
        pytest.param("4548-4^Hemoglobin A1c^LN", None, id="hba1c"),
        pytest.param("2708-6^% Saturation^LN", None, id="oxygen-saturation-code-wins"),
        pytest.param("777-3^Platelets^LN", None, id="not-in-the-catalogue"),
    ],
)
def test_the_test_is_the_catalogues_reading_of_the_loinc_code_then_the_names(
    code: str, test: str | None
) -> None:
    extract = read(message(MSH, PID, OBR, obx(code=code)))
    assert [lab.test for lab in extract.labs] == ([test] if test else [])
    assert sum(extract.skipped.values()) == (0 if test else 1)


def test_a_result_without_a_test_code_or_name_is_a_problem() -> None:
    extract = read(message(MSH, PID, OBR, obx(code="")))
    assert extract.labs == []
    (problem,) = extract.problems
    assert problem.location == f"{NAME}: OBX 1 of message 1"
    assert problem.message == "has no test code or name (OBX-3)"
    assert problem.received == obx(code="")


# --- values, units, ranges, flags -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "read_as"),
    [
        pytest.param("NM", "18", 18, id="nm-int-keeps-no-decimals"),
        pytest.param("NM", "18.50", 18.5, id="nm-decimal"),
        pytest.param("NM", "<5", "<5", id="nm-with-comparator-left-to-the-core"),
        pytest.param("ST", "<5", "<5", id="st-one-sided"),
        pytest.param("ST", "7", 7, id="st-number"),
        pytest.param("TX", ">1500", ">1500", id="tx-one-sided"),
        pytest.param("SN", "<^5", Quantity(value=5, comparator="<"), id="sn-below"),
        pytest.param("SN", ">=^60", Quantity(value=60, comparator=">="), id="sn-at-least"),
        pytest.param("SN", "^5.2", 5.2, id="sn-exact"),
        pytest.param("SN", "=^5", 5, id="sn-equals"),
    ],
)
def test_values_are_read_by_their_value_type(kind: str, value: str, read_as: object) -> None:
    extract = read(message(MSH, PID, OBR, obx(type=kind, value=value)))
    assert [lab.value for lab in extract.labs] == [read_as]
    assert type(extract.labs[0].value) is type(read_as)


@pytest.mark.parametrize(
    ("kind", "value", "says"),
    [
        pytest.param("SN", "^10^-^20", "range or a ratio", id="sn-range"),
        pytest.param("SN", "^1^:^128", "range or a ratio", id="sn-ratio"),
        pytest.param("SN", "<>^5", "comparator", id="sn-not-equal"),
        pytest.param("SN", "<^", "no number", id="sn-without-number"),
        pytest.param("CWE", "POS^Positive^HL70078", "type CWE", id="coded"),
        pytest.param("NM", "", "no value", id="empty"),
    ],
)
def test_a_value_that_is_not_one_number_is_a_problem_at_its_obx(
    kind: str, value: str, says: str
) -> None:
    extract = read(message(MSH, PID, OBR, obx(type=kind, value=value), obx(value="21")))
    assert [lab.value for lab in extract.labs] == [21]
    (problem,) = extract.problems
    assert problem.location == f"{NAME}: OBX 1 of message 1" and says in problem.message


@pytest.mark.parametrize(
    ("unit", "read_as"),
    [
        pytest.param("ng/mL", "ng/mL", id="bare"),
        pytest.param("ng/mL^nanogram per milliliter^UCUM", "ng/mL", id="ucum-code-first"),
        pytest.param("ug/L^micrograms per litre^ISO+", "ug/L", id="v23-iso-code-first"),
        pytest.param("MCG/L^mcg/L^L", "mcg/L", id="local-code-text-first"),
        pytest.param("^ug/L", "ug/L", id="text-only"),
        pytest.param("10\\S\\9/L", "10^9/L", id="escaped-separator"),
        pytest.param("", None, id="none"),
    ],
)
def test_the_unit_is_kept_as_printed_preferring_a_ucum_code(unit: str, read_as: str | None) -> None:
    extract = read(message(MSH, PID, OBR, obx(unit=unit)))
    assert [lab.unit for lab in extract.labs] == [read_as]


def test_range_and_repeated_flags_are_kept_as_printed() -> None:
    extract = read(message(MSH, PID, OBR, obx(range=">59", flag="L~A")))
    assert [(lab.reference_range, lab.flag) for lab in extract.labs] == [(">59", "L, A")]


def test_escaped_line_breaks_and_separators_in_notes_are_unescaped() -> None:
    note = "NTE|1|L|Iron \\T\\ TIBC\\.br\\repeat in 3 months~second line"
    extract = read(message(MSH, PID, OBR, FERRITIN, note))
    assert extract.labs[0].note == "Iron & TIBC\nrepeat in 3 months\nsecond line"


def test_a_malformed_escape_sequence_is_a_problem_at_its_segment() -> None:
    extract = read(message(MSH, PID, OBR, obx(unit="\\.inx\\"), obx(value="21")))
    assert [lab.value for lab in extract.labs] == [21]
    (problem,) = extract.problems
    assert problem.location == f"{NAME}: OBX 1 of message 1" and "OBX-6" in problem.message


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("collected", "observed", "reported", "day"),
    [
        pytest.param("20250301083000", "20250302", "20250303", dt.date(2025, 3, 1), id="obr-7"),
        pytest.param("", "20250302", "20250303", dt.date(2025, 3, 2), id="obx-14"),
        pytest.param("", "", "202503031745", dt.date(2025, 3, 3), id="obr-22"),
        pytest.param("202503012330-0500", "", "", dt.date(2025, 3, 1), id="offset-not-applied"),
        pytest.param("20250301235959.1234+1400", "", "", dt.date(2025, 3, 1), id="fraction"),
    ],
)
def test_the_draw_date_is_obr7_else_obx14_else_obr22_as_printed(
    collected: str, observed: str, reported: str, day: dt.date
) -> None:
    order = segment("OBR", {1: "1", 4: "IRON^Iron^L", 7: collected, 22: reported})
    extract = read(message(MSH, PID, order, obx(observed=observed)))
    assert [lab.date for lab in extract.labs] == [day]


@pytest.mark.parametrize(
    ("collected", "says"),
    [
        pytest.param("202503", "not a date to the day", id="month-only"),
        pytest.param("20251301", "not a calendar date", id="month-13"),
        pytest.param("2025-03-01", "not a date to the day", id="iso-not-hl7"),
    ],
)
def test_a_malformed_draw_date_is_a_problem_and_no_other_date_is_used(
    collected: str, says: str
) -> None:
    order = segment("OBR", {1: "1", 4: "IRON^Iron^L", 7: collected})
    extract = read(message(MSH, PID, order, obx(observed="20250302")))
    assert extract.labs == []
    (problem,) = extract.problems
    assert "OBR-7" in problem.message and says in problem.message and problem.received == collected


def test_a_result_without_any_date_is_a_problem() -> None:
    extract = read(message(MSH, PID, "OBR|1|P1|F1|IRON^Iron^L", FERRITIN))
    assert extract.labs == []
    assert "has no date" in extract.problems[0].message


# --- result status --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "words"),
    [
        pytest.param("X", "not done", id="cannot-be-obtained"),
        pytest.param("D", "deleted", id="deleted"),
        pytest.param("W", "wrong", id="wrong"),
        pytest.param("I", "pending", id="pending"),
    ],
)
def test_a_result_the_lab_withdrew_or_never_made_is_skipped_with_the_reason(
    status: str, words: str
) -> None:
    extract = read(message(MSH, PID, OBR, obx(status=status, value="")))
    assert extract.labs == [] and extract.problems == []
    (skipped,) = extract.skipped
    assert skipped.startswith("Ferritin (") and words in skipped and f"OBX-11 {status}" in skipped


@pytest.mark.parametrize("status", ["P", "R", "S", ""])
def test_an_unfinished_result_goes_to_review_and_not_to_the_document(status: str) -> None:
    extract = read(message(MSH, PID, OBR, obx(status=status)))
    assert extract.labs == []
    (review,) = extract.review
    assert review.origin.text == obx(status=status) and "final" in review.reason


def test_a_final_result_in_the_same_file_settles_a_preliminary_one() -> None:
    extract = read(message(MSH, PID, OBR, obx(status="P", value="25"), obx(value="24")))
    assert [lab.value for lab in extract.labs] == [24]
    assert extract.review == []


def test_a_correction_wins_wherever_it_is_in_the_file_and_the_last_one_wins() -> None:
    corrected = obx(status="C", value="21")
    first = read(message(MSH, PID, OBR, corrected, MSH, PID, OBR, obx(value="210")))
    assert [lab.value for lab in first.labs] == [21]
    twice = read(message(MSH, PID, OBR, FERRITIN, corrected, obx(status="C", value="22")))
    assert [lab.value for lab in twice.labs] == [22]


def test_a_correction_leaves_the_same_test_of_another_day_alone() -> None:
    other_day = OBR.replace("20250301", "20250215")
    extract = read(message(MSH, PID, other_day, FERRITIN, OBR, obx(status="C", value="21")))
    assert sorted((lab.date.day, lab.value) for lab in extract.labs) == [(1, 21), (15, 18)]


def test_an_unknown_result_status_is_a_problem() -> None:
    extract = read(message(MSH, PID, OBR, obx(status="Z")))
    assert extract.labs == []
    assert "OBX-11" in extract.problems[0].message and extract.problems[0].received == "Z"


# --- properties -----------------------------------------------------------------------------------

CATALOGUE_CODES = sorted(
    (code, analyte.key) for analyte in ANALYTES.values() for code in analyte.loinc
)
ESCAPER = hl7.parse(MSH)
UNIT_ALPHABET = string.ascii_letters + string.digits + "/%*.{}[]()µ|^~&\\ "


numbers = st.one_of(
    st.integers(0, 10**6).map(str),
    st.builds("{}.{}".format, st.integers(0, 9999), st.text("0123456789", min_size=1, max_size=3)),
)
ranges = st.one_of(
    st.none(),
    st.tuples(numbers, numbers).map(lambda pair: "-".join(sorted(pair, key=float))),
    st.builds(str.__add__, st.sampled_from(["<", ">", "<=", ">="]), numbers),
)
stamps = st.builds(
    lambda day, time, zone: day.strftime("%Y%m%d") + time + zone,
    st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)),
    st.sampled_from(["", "0830", "083015", "235959.123"]),
    st.sampled_from(["", "+0100", "-0500", "+1400", "-1200"]),
)


def _as_number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


@st.composite
def printed_values(draw: st.DrawFn) -> tuple[str, str, object]:
    """(OBX-2, OBX-5, the value read): a number as NM, ST or SN; one-sided as SN or ST."""
    number = draw(numbers)
    comparator = draw(st.sampled_from(["", "<", ">", "<=", ">="]))
    kind = draw(st.sampled_from(["SN", "ST"] if comparator else ["NM", "SN", "ST"]))
    if kind == "SN" and comparator:
        return (
            kind,
            f"{comparator}^{number}",
            Quantity(value=_as_number(number), comparator=comparator),
        )
    if kind == "SN":
        return kind, f"^{number}", _as_number(number)
    return kind, comparator + number, comparator + number if comparator else _as_number(number)


@settings(deadline=None)
@given(
    code=st.sampled_from(CATALOGUE_CODES),
    value=printed_values(),
    unit=st.text(UNIT_ALPHABET, min_size=1, max_size=12).filter(lambda u: u == u.strip()),
    stamp=stamps,
    reference=ranges,
    flag=st.sampled_from([None, "H", "L", "HH", "LL", "A", "N"]),
)
def test_any_catalogue_result_rendered_into_an_obx_reads_back_the_same(
    code: tuple[str, str],
    value: tuple[str, str, object],
    unit: str,
    stamp: str,
    reference: str | None,
    flag: str | None,
) -> None:
    (loinc, test), (kind, printed, expected) = code, value
    result = obx(
        type=kind,
        code=f"{loinc}^^LN",
        value=printed,
        unit=hl7.util.escape(ESCAPER, unit),  # "|^~&\\" and "µ" escaped as a sender must
        range=reference or "",
        flag=flag or "",
        observed=stamp,
    )
    extract = read(message(MSH, PID, "OBR|1|P1|F1|IRON^Iron^L", result))
    (lab,) = extract.labs
    assert (lab.test, lab.value, lab.unit, lab.reference_range, lab.flag) == (
        test,
        expected,
        unit,
        reference,
        flag,
    )
    assert type(lab.value) is type(expected)
    assert lab.date == dt.datetime.strptime(stamp[:8], "%Y%m%d").date()
    assert lab.origin.at == "OBX 1 of message 1" and lab.origin.text == result


def _no_raise_and_every_problem_named(data: bytes, patient: str | None = None) -> None:
    extract = read(data, patient)
    assert all(problem.location.startswith(f"{NAME}: ") for problem in extract.problems)
    assert all(lab.origin.file == NAME for lab in extract.labs)


@settings(deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_raise_they_only_yield_problems(data: bytes) -> None:
    _no_raise_and_every_problem_named(data)


HL7ISH = "MSHPIDOBRXNTEFSB|^~\\&\r\n\x0b\x1c0123456789<>=.-+ LNCUX"


@settings(deadline=None)
@given(st.text(HL7ISH, max_size=400), st.sampled_from(["", "MSH|^~\\&|", MSH + "\r"]))
def test_arbitrary_hl7_like_text_never_raises(text: str, start: str) -> None:
    _no_raise_and_every_problem_named((start + text).encode())


FIXTURES = [path.read_bytes() for path in sorted(DATA.glob("*.hl7"))]


@settings(deadline=None)
@given(
    st.sampled_from(FIXTURES),
    st.lists(st.tuples(st.integers(0, 4000), st.binary(max_size=3)), min_size=1, max_size=8),
    st.sampled_from([None, "CL-410022"]),
)
def test_a_damaged_realistic_file_never_raises(
    original: bytes, edits: list[tuple[int, bytes]], patient: str | None
) -> None:
    data = bytearray(original)
    for position, replacement in edits:
        at = position % (len(data) + 1)
        data[at : at + len(replacement)] = replacement
    _no_raise_and_every_problem_named(bytes(data), patient)


# --- end to end -----------------------------------------------------------------------------------


def test_import_turns_an_hl7_file_into_a_contract_document_with_provenance() -> None:
    path = DATA / "cerner_elr_251_iron_panel.hl7"
    result = import_files([path])
    assert result.problems == ()
    assert result.formats == {str(path): "hl7v2"}
    document = result.document
    assert document["person"] == {"sex": "female", "birth_date": "1991-11-30"}
    rows = {row["test"]: row for row in document["labs"]}
    assert set(rows) == {"crp", "ferritin", "iron", "tibc", "tsat"}
    assert rows["ferritin"]["value"] == {"value": 5, "comparator": "<"}
    assert rows["ferritin"]["unit"] == "ng/mL" and rows["ferritin"]["date"] == "2025-10-20"
    index = document["labs"].index(rows["ferritin"])
    (origin,) = document["provenance"][f"labs[{index}]"]
    assert origin["at"] == "OBX 4 of message 1" and origin["file"] == str(path)
    assert result.skipped == {"Hemoglobin A1c/Hemoglobin.total in Blood": 1}


def test_import_of_a_file_with_a_preliminary_result_lists_it_for_review() -> None:
    result = import_files([DATA / "preliminary_and_cancelled.hl7"])
    assert [row["test"] for row in result.document["labs"]] == ["iron"]
    (review,) = result.document["needs_review"]
    assert review["origin"]["at"] == "OBX 1 of message 1"


def test_an_imported_iron_panel_is_assessed_as_iron_deficient_for_rls() -> None:
    result = import_files([DATA / "epic_beaker_iron_panel_us.hl7"])
    inputs = parse_input(result.document, as_of=dt.date(2025, 11, 20))
    assessment = assess(inputs, as_of=dt.date(2025, 11, 20))
    assert inputs.person.age_years == 47
    assert assessment.values.ferritin_ug_l == 18
    assert assessment.values.tsat_percent == 13
    assert assessment.iron_therapy.decision == "indicated"
    assert assessment.anemia.present is True


def test_results_after_an_unreadable_pid_never_join_the_patient_before_it() -> None:
    unreadable = "PID|1||B200\\.inx\\^^^HOSP^MR||ROE^RITA||19750505|F"
    # One message, two patients: ORU^R01 repeats its PATIENT_RESULT group.
    extract = read(message(MSH, PID, OBR, FERRITIN, unreadable, OBR, obx(value="99")))
    assert extract.labs == []
    texts = problem_texts(extract)
    assert any("PID 2 of message 1" in text and "PID-3" in text for text in texts)
    assert any("2 patients" in text for text in texts)
