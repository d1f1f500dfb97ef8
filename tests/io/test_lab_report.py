"""The lab-report reader: PDFs with a text layer and pasted report text (`rlsiron import`).

Ground truth comes from reports made here (tests/io/report_pdfs.py: five invented layouts
rendered to PDF with WeasyPrint once per session) and from the MediKeep report texts in
../shared/data/lab-reports, whose expected values below were read from the files by eye.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pdfplumber
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlsiron import assess, parse_input
from rlsiron.io.extract import Extract
from rlsiron.io.importer import ReadOptions, import_files
from rlsiron.io.lab_report import read_pdf, read_text
from rlsiron.io.lab_report_lines import Line, read_results
from rlsiron.io.lab_report_words import WORDS_COLUMNS, read_words
from rlsiron.pipe_table import DataFileError, parse_table
from tests.conftest import SHARED
from tests.io import report_pdfs as rp

MEDIKEEP = SHARED / "data" / "lab-reports" / "medikeep-text"
FIXTURES = Path(__file__).parent / "data" / "lab_report"
US = ReadOptions()
UK = ReadOptions(date_format="%d/%m/%Y")
# The user names the day-first date format of a UK record; US layouts need none.
OPTIONS = {"nhs": UK}

# test, value, unit, date, reference range, flag, the line as printed
Row = tuple[str, object, str | None, dt.date, object, str | None, str | None]


def found(extract: Extract) -> Counter[Row]:
    """What the reader found, as the person checks it: each value with the line it came from."""
    return Counter(
        (lab.test, lab.value, lab.unit, lab.date, lab.reference_range, lab.flag, lab.origin.text)
        for lab in extract.labs
    )


def expected(report: rp.Report) -> Counter[Row]:
    return Counter(
        (e.test, e.value, e.unit, e.date, e.reference_range, e.flag, e.text)
        for e in report.expected
    )


def facts(extract: Extract) -> dict[str, object]:
    return {fact.field: fact.value for fact in extract.facts}


def assert_reads_back(extract: Extract, report: rp.Report) -> None:
    """Exactly the report's results, skipped names and header facts; nothing else said."""
    assert found(extract) == expected(report)
    assert extract.skipped == report.skipped
    assert facts(extract) == report.facts
    assert not extract.review
    assert not extract.problems


def text_of(text: str, options: ReadOptions = US, name: str = "pasted.txt") -> Extract:
    return read_text(text.encode("utf-8"), name, options)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The fixed reports as PDFs, rendered once per session."""
    folder = tmp_path_factory.mktemp("lab_reports")
    return {path.stem: path for path in rp.render_reports(folder)}


REPORTS = rp.fixed_reports()


# --- the layouts, from PDF and from text ------------------------------------------------------


@pytest.mark.parametrize("layout", sorted(REPORTS))
def test_a_rendered_pdf_reads_back_its_ground_truth(rendered: dict[str, Path], layout: str) -> None:
    path = rendered[layout]
    extract = read_pdf(path.read_bytes(), path.name, OPTIONS.get(layout, US))
    assert extract.format == "pdf"
    assert_reads_back(extract, REPORTS[layout])


@pytest.mark.parametrize("layout", sorted(REPORTS))
def test_the_text_extracted_from_a_pdf_reads_back_the_same(
    rendered: dict[str, Path], layout: str
) -> None:
    with pdfplumber.open(rendered[layout]) as pdf:
        pasted = "\n".join(page.extract_text() for page in pdf.pages)
    extract = text_of(pasted, OPTIONS.get(layout, US))
    assert extract.format == "text"
    assert_reads_back(extract, REPORTS[layout])


def test_each_value_names_its_page_and_line(rendered: dict[str, Path]) -> None:
    path = rendered["nhs"]  # the earlier sample is printed on page 2
    extract = read_pdf(path.read_bytes(), path.name, UK)
    ferritin = {lab.date: lab.origin for lab in extract.labs if lab.test == "ferritin"}
    now, before = ferritin[dt.date(2025, 4, 23)], ferritin[dt.date(2024, 10, 15)]
    assert (now.file, now.at) == (path.name, "page 1, line 7")
    assert now.text == "Serum ferritin level 64 ug/L (30 - 400)"
    assert (before.at, before.text) == ("page 2, line 3", "Serum ferritin level 9 ug/L (30 - 400)")


def test_names_wrapped_in_their_cells_are_joined_around_the_value(
    rendered: dict[str, Path],
) -> None:
    """ "Iron" / "8 Low ... % 15-55 01" / "Saturation" is TSAT, never iron at 8 %."""
    path = rendered[rp.WRAPPED]
    extract = read_pdf(path.read_bytes(), path.name, US)
    report = REPORTS["labcorp"]
    unplaced = Counter(row[:-1] for row in found(extract))
    assert unplaced == Counter(row[:-1] for row in expected(report))
    tsat = next(
        lab for lab in extract.labs if lab.test == "tsat" and lab.date == rp.DEFICIENT.collected
    )
    assert tsat.origin.text == "Iron\n8 Low 11 Low 11/23/2024 % 15-55 01\nSaturation"
    assert tsat.origin.at == "page 1, lines 12-14"


def test_mch_and_mchc_beside_haemoglobin_are_skipped_never_read_as_it() -> None:
    extract = text_of(rp.text(REPORTS["labcorp"]))
    haemoglobin = [lab.value for lab in extract.labs if lab.test == "hemoglobin"]
    assert haemoglobin == ["11.2", "12.0"]
    assert extract.skipped == Counter({"MCH": 1, "MCHC": 1})


def test_a_one_sided_ferritin_and_printed_precision_are_kept_as_printed() -> None:
    extract = text_of(rp.text(REPORTS["quest"]))
    values = {lab.test: lab.value for lab in extract.labs}
    assert values["ferritin"] == "<5"
    assert values["crp"] == "1.70"
    assert values["iron"] == 35


def test_a_unit_printed_against_its_value_is_read_and_a_glued_letter_is_still_a_flag() -> None:
    extract = text_of(
        "Date Collected: 2025-11-02\nFerritin 12ng/mL 30-400 L\nHemoglobin 11.6L g/dL 11.7-15.7\n"
    )
    read = {lab.test: (lab.value, lab.unit, lab.flag) for lab in extract.labs}
    assert read["ferritin"] == (12, "ng/mL", "L")
    assert read["hemoglobin"] == ("11.6", "g/dL", "L")


# --- generated panels -------------------------------------------------------------------------


@st.composite
def printed_numbers(draw: st.DrawFn, low: int = 1, high: int = 99999) -> str:
    """A number as a lab prints it: 0 to 2 decimals, trailing zeros kept ("1.70")."""
    digits, decimals = draw(st.integers(low, high)), draw(st.integers(0, 2))
    if not decimals:
        return str(digits)
    whole, fraction = divmod(digits, 10**decimals)
    return f"{whole}.{fraction:0{decimals}d}"


@st.composite
def ranges(draw: st.DrawFn) -> str | None:
    kind = draw(st.sampled_from(["none", "interval", "below", "above"]))
    if kind == "none":
        return None
    if kind == "interval":
        return f"{draw(printed_numbers(high=999))}-{draw(printed_numbers(low=1000))}"
    return ("<" if kind == "below" else ">") + draw(printed_numbers())


@st.composite
def values(draw: st.DrawFn) -> str:
    """A result as printed: a number, now and then one-sided ("<5")."""
    return draw(st.sampled_from(["", "", "", "<", ">"])) + draw(printed_numbers())


@st.composite
def panels(draw: st.DrawFn) -> rp.Panel:
    collected = draw(st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31)))
    earlier_days = st.dates(dt.date(1985, 1, 1), collected - dt.timedelta(days=1))
    flags = st.sampled_from(rp.FLAGS)
    earlier = st.lists(
        st.builds(rp.Earlier, values(), earlier_days, flags), max_size=2, unique_by=lambda e: e.date
    )
    keys = draw(st.lists(st.sampled_from(rp.KEYS), min_size=1, unique=True))
    results = tuple(
        rp.Result(key, draw(values()), draw(ranges()), draw(flags), tuple(draw(earlier)))
        for key in keys
    )
    return rp.Panel(
        collected,
        results,
        units=draw(st.sampled_from(["US", "SI"])),
        born=draw(st.dates(dt.date(1920, 1, 1), dt.date(2020, 12, 31))),
        sex=draw(st.sampled_from(["female", "male"])),
    )


@settings(max_examples=150, deadline=None)
@given(panel=panels(), layout=st.sampled_from(sorted(rp.LAYOUTS)))
def test_a_generated_panel_reads_back_exactly_in_every_layout(panel: rp.Panel, layout: str) -> None:
    report = rp.LAYOUTS[layout](panel)
    extract = text_of(rp.text(report), OPTIONS.get(layout, US))
    assert_reads_back(extract, report)


# Pieces of report lines, shuffled into text the reader has never seen.
# fmt: off
_SOUP = st.sampled_from([
    "Ferritin", "Hemoglobin", "MCH", "Iron", "Saturation", "TIBC", "Date Collected:",
    "Sample taken", "DOB:", "Sex:", "F", "Normal range:", "Ref:", "Result:", "(", ")", "<", ">=",
    "5", "12.0", "1,5", "-", "30-400", "03/04/2025", "Apr 10, 2025", "2025-13-45", "ng/mL",
    "xlOE3/uL", "%", "Low", "H", "*", "01", "EN", "(calc)", "Not Estab.", "Page", "\n", "\n",
    "\t", '"', "NHS", "LabCorp", "Detected", "", "\u00a0",
])
# fmt: on


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(_SOUP).map(" ".join)))
def test_arbitrary_text_never_raises(text: str) -> None:
    extract = text_of(text)
    lines = text.split("\n")
    for lab in extract.labs:
        assert lab.origin.text is not None
        assert all(part in (line.strip() for line in lines) for part in lab.origin.text.split("\n"))
    assert extract.usable or extract.problems or extract.skipped or extract.review


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_damaged_pdf_bytes_never_raise(rendered: dict[str, Path], data: st.DataObject) -> None:
    pdf = bytearray(rendered["simple"].read_bytes())
    for _ in range(data.draw(st.integers(1, 20))):
        pdf[data.draw(st.integers(0, len(pdf) - 1))] = data.draw(st.integers(0, 255))
    extract = read_pdf(bytes(pdf), "damaged.pdf", US)
    assert extract.labs or extract.problems or extract.skipped or extract.review


# --- PDFs that cannot be read -----------------------------------------------------------------


def test_a_scanned_pdf_is_one_problem_and_nothing_else() -> None:
    extract = read_pdf(rp.scanned_pdf(), "scan.pdf", US)
    assert [p.message for p in extract.problems] == [
        "no text layer: this looks like a scanned image; rlsiron reads PDFs with text, "
        "or paste the text"
    ]
    assert not (extract.labs or extract.facts or extract.review or extract.skipped)


def test_a_scanned_page_among_text_pages_is_named_and_the_others_read() -> None:
    extract = read_pdf(rp.with_scanned_page(REPORTS["quest"]), "mixed.pdf", US)
    assert found(extract) == expected(REPORTS["quest"])
    (problem,) = extract.problems
    assert problem.location == "mixed.pdf: page 2"
    assert problem.message.startswith("no text layer on this page")


def test_an_encrypted_pdf_is_a_problem_asking_for_a_copy_without_password() -> None:
    extract = read_pdf(rp.encrypted_pdf(), "locked.pdf", US)
    (problem,) = extract.problems
    assert "encrypted" in problem.message
    assert problem.location == "locked.pdf: whole file"
    assert problem.hint is not None and "without a password" in problem.hint


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_a_truncated_pdf_is_a_problem_not_an_error(rendered: dict[str, Path], keep: float) -> None:
    data = rendered["labcorp"].read_bytes()
    extract = read_pdf(data[: int(len(data) * keep)], "cut.pdf", US)
    assert extract.problems
    assert "damaged" in extract.problems[0].message
    assert not extract.labs


# --- dates ------------------------------------------------------------------------------------

NHS_RECORD = FIXTURES / "nhs_record_pasted.txt"
OCT_23 = dt.date(2024, 10, 23)


def test_an_ambiguous_uk_draw_date_sends_its_results_to_review_naming_the_date_line() -> None:
    extract = read_text(NHS_RECORD.read_bytes(), NHS_RECORD.name, US)
    ferritin, haemoglobin = (
        "Serum ferritin level 21 ug/L (30 - 400)",
        "Haemoglobin estimation 124 g/L (115 - 165)",
    )
    assert found(extract) == Counter(
        [
            ("ferritin", 21, "ug/L", OCT_23, "30 - 400", None, ferritin),
            ("hemoglobin", 124, "g/L", OCT_23, "115 - 165", None, haemoglobin),
        ]
    )
    in_review = {item.origin.at: item.reason for item in extract.review}
    assert set(in_review) == {"line 4", "line 9", "line 11", "line 12", "line 13"}
    assert in_review["line 11"].startswith("the collection date 03/04/2025 (line 7) could be")
    assert "3 Apr 2025" in in_review["line 11"] and "4 Mar 2025" in in_review["line 11"]
    assert in_review["line 4"].startswith("the date of birth 05/06/1980")
    assert facts(extract) == {"person.sex": "female"}


def test_the_users_date_format_settles_ambiguous_dates() -> None:
    extract = read_text(NHS_RECORD.read_bytes(), NHS_RECORD.name, UK)
    assert not extract.review
    dates = Counter((lab.test, lab.date) for lab in extract.labs)
    assert dates[("ferritin", dt.date(2025, 4, 3))] == 1
    assert dates[("ferritin", dt.date(2024, 10, 23))] == 1
    assert len(extract.labs) == 6
    assert facts(extract) == {"person.sex": "female", "person.birth_date": dt.date(1980, 6, 5)}


def test_an_ambiguous_date_on_a_labcorp_report_is_read_month_first() -> None:
    extract = text_of(
        "Laboratory Corporation of America\nDate Collected: 03/04/2025\nFerritin 40 ng/mL 30-400\n"
    )
    assert [lab.date for lab in extract.labs] == [dt.date(2025, 3, 4)]


def test_a_uk_phrase_overrides_a_month_first_layout() -> None:
    """Epic MyChart is used by NHS trusts: "NHS" on the page means no month-first guess."""
    extract = text_of(
        "MyChart\nNHS number: 943 476 5919\nCollected on 03/04/2025\nFerritin 40 ug/L (30 - 400)\n"
    )
    assert not extract.labs
    assert "could be 3 Apr 2025" in extract.review[0].reason


def test_a_date_that_only_one_reading_makes_real_needs_no_format() -> None:
    extract = text_of("Sample taken: 23/04/2025\nSerum ferritin level 12 ug/L (30 - 400)\n")
    assert [lab.date for lab in extract.labs] == [dt.date(2025, 4, 23)]


def test_a_date_that_does_not_match_the_users_format_goes_to_review() -> None:
    extract = text_of("Date Collected: 05/19/2023\nFerritin 40 ng/mL 30-400\n", UK)
    assert not extract.labs
    assert "does not match the date format given (%d/%m/%Y)" in extract.review[0].reason


def test_the_report_and_print_dates_are_never_the_draw_date() -> None:
    path = FIXTURES / "print_date_only.txt"
    extract = read_text(path.read_bytes(), path.name, US)
    assert not extract.labs
    assert [item.origin.at for item in extract.review] == ["line 6", "line 7"]
    assert all(
        item.reason.startswith("no collection date found; give it with") for item in extract.review
    )
    assert facts(extract) == {"person.sex": "male"}


def test_each_result_takes_the_nearest_draw_above_it() -> None:
    extract = text_of(
        "Ferritin 12 ng/mL 30-400\n"  # above the first draw: takes it
        "Collection Date: 2025-01-10\n"
        "Iron 40 ug/dL 27-159\n"
        "Collection Date: 2025-02-20\n"
        "Hemoglobin 12.5 g/dL 11.1-15.9\n"
    )
    assert {lab.test: lab.date for lab in extract.labs} == {
        "ferritin": dt.date(2025, 1, 10),
        "iron": dt.date(2025, 1, 10),
        "hemoglobin": dt.date(2025, 2, 20),
    }


@pytest.mark.parametrize(
    ("header", "day"),
    [
        ("Collected on Apr 10, 2025", dt.date(2025, 4, 10)),
        ("Specimen Collected: 10-Apr-2025 08:15", dt.date(2025, 4, 10)),
        ("Date/Time Collected: 2025-04-10 08:15", dt.date(2025, 4, 10)),
        ("Sample taken 10 April 2025", dt.date(2025, 4, 10)),
        ("Collected: 04/10/2025 08:15 EDT (Quest Diagnostics)", dt.date(2025, 4, 10)),
    ],
)
def test_draw_dates_are_read_in_the_forms_reports_print(header: str, day: dt.date) -> None:
    extract = text_of(f"{header}\nFerritin 40 ng/mL 30-400\n")
    assert [lab.date for lab in extract.labs] == [day]


# --- what a line holds ------------------------------------------------------------------------


def test_an_unread_part_of_a_line_sends_the_result_to_review() -> None:
    extract = text_of("Date Collected: 2025-01-10\nFerritin 12 34 ng/mL 30-400\n")
    assert not extract.labs
    assert extract.review[0].origin.text == "Ferritin 12 34 ng/mL 30-400"
    assert "could not read '34'" in extract.review[0].reason


def test_a_long_unread_line_is_quoted_short_in_its_review() -> None:
    junk = " ".join(f"x{i}" for i in range(400))
    extract = text_of(f"Date Collected: 2025-01-10\nFerritin 12 ng/mL {junk}\n")
    (item,) = extract.review
    assert item.origin.text == f"Ferritin 12 ng/mL {junk}"
    assert len(item.reason) < len(junk) / 10


def test_flags_stars_and_words_after_the_range_are_kept() -> None:
    extract = text_of(
        "Collection Date: 2025-01-10\n"
        "Hemoglobin: 12.1* g/dL (Ref: 13.5-17.5) L\n"
        "CRP 3.1 Reference Range: <5.0 mg/L OPTIMAL\n"
    )
    hb, crp = extract.labs
    assert (hb.value, hb.unit, hb.reference_range, hb.flag) == ("12.1", "g/dL", "13.5-17.5", "* L")
    assert (crp.value, crp.unit, crp.reference_range, crp.note) == (
        "3.1",
        "mg/L",
        "<5.0",
        "also printed: OPTIMAL",
    )


def test_a_flag_printed_against_the_value_is_kept() -> None:
    extract = text_of("Collection Date: 2025-01-10\nFerritin 12L ng/mL 30-400\n")
    assert [(lab.value, lab.flag) for lab in extract.labs] == [(12, "L")]


def test_a_unit_printed_in_the_name_column_is_the_results_unit() -> None:
    extract = text_of(
        "Sample taken: 23/04/2025\n"
        "Haemoglobin (g/L) 128 (130 - 180)\n"
        "Serum ferritin (ng/mL) 12 ug/L (30 - 400)\n"  # two units: which one?
    )
    (haemoglobin,) = extract.labs
    assert (haemoglobin.test, haemoglobin.value, haemoglobin.unit) == ("hemoglobin", 128, "g/L")
    assert extract.review[0].origin.text == "Serum ferritin (ng/mL) 12 ug/L (30 - 400)"


def test_ocr_damage_to_a_unit_is_undone_and_said_so() -> None:
    (wbc,) = read_results([Line(1, 'WBC" 6.2 8.6 11/23/2022 xlOE3/uL 3.4-10.8')])
    assert wbc.name == "WBC"
    assert wbc.unit == "x10E3/uL"
    assert wbc.notes == (
        "name printed 'WBC\"' (OCR damage), read as 'WBC'",
        "unit printed 'xlOE3/uL' (OCR damage), read as 'x10E3/uL'",
    )


def test_a_name_split_from_its_values_by_ocr_is_joined() -> None:
    (granulocytes,) = read_results(
        [Line(1, 'lijnmature Granulocytes"'), Line(2, "0 0 11/23/2022 % Not Estab.")]
    )
    assert granulocytes.name == "lijnmature Granulocytes"
    assert granulocytes.reference_range is None
    assert granulocytes.text == 'lijnmature Granulocytes"\n0 0 11/23/2022 % Not Estab.'


def test_a_heading_above_or_below_a_result_is_not_part_of_its_name() -> None:
    extract = text_of(
        "Date Collected: 2025-01-10\nIron Studies\nFerritin 12 ng/mL 30-400\nCBC With Differential\n"
    )
    (ferritin,) = extract.labs
    assert ferritin.origin.text == "Ferritin 12 ng/mL 30-400"


def test_words_printed_as_results_are_counted_as_skipped() -> None:
    extract = text_of("COVID-19 PCR: Detected\nCulture: No growth\nPatient: Detected\n")
    assert extract.skipped == Counter({"COVID-19 PCR": 1, "Culture": 1})


def test_header_lines_that_look_like_results_are_not_counted() -> None:
    extract = text_of("Age: 43 Y\nPage 1 of 2\nAccount Number: 123 456\nFerritin 12 ng/mL 30-400\n")
    assert not extract.skipped


def test_a_browser_copy_of_a_portal_table_reads_through_its_tabs() -> None:
    path = FIXTURES / "mychart_copied_from_browser.txt"
    extract = read_text(path.read_bytes(), path.name, US)
    jan_7 = dt.date(2025, 1, 7)
    assert found(extract) == Counter(
        [
            ("iron", 41, "ug/dL", jan_7, "50 - 170", "Low", "Iron\t41 ug/dL\t50 - 170 ug/dL\tLow"),
            ("tibc", 455, "ug/dL", jan_7, "250 - 450", "High", "TIBC\t455 ug/dL\t250 - 450 ug/dL\tHigh"),
            ("tsat", 9, "%", jan_7, "20 - 55", "Low", "% Saturation, Iron\t9 %\t20 - 55 %\tLow"),
            ("ferritin", 8, "ng/mL", jan_7, "13 - 150", "Low", "Ferritin\t8 ng/mL\t13 - 150 ng/mL\tLow"),
        ]
    )  # fmt: skip


@pytest.mark.parametrize(
    ("encoding", "note"),
    [
        ("utf-8", None),
        ("utf-16", None),
        ("cp1252", "decoded as Windows-1252: the file is not UTF-8"),
    ],
)
def test_text_saved_in_windows_encodings_is_read(encoding: str, note: str | None) -> None:
    text = "Date Collected: 2025-01-10\nIron 14.2 µmol/L 5.8-34.5\n"
    extract = read_text(text.encode(encoding), "pasted.txt", US)
    assert [(lab.unit, lab.note) for lab in extract.labs] == [("µmol/L", note)]


# --- the real report texts (MediKeep) ---------------------------------------------------------

HB_CLEAN = "Hemoglobin 14.0 13.8 11/23/2022 g/dL 13.0-17.7"
MCV_CLEAN = "MCV 85 87 11/23/2022 fL 79-97"
HB_DAMAGED = 'Hemoglobin" 14.0 High 13.8 11/23/2022 g/dL 13.0-17.7'
VITAMIN_D = "Vitamin D, 25-Hydroxy\n45.0 38.0 09/15/2022 ng/mL 30-100"
CREATININE_FLAGS = "Creatinine 0.8 0.9 05/01/2023 mg/dL 0.7-1.3"
CREATININE_EPIC = "Creatinine Level\nNormal range: 0.50 - 0.90 mg/dL\n0.50    0.90\n0.72"
EGFR_EPIC = "EGFR\nNormal range: above >=90 mL/min/1.73m2\nValue\n126"
# fmt: off
CBC_SKIPPED = [
    "WBC", "RBC", "Hematocrit", "MCH", "MCHC", "RDW", "Platelets", "Neutrophils", "Lymphs",
    "Monocytes", "Eos", "Basos", "Neutrophils (Absolute)", "Lymphs (Absolute)",
    "Monocytes (Absolute)", "Eos (Absolute)", "Baso (Absolute)", "Immature Granulocytes",
    "Immature Grans (Abs)",
]
# fmt: on
MAY_19, NOV_23 = dt.date(2023, 5, 19), dt.date(2022, 11, 23)

APR_10 = dt.date(2025, 4, 10)
# The file, the results it must give (read from it by eye) and the tests it must skip.
# fmt: off
MEDIKEEP_EXPECTED: dict[str, tuple[list[Row], list[str]]] = {
    "labcorp_clean_text.txt": (
        [
            ("hemoglobin", "14.0", "g/dL", MAY_19, "13.0-17.7", None, HB_CLEAN),
            ("hemoglobin", "13.8", "g/dL", NOV_23, None, None, HB_CLEAN),
            ("mcv", 85, "fL", MAY_19, "79-97", None, MCV_CLEAN),
            ("mcv", 87, "fL", NOV_23, None, None, MCV_CLEAN),
        ],
        [*CBC_SKIPPED, "Estradiol"],
    ),
    "labcorp_comprehensive_corrupted.txt": (
        [
            ("hemoglobin", "14.0", "g/dL", MAY_19, "13.0-17.7", "High", HB_DAMAGED),
            ("hemoglobin", "13.8", "g/dL", NOV_23, None, None, HB_DAMAGED),
        ],
        ["WBC", "RBC", "^asos", "hleutrophils (Absolute)", "lijnmature Granulocytes",
         "% Free Testosterone"],
    ),
    "labcorp_minimal_sample.txt": (
        [("hemoglobin", "14.0", "g/dL", MAY_19, "13.0-17.7", None, 'Hemoglobin" 14.0 g/dL 13.0-17.7')],
        ["WBC", "RBC"],
    ),
    "labcorp_multiline_test.txt": (
        [
            ("vitamin_d", "45.0", "ng/mL", dt.date(2023, 10, 15), "30-100", None, VITAMIN_D),
            ("vitamin_d", "38.0", "ng/mL", dt.date(2022, 9, 15), None, None, VITAMIN_D),
        ],
        ["Immature Granulocytes", "Hemoglobin A1c"],
    ),
    "labcorp_with_flags.txt": (
        [
            ("creatinine", "0.8", "mg/dL", dt.date(2023, 6, 12), "0.7-1.3", None, CREATININE_FLAGS),
            ("creatinine", "0.9", "mg/dL", dt.date(2023, 5, 1), None, None, CREATININE_FLAGS),
        ],
        ["Glucose", "BUN", "Sodium"],
    ),
    "labcorp_percent_test.txt": ([], ["% Free Testosterone", "Testosterone, Total"]),
    "quest_diagnostics_sample.txt": (
        [],
        ["CHOLESTEROL, TOTAL", "HDL CHOLESTEROL", "LDL CHOLESTEROL", "TRIGLYCERIDES"],
    ),
    "epic_mychart_full_panel.txt": (
        [
            ("creatinine", "0.72", "mg/dL", APR_10, "0.50 - 0.90", None, CREATININE_EPIC),
            ("egfr", 126, "mL/min/1.73m2", APR_10, ">=90", None, EGFR_EPIC),
        ],
        ["Glucose Level", "Blood Urea Nitrogen (BUN)", "Sodium Level", "Potassium Level",
         "Chloride Level", "Carbon Dioxide Level", "Calcium Level", "Protein Total",
         "Albumin Level", "Anion Gap"],
    ),
    "epic_mychart_renal_panel.txt": (
        [("creatinine", "0.72", "mg/dL", APR_10, "0.50 - 0.90", None, CREATININE_EPIC)],
        ["Blood Urea Nitrogen (BUN)", "Calcium Level"],
    ),
    # "Hemoglobin A1c" / "Result: 6.5%": a look-alike, never haemoglobin.
    "inline-test-samples/test_lab_result_pdf_parsing__03.txt": ([], ["Hemoglobin A1c"]),
    "inline-test-samples/test_lab_result_pdf_parsing__04.txt": ([], ["WBC", "Ca2+", "Glucose"]),
    "inline-test-samples/test_lab_result_pdf_parsing__05.txt": (
        [],
        ["COVID-19 PCR", "Urinalysis - Glucose", "Urinalysis - Protein", "Culture"],
    ),
}
# fmt: on


@pytest.mark.parametrize("name", sorted(MEDIKEEP_EXPECTED))
def test_a_real_report_text_gives_its_results_and_previous_results(name: str) -> None:
    rows, skipped = MEDIKEEP_EXPECTED[name]
    extract = read_text((MEDIKEEP / name).read_bytes(), name, US)
    assert found(extract) == Counter(rows)
    assert extract.skipped == Counter(skipped)
    assert not extract.review
    assert not extract.problems


@pytest.mark.parametrize(
    "name",
    [
        "labcorp_no_tests.txt",
        "empty_pdf_text.txt",
        "inline-test-samples/test_epic_mychart_parser__01.txt",
        # "WBC: 7.5" with no unit or range is not told from a header line ("Room: 12").
        "inline-test-samples/test_lab_result_pdf_parsing__07.txt",
    ],
)
def test_a_real_text_without_tests_gives_only_no_results_found(name: str) -> None:
    extract = read_text((MEDIKEEP / name).read_bytes(), name, US)
    assert [p.message for p in extract.problems] == ["no results found"]
    assert not (extract.labs or extract.review or extract.skipped)


@pytest.mark.parametrize(
    ("sample", "haemoglobin"),
    [
        ("01", "Hemoglobin: 14.5 g/dL (Ref: 13.5-17.5)"),
        ("02", "Hemoglobin 14.5 g/dL"),
        ("06", "Hemoglobin: 12.1 g/dL (Ref: 13.5-17.5) L"),
    ],
)
def test_a_real_text_without_a_draw_date_sends_haemoglobin_to_review(
    sample: str, haemoglobin: str
) -> None:
    name = f"inline-test-samples/test_lab_result_pdf_parsing__{sample}.txt"
    extract = read_text((MEDIKEEP / name).read_bytes(), name, US)
    assert not extract.labs
    (item,) = extract.review
    assert item.origin.text == haemoglobin
    assert item.reason.startswith("no collection date found")
    assert extract.skipped == Counter({"WBC": 1, "RBC": 1})


def test_the_header_gives_the_birth_date_and_nothing_else() -> None:
    extract = read_text((MEDIKEEP / "labcorp_no_tests.txt").read_bytes(), "no_tests.txt", US)
    assert facts(extract) == {"person.birth_date": dt.date(1980, 1, 15)}
    assert extract.facts[0].origin.text == "DOB: 01/15/1980"


# --- through the importer and the assessment --------------------------------------------------


def test_import_files_turns_a_pdf_report_into_the_contract_document(
    rendered: dict[str, Path],
) -> None:
    result = import_files([rendered["labcorp"]])
    assert not result.problems
    assert result.formats == {str(rendered["labcorp"]): "pdf"}
    document = result.document
    assert document["person"] == {"birth_date": "1982-09-16", "sex": "female"}
    rows = {(row["test"], row["date"]): row for row in document["labs"]}
    assert rows[("ferritin", "2025-03-04")] == {
        "test": "ferritin",
        "value": "<5",
        "unit": "ng/mL",
        "date": "2025-03-04",
        "reference_range": "30-400",
        "flag": "Low",
    }
    assert rows[("hemoglobin", "2024-11-23")]["value"] == "12.0"
    where = document["labs"].index(rows[("ferritin", "2025-03-04")])
    assert document["provenance"][f"labs[{where}]"][0]["text"] == (
        "Ferritin <5 Low 12 Low 11/23/2024 ng/mL 30-400 01"
    )
    assert result.skipped == Counter({"MCH": 1, "MCHC": 1})


def test_a_reports_document_is_assessed_on_its_latest_draw(rendered: dict[str, Path]) -> None:
    document = import_files([rendered["labcorp"]]).document
    as_of = dt.date(2025, 3, 20)
    assessment = assess(parse_input(document, as_of=as_of), as_of=as_of)
    assert assessment.values.ferritin_ug_l == 5.0
    assert assessment.values.tsat_percent == 8.0
    assert assessment.iron_therapy.decision == "indicated"
    assert {(lab.test, lab.date) for lab in assessment.history} >= {
        ("ferritin", dt.date(2024, 11, 23)),
        ("hemoglobin", dt.date(2024, 11, 23)),
    }


# --- the vocabulary file ----------------------------------------------------------------------

_HEADER = " | ".join(WORDS_COLUMNS)


@pytest.mark.parametrize(
    ("row", "complaint"),
    [
        ("colour | red | - | x", "column 'kind' is 'colour'"),
        ("sex_value | X | unknown | x", "column 'reads as' is 'unknown'"),
        ("flag | H | high | x", "a flag row reads as nothing ('-')"),
        ("month_first | Acme Labs | - | x", "a month_first row must say what it reads as"),
        ("flag | H | - | x\nflag | h | - | x", "'h' is already a flag phrase"),
    ],
)
def test_a_bad_vocabulary_row_fails_naming_its_line(row: str, complaint: str) -> None:
    rows = parse_table(f"{_HEADER}\n{row}\n", "words.txt", WORDS_COLUMNS)
    with pytest.raises(DataFileError) as error:
        read_words(rows, "words.txt")
    assert str(error.value).startswith(f"words.txt:{len(rows) + 1}: ")
    assert complaint in str(error.value)


def test_a_vocabulary_without_a_kind_fails() -> None:
    rows = parse_table(f"{_HEADER}\nflag | H | - | x\n", "words.txt", WORDS_COLUMNS)
    with pytest.raises(DataFileError, match="no phrase of kind collected"):
        read_words(rows, "words.txt")


def test_reading_a_pasted_text_does_not_import_pdfplumber() -> None:
    """A pasted text does not pay pdfplumber's import (read in a fresh interpreter)."""
    code = (
        "import sys\n"
        "from rlsiron.io.importer import ReadOptions\n"
        "from rlsiron.io.lab_report import read_text\n"
        "read_text(b'Ferritin 12 ng/mL 30-400', 'pasted.txt', ReadOptions())\n"
        "print('pdfplumber' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_bytes_that_are_no_known_text_encoding_are_a_problem_not_replaced() -> None:
    raw = read_text(b"Date Collected: 2025-11-02\nFerritin 12 \x81g/L\n", "odd.txt", US)
    assert raw.labs == []
    (problem,) = raw.problems
    assert problem.location == "odd.txt: line 2"
    assert problem.received == b"\x81"
