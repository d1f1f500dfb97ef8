"""Lab tables (CSV, TSV, XLSX) read for `rlsiron import`, and the long CSV written back.

The fixtures in data/table are exports as people bring them: a US portal's CSV with title
lines, a German semicolon file in Windows-1252, wide tables with units in the headings or in
a row of their own; the SMART sample patients' table comes from ../shared. Smaller cases are
written inline, so that each test shows the lines it reads.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from rlsiron import assess, parse_input
from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.core.labs.ranges import ReferenceRange, parse_reference_range, range_from_bounds
from rlsiron.core.labs.units import accepted_units
from rlsiron.core.labs.values import parse_value
from rlsiron.core.readings import Reading
from rlsiron.io.extract import Extract, FoundLab, catalogue_test
from rlsiron.io.importer import ReadOptions, import_files
from rlsiron.io.table import read_table, write_table
from rlsiron.io.table_headers import read_spellings, roles_of
from rlsiron.pipe_table import DataFileError, parse_table
from tests.conftest import SHARED

DATA = Path(__file__).parent / "data" / "table"
SMART = SHARED / "data" / "labs-table" / "smart_sample_patients_labs.tsv"
SMART_IRON_PATIENT = "8888803"  # the one patient of the SMART table with iron panels
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _read(content: str | bytes, name: str = "labs.csv", **options: str) -> Extract:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return read_table(data, name, ReadOptions(**options))


def _found(lab: FoundLab) -> tuple[object, ...]:
    """What a lab carries into the document, without its origin."""
    return (lab.test, lab.value, lab.unit, lab.date.isoformat(), lab.reference_range)


def _places(extract: Extract) -> list[str]:
    return [problem.location for problem in extract.problems]


def _reviewed(extract: Extract) -> list[tuple[str, str]]:
    return [(item.origin.at, item.reason) for item in extract.review]


def _workbook(
    *sheets: tuple[str, Sequence[Sequence[object]]], formats: Mapping[str, str] = {}
) -> bytes:
    """An XLSX file with the given sheets; `formats` sets number formats ("Labs!C4": "0.00")."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    for where, number_format in formats.items():
        title, cell = where.split("!")
        book[title][cell].number_format = number_format
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- long tables ---------------------------------------------------------------------------


def test_a_portal_export_is_read_below_its_title_lines_with_ranges_flags_and_origins() -> None:
    extract = _read((DATA / "portal_export.csv").read_bytes(), "portal_export.csv")

    assert [_found(lab) for lab in extract.labs] == [
        ("ferritin", 28, "ng/mL", "2026-11-02", "15-150"),
        ("iron", 62, "ug/dL", "2026-11-02", "50-170"),
        ("tibc", 410, "ug/dL", "2026-11-02", "250-450"),
        ("tsat", 15, "%", "2026-11-02", "20-50"),
        ("hemoglobin", "12.10", "g/dL", "2026-11-02", "12.0-15.5"),
        ("crp", "<1.0", "mg/L", "2026-11-02", "<5.0"),
        ("ferritin", 115, "ug/L", "2026-05-02", "15-150"),
    ]
    tsat = extract.labs[3]
    assert (tsat.flag, extract.labs[0].assay) == ("L", "Roche")
    assert tsat.origin.file == "portal_export.csv"
    assert tsat.origin.at == "line 9"  # the physical line: four title lines, then the header
    assert tsat.origin.text == "2026-11-02,% Saturation,15,%,20-50,L,"
    assert extract.skipped == {"Hemoglobin A1c": 1, "MCH": 1}
    assert not extract.problems and not extract.review


@pytest.mark.parametrize(
    "value",
    ["1.70", "<5", "< 0.41", "≤5", ">=60", ">59", "0.180"],
)
def test_values_keep_their_comparator_and_every_printed_decimal(value: str) -> None:
    extract = _read(f"Date,Test,Value,Unit\n2025-03-04,Ferritin,{value},ng/mL\n")

    assert [lab.value for lab in extract.labs] == [value.replace(" ", "")]
    assert parse_value(extract.labs[0].value, field="v") == parse_value(value, field="v")


def test_a_whole_number_is_an_int_so_that_it_is_known_to_have_no_decimals() -> None:
    extract = _read("Date,Test,Value,Unit\n2025-03-04,Ferritin,28,ng/mL\n")

    assert extract.labs[0].value == 28
    assert isinstance(extract.labs[0].value, int)


@pytest.mark.parametrize(
    ("header", "row"),
    [
        pytest.param("Collected,Analyte,Value,UOM", "2025-03-04,Ferritin,28,ng/mL", id="us-lis"),
        pytest.param("DATE,Component,Result,Units", "2025-03-04,Ferritin,28,ng/mL", id="epic"),
        pytest.param("Datum;Parameter;Wert;Einheit", "04.03.2025;Ferritin;28;ng/mL", id="german"),
        pytest.param(
            "DATE,PATIENT,CODE,DESCRIPTION,VALUE,UNITS",
            "2025-03-04,p1,2276-4,Ferritin [Mass/volume] in Serum or Plasma,28,ng/mL",
            id="synthea",
        ),
        pytest.param(
            "person_id,measurement_date,measurement_source_value,value_as_number,unit_source_value",
            "7,2025-03-04,Ferritin,28,ng/mL",
            id="omop",
        ),
        pytest.param("Specimen Date,Test,Result,Unit", "2025-03-04,Ferritin,28,ng/mL", id="uk"),
        pytest.param(
            "collection_date,test_name,result,unit", "2025-03-04,Ferritin,28,ng/mL", id="snake"
        ),
    ],
)
def test_the_columns_of_a_long_table_are_found_under_their_usual_headings(
    header: str, row: str
) -> None:
    extract = _read(f"{header}\n{row}\n")

    assert [_found(lab) for lab in extract.labs] == [("ferritin", 28, "ng/mL", "2025-03-04", None)]


def test_a_loinc_column_is_read_before_the_printed_name() -> None:
    # Code and name disagree: the code, being exact, decides.
    extract = _read("Date,LOINC,Name,Value,Units\n2025-03-04,2276-4,Iron,28,ng/mL\n")

    assert [lab.test for lab in extract.labs] == ["ferritin"]


def test_the_better_spelling_wins_when_two_columns_claim_one_role() -> None:
    # "Name" is the patient's here; "Test" is listed first in table_headers.txt.
    extract = _read("Name,Test,Date,Value,Unit\nJane,Ferritin,2025-03-04,28,ng/mL\n")

    assert [lab.test for lab in extract.labs] == ["ferritin"]


def test_low_and_high_columns_become_the_range_as_a_lab_prints_it() -> None:
    extract = _read(
        "Date,Test,Value,Unit,Low,High\n"
        "2025-03-04,Ferritin,28,ng/mL,15,150\n"
        "2025-03-04,eGFR,75,mL/min/1.73m2,60,\n"
        "2025-03-04,CRP,2,mg/L,,5.0\n"
        "2025-03-04,Hb,12.1,g/dL,,\n"
    )

    assert [lab.reference_range for lab in extract.labs] == ["15-150", ">60", "<5.0", None]


def test_one_test_in_two_units_is_fine_in_a_long_table() -> None:
    extract = _read(
        "Date,Test,Value,Unit\n2025-03-04,Ferritin,28,ng/mL\n2025-06-04,Ferritin,63,pmol/L\n"
    )

    assert [(lab.value, lab.unit) for lab in extract.labs] == [(28, "ng/mL"), (63, "pmol/L")]


def test_a_unit_in_the_value_cell_is_read_and_a_contradicting_unit_column_is_a_problem() -> None:
    extract = _read(
        "Date,Test,Value,Unit\n2025-03-04,Ferritin,28 ng/mL,\n2025-03-04,Hb,12.1 g/dL,mmol/L\n"
    )

    assert [(lab.value, lab.unit) for lab in extract.labs] == [(28, "ng/mL")]
    assert extract.problems[0].location == "labs.csv: line 3"
    assert "g/dL" in extract.problems[0].message and "mmol/L" in extract.problems[0].message


# --- the SMART sample patients' table ------------------------------------------------------


def test_the_smart_table_is_read_for_one_patient_by_loinc_code_then_name() -> None:
    extract = _read(SMART.read_bytes(), "smart.tsv", patient=SMART_IRON_PATIENT)

    panels = {
        (lab.date.isoformat(), lab.test): (lab.value, lab.unit)
        for lab in extract.labs
        if lab.test in {"ferritin", "tsat", "iron", "tibc"}
    }
    assert panels == {
        ("2011-11-04", "ferritin"): (4, "ug/L"),
        ("2011-11-04", "tsat"): (4, "%"),
        ("2011-11-04", "iron"): (20, "ug/L"),  # the table's own unit quirk, passed on as printed
        ("2011-11-04", "tibc"): (449, "ug/dL"),
        ("2012-05-07", "ferritin"): (9, "ug/L"),
        ("2012-05-07", "tsat"): (8, "%"),
        ("2012-05-07", "iron"): (33, "ug/L"),
        ("2012-05-07", "tibc"): (415, "ug/dL"),
        ("2012-12-15", "ferritin"): (11, "ug/L"),
        ("2012-12-15", "tsat"): (10, "%"),
        ("2012-12-15", "iron"): (35, "ug/L"),
        ("2012-12-15", "tibc"): (413, "ug/dL"),
    }
    assert extract.skipped["MCH RBC Qn Auto"] == 4  # a look-alike of haemoglobin, not read
    assert not extract.problems


def test_a_file_of_several_patients_attaches_no_result_to_anyone_without_a_patient() -> None:
    extract = _read(SMART.read_bytes(), "smart.tsv")

    assert extract.labs == [] and not extract.skipped
    (problem,) = extract.problems
    assert problem.location == "smart.tsv: line 1"
    assert "39 patient ids (1520204, 1288992, ...)" in problem.message
    assert "--patient" in (problem.hint or "")


def test_a_patient_the_file_does_not_hold_is_a_problem() -> None:
    extract = _read("PID,Date,Test,Value,Unit\n1,2025-03-04,Ferritin,28,ng/mL\n", patient="2")

    assert extract.labs == []
    assert "'2' is not in column 'PID'" in extract.problems[0].message


def test_a_file_of_one_patient_is_read_whole() -> None:
    extract = _read("MRN,Date,Test,Value,Unit\n77,2025-03-04,Ferritin,28,ng/mL\n")

    assert [lab.test for lab in extract.labs] == ["ferritin"]


# --- tests the catalogue does not read ------------------------------------------------------


def test_unknown_tests_and_look_alikes_are_counted_as_skipped_never_guessed() -> None:
    extract = _read(
        "Date,Test,Value,Unit\n"
        "2025-03-04,HbA1c,5.4,%\n"
        "2025-03-04,MCH,29,pg\n"
        "2025-03-04,MCHC,33,g/dL\n"
        "2025-03-04,Oxygen saturation,97,%\n"
        "2025-03-04,Glucose,92,mg/dL\n"
        "2025-03-04,Glucose,95,mg/dL\n"
    )

    assert extract.labs == []
    assert extract.skipped == {
        "HbA1c": 1, "MCH": 1, "MCHC": 1, "Oxygen saturation": 1, "Glucose": 2
    }  # fmt: skip
    assert not extract.problems


# --- wide tables ---------------------------------------------------------------------------


def test_a_wide_table_takes_each_column_unit_from_its_heading() -> None:
    extract = _read((DATA / "wide_units_in_headings.tsv").read_bytes(), "wide.tsv")

    assert [_found(lab) for lab in extract.labs] == [
        ("ferritin", 22, "ng/mL", "2025-01-10", None),
        ("tsat", 14, "%", "2025-01-10", None),
        ("hemoglobin", "11.8", "g/dL", "2025-01-10", None),
        ("ferritin", 48, "ng/mL", "2025-06-12", None),
        ("tsat", 22, "%", "2025-06-12", None),
        ("hemoglobin", "12.6", "g/dL", "2025-06-12", None),
    ]
    assert extract.skipped == {"Glucose": 1}  # one value in a column of a test not read
    assert extract.labs[0].origin.at == "line 2"


def test_a_wide_table_takes_units_from_a_row_of_units_under_the_header() -> None:
    extract = _read((DATA / "wide_unit_row.csv").read_bytes(), "wide.csv")

    assert [_found(lab) for lab in extract.labs][:3] == [
        ("ferritin", 22, "µg/L", "2025-01-10", None),
        ("tsat", 14, "%", "2025-01-10", None),
        ("hemoglobin", "11.8", "g/dl", "2025-01-10", None),  # decimal commas: semicolons
    ]
    assert extract.labs[0].origin.at == "line 3"


def test_a_wide_column_without_a_unit_anywhere_makes_each_of_its_values_a_problem() -> None:
    extract = _read("Date,Ferritin,TSAT (%)\n2025-03-04,28,18\n2025-06-04,30,\n")

    assert [lab.test for lab in extract.labs] == ["tsat"]
    assert _places(extract) == ["labs.csv: line 2", "labs.csv: line 3"]
    assert all(p.message.startswith("column 'Ferritin': no unit") for p in extract.problems)


def test_a_wide_cell_whose_unit_contradicts_its_heading_is_a_problem() -> None:
    extract = _read(
        "Date,Ferritin (ng/mL)\n2025-03-04,28\n2025-06-04,63 pmol/L\n2025-09-04,30 ng/mL\n"
    )

    assert [(lab.value, lab.unit) for lab in extract.labs] == [(28, "ng/mL"), (30, "ng/mL")]
    (problem,) = extract.problems
    assert problem.location == "labs.csv: line 3"
    assert (
        problem.message
        == "column 'Ferritin (ng/mL)': the cell says pmol/L where the heading says ng/mL"
    )


def test_a_wide_column_may_give_each_cell_its_own_unit() -> None:
    extract = _read("Date,Ferritin\n2025-03-04,28 ng/mL\n2025-06-04,63 pmol/L\n")

    assert [(lab.value, lab.unit) for lab in extract.labs] == [(28, "ng/mL"), (63, "pmol/L")]


# --- numbers -------------------------------------------------------------------------------


def test_a_european_file_is_read_with_decimal_commas_and_its_windows_1252_micro_sign() -> None:
    # µ is the byte B5 in Latin-1 and in Windows-1252 alike.
    extract = _read((DATA / "laborbefund_cp1252.csv").read_bytes(), "befund.csv")

    assert [_found(lab) for lab in extract.labs] == [
        ("ferritin", "12.5", "µg/L", "2025-03-04", "15-150"),
        ("tsat", 14, "%", "2025-03-04", "16-45"),
        ("hemoglobin", "7.9", "mmol/L", "2025-03-04", "7.4-9.9"),
    ]
    assert {lab.note for lab in extract.labs} == {"decoded as Windows-1252: the file is not UTF-8"}
    assert extract.skipped == {"HbA1c": 1}


@pytest.mark.parametrize(
    ("lines", "read", "reviewed"),
    [
        pytest.param(
            ['2025-03-04,Ferritin,"1,5",ng/mL', "2025-03-04,Hb,12,g/dL"],
            ["1.5", 12],
            [],
            id="a comma that cannot be a thousands separator settles it",
        ),
        pytest.param(
            ['2025-03-04,Ferritin,"1,200",ng/mL'],
            [],
            [("line 2", "the comma in 1,200 may separate thousands or decimals")],
            id="a lone 1,200 settles nothing",
        ),
        pytest.param(
            ["2025-03-04,Hb,12.1,g/dL", '2025-03-04,Ferritin,"1,5",ng/mL'],
            ["12.1"],
            [("line 3", "1,5 is ambiguous: this file writes decimals with a point")],
            id="a point elsewhere makes a comma ambiguous",
        ),
        pytest.param(
            ['2025-03-04,Ferritin,"1.234,5",ng/mL'],
            [],
            [("line 2", "1.234,5 has a thousands separator or two decimal marks")],
            id="thousands separators",
        ),
    ],
)
def test_the_decimal_mark_is_decided_once_for_the_whole_file(
    lines: list[str], read: list[object], reviewed: list[tuple[str, str]]
) -> None:
    extract = _read("Date,Test,Value,Unit\n" + "\n".join(lines) + "\n")

    assert [lab.value for lab in extract.labs] == read
    assert _reviewed(extract) == reviewed


def test_a_semicolon_file_mixing_decimal_marks_sends_the_points_for_review() -> None:
    extract = _read(
        "Datum;Test;Wert;Einheit\n04.03.2025;Ferritin;1,5;ng/mL\n04.03.2025;Hb;12.5;g/dL\n"
    )

    assert [lab.value for lab in extract.labs] == ["1.5"]
    assert _reviewed(extract) == [
        ("line 3", "12.5 is ambiguous: this file writes decimals with a comma")
    ]


@pytest.mark.parametrize("unit", ["", "fraction"])
def test_a_tsat_given_as_a_fraction_is_sent_for_review_never_multiplied(unit: str) -> None:
    extract = _read(f"Date,Test,Value,Unit\n2025-03-04,TSAT,0.18,{unit}\n2025-03-04,TSAT,18,%\n")

    assert [lab.value for lab in extract.labs] == [18]
    assert _reviewed(extract) == [("line 2", "looks like a fraction: 0.18 may be 18 %")]


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "printed",
    [
        "2025-03-04",
        "2025/03/04",
        "04.03.2025",
        "4.3.25",
        "Mar 4, 2025",
        "March 4 2025",
        "4 Mar 2025",
        "04-Mar-2025",
        "2025-03-04T08:30:00Z",
        "04.03.2025 08:30",
        "Mar 4, 2025 8:30 AM",
    ],
)
def test_dates_are_read_in_every_unambiguous_form_and_date_times_keep_the_date(
    printed: str,
) -> None:
    extract = _read(f'Date,Test,Value,Unit\n"{printed}",Ferritin,28,ng/mL\n')

    assert [lab.date for lab in extract.labs] == [dt.date(2025, 3, 4)]


def test_a_slash_date_that_could_be_either_way_round_is_sent_for_review_naming_the_option() -> None:
    extract = _read("Date,Test,Value,Unit\n03/04/2025,Ferritin,28,ng/mL\n04/04/2025,Hb,12,g/dL\n")

    assert [lab.date for lab in extract.labs] == [dt.date(2025, 4, 4)]  # the same either way
    ((at, reason),) = _reviewed(extract)
    assert at == "line 2"
    assert "either way round" in reason and "give --date-format" in reason


@pytest.mark.parametrize(
    ("settling", "expected"),
    [
        pytest.param("13/04/2025", dt.date(2025, 4, 3), id="day first"),
        pytest.param("04/13/2025", dt.date(2025, 3, 4), id="month first"),
    ],
)
def test_one_slash_date_with_a_part_above_12_settles_the_order_for_the_whole_file(
    settling: str, expected: dt.date
) -> None:
    extract = _read(f"Date,Test,Value,Unit\n03/04/2025,Ferritin,28,ng/mL\n{settling},Hb,12,g/dL\n")

    assert extract.labs[0].date == expected
    assert not extract.review


@pytest.mark.parametrize(
    ("date_format", "expected"),
    [("%m/%d/%y", dt.date(2025, 3, 4)), ("%d/%m/%y", dt.date(2025, 4, 3))],
)
def test_the_date_format_option_reads_ambiguous_slash_dates(
    date_format: str, expected: dt.date
) -> None:
    extract = _read(
        "Date,Test,Value,Unit\n3/4/25,Ferritin,28,ng/mL\n2025-03-04,Hb,12,g/dL\n",
        date_format=date_format,
    )

    assert [lab.date for lab in extract.labs] == [expected, dt.date(2025, 3, 4)]


# --- bad input -----------------------------------------------------------------------------


def test_each_bad_row_is_a_problem_naming_its_line_and_the_rest_is_still_read() -> None:
    extract = _read(
        "Date,Test,Value,Unit\n"
        "2025-03-04,Ferritin,,ng/mL\n"  # no value
        "2025-03-04,Ferritin,28,\n"  # no unit
        ",Ferritin,28,ng/mL\n"  # no date
        "2025-03-04,Ferritin,positive,ng/mL\n"  # not a number
        "2025-03-04,Ferritin,5-10,ng/mL\n"  # a range, not a result
        "yesterday,Ferritin,28,ng/mL\n"  # not a date
        "2025-02-30,Ferritin,28,ng/mL\n"  # no such day
        ",,28,ng/mL\n"  # no test
        "2025-03-04,Hb,12.1,g/dL\n"
    )

    assert [lab.test for lab in extract.labs] == ["hemoglobin"]
    assert [(p.location.removeprefix("labs.csv: "), p.message) for p in extract.problems] == [
        ("line 2", "no value"),
        ("line 3", "no unit"),
        ("line 4", "no date"),
        ("line 5", "not a number"),
        ("line 6", "not a number"),
        ("line 7", "not a date"),
        ("line 8", "not a date"),
        ("line 9", "no test name"),
    ]


def test_a_row_with_several_faults_reports_each_of_them() -> None:
    extract = _read("Date,Test,Value,Unit\nsoon,Ferritin,high,ng/mL\n")

    assert [p.message for p in extract.problems] == ["not a date", "not a number"]


def test_a_header_with_no_column_rlsiron_reads_names_the_columns_found_and_those_accepted() -> None:
    extract = _read("Title of the export\nAnimal,Colour,Weight\ncat,black,4\n")

    (problem,) = extract.problems
    assert problem.location == "labs.csv: line 2"  # the widest row: the header meant
    assert problem.received == ["Animal", "Colour", "Weight"]
    assert "date: Collection Date, Collected" in (problem.hint or "")
    assert "value: Value, Result" in (problem.hint or "")


@pytest.mark.parametrize("content", [b"", b"\n\n", b" \r\n\t\r\n"])
def test_an_empty_file_is_a_problem(content: bytes) -> None:
    extract = _read(content)

    assert [p.message for p in extract.problems] == ["the file is empty"]
    assert extract.labs == []


def test_a_row_the_csv_module_cannot_split_is_a_problem_and_the_next_rows_are_read() -> None:
    huge = '"' + "x" * (csv.field_size_limit() + 1) + '"'
    extract = _read(f"Date,Test,Value,Unit\n2025-03-04,{huge},28,ng/mL\n2025-03-04,Hb,12,g/dL\n")

    assert [lab.test for lab in extract.labs] == ["hemoglobin"]
    assert _places(extract) == ["labs.csv: line 2"]
    assert extract.problems[0].message == "cannot be split into cells"


def test_a_value_with_more_digits_than_python_converts_is_a_problem_not_a_crash() -> None:
    extract = _read(f"Date,Test,Value,Unit\n2025-03-04,Ferritin,{'9' * 5000},ng/mL\n")

    assert [(p.message, p.hint) for p in extract.problems] == [("not a number", "too many digits")]


def test_a_utf16_export_is_read() -> None:
    text = "Date\tTest\tValue\tUnit\r\n2025-03-04\tFerritin\t28\tµg/L\r\n"

    extract = _read(text.encode("utf-16"))

    assert [_found(lab) for lab in extract.labs] == [("ferritin", 28, "µg/L", "2025-03-04", None)]


def test_text_in_no_encoding_rlsiron_knows_is_a_problem_naming_its_line() -> None:
    extract = _read(b"Date,Test,Value,Unit\n2025-03-04,Ferritin,28,\x81g/L\n")  # 0x81: not cp1252

    assert extract.format is None
    assert _places(extract) == ["labs.csv: line 2"]


# --- XLSX ----------------------------------------------------------------------------------


def test_a_workbook_is_read_from_its_first_sheet_with_a_header_with_typed_cells() -> None:
    data = _workbook(
        ("Notes", [["exported for Dr Example"]]),
        (
            "Labs",
            [
                ["Lab results"],
                [],
                ["Date", "Test", "Value", "Unit"],
                [dt.datetime(2025, 3, 4, 8, 30), "Ferritin", 1.7, "ug/L"],
                [dt.date(2025, 3, 4), "TSAT", 0.18, None],
                ["04.03.2025", "Hb", 12, "g/dL"],
                [dt.date(2025, 3, 4), "TSAT", 0.18, "%"],
            ],
        ),
        formats={"Labs!C4": "0.00", "Labs!C7": "0%"},
    )

    extract = _read(data, "labs.xlsx")

    assert [_found(lab) for lab in extract.labs] == [
        ("ferritin", "1.70", "ug/L", "2025-03-04", None),  # the decimals its format shows
        ("hemoglobin", 12, "g/dL", "2025-03-04", None),
        ("tsat", 18, "%", "2025-03-04", None),  # 0.18 formatted as a percentage shows 18%
    ]
    assert extract.labs[0].origin.at == "sheet Labs, row 4"
    assert extract.labs[0].origin.text == "2025-03-04 | Ferritin | 1.70 | ug/L"
    assert _reviewed(extract) == [("sheet Labs, row 5", "looks like a fraction: 0.18 may be 18 %")]


def test_a_wide_workbook_reads_decimal_comma_text_cells_as_text() -> None:
    data = _workbook(
        ("Werte", [["Datum", "Ferritin (µg/L)"], ["04.03.2025", "12,5"], ["05.03.2025", 13]])
    )

    extract = _read(data, "werte.xlsx")

    assert [lab.value for lab in extract.labs] == ["12.5", 13]


def test_a_damaged_workbook_is_a_problem_not_a_crash() -> None:
    data = _workbook(("Labs", [["Date", "Test", "Value", "Unit"]]))

    extract = _read(data[: len(data) // 2], "labs.xlsx")

    assert extract.format is None
    assert [p.message for p in extract.problems] == ["is not an XLSX workbook rlsiron can read"]


def test_a_workbook_with_no_header_names_the_row_most_like_one() -> None:
    extract = _read(_workbook(("Sheet", [["Animal", "Colour"], ["cat", "black"]])), "x.xlsx")

    assert _places(extract) == ["x.xlsx: sheet Sheet, row 1"]


# --- the header table ----------------------------------------------------------------------


def test_the_smart_columns_are_given_their_roles() -> None:
    roles = roles_of(
        ["ID", "PID", "DATE", "LOINC", "SCALE", "NAME", "VALUE", "LOW", "HIGH", "UNITS"]
    )

    assert roles == {
        "patient": 1, "date": 2, "code": 3, "test": 5, "value": 6, "low": 7, "high": 8, "unit": 9
    }  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        pytest.param("colour | Hue | common wording", "column 'role' is 'colour'", id="role"),
        pytest.param("date | Date | x\ndate | DATE | y", "repeats a spelling of date", id="repeat"),
        pytest.param("date | Datum |", "column 'source' is empty", id="source"),
    ],
)
def test_a_malformed_row_of_the_header_table_fails_naming_its_line(rows: str, message: str) -> None:
    text = "role | header | source\n" + rows
    with pytest.raises(DataFileError, match=message):
        read_spellings(parse_table(text, "table_headers.txt", ("role", "header", "source")))


# --- writing, and round trips --------------------------------------------------------------


def _reading(value: object) -> Reading:
    """A contract value as the core reads it (decimals and comparator included)."""
    if isinstance(value, Mapping):
        number = parse_value(value["value"], field="value")
        return Reading(number.value, value.get("comparator") or "=", number.decimals)
    assert isinstance(value, int | float | str)
    return parse_value(value, field="value")


def _limits(given: object, test: str, unit: str) -> ReferenceRange | None:
    if given is None:
        return None
    if isinstance(given, Mapping):
        return range_from_bounds(given.get("low"), given.get("high"), test, unit, field="range")
    assert isinstance(given, str)
    return parse_reference_range(given, test, unit, field="range")


def _same_labs(written: Sequence[Mapping[str, Any]], read: Sequence[FoundLab]) -> None:
    """The labs of a document and those read back agree on everything the core reads."""
    assert len(read) == len(written)
    for lab, found in zip(written, read, strict=True):
        test, unit = catalogue_test(lab["test"]), lab["unit"]
        assert test is not None and found.test == test
        assert _reading(found.value) == _reading(lab["value"])
        assert (found.unit, found.date.isoformat()) == (unit, str(lab["date"]))
        assert _limits(found.reference_range, test, unit) == _limits(
            lab.get("reference_range"), test, unit
        )
        assert (found.flag, found.assay) == (lab.get("flag"), lab.get("assay"))


def test_the_written_table_has_one_column_per_field_of_a_lab() -> None:
    document = {
        "labs": [
            {"test": "ferritin", "value": {"value": 5, "comparator": "<"}, "unit": "ng/mL",
             "date": "2025-03-04", "reference_range": {"low": 15, "high": 150.0}},
            {"test": "Iron, Serum", "value": 1e-05, "unit": "mg/L", "date": dt.date(2025, 3, 4),
             "reference_range": {"high": 1.5}, "flag": "L", "assay": "roche"},
        ]
    }  # fmt: skip

    assert write_table(document).splitlines() == [
        "date,test,value,unit,reference_range,flag,assay",
        "2025-03-04,ferritin,<5,ng/mL,15-150.0,,",
        '2025-03-04,"Iron, Serum",0.00001,mg/L,<1.5,L,roche',
    ]


def test_csv_to_contract_to_csv_reads_back_the_same_labs() -> None:
    imported = import_files([DATA / "portal_export.csv"])

    written = write_table(imported.document)
    again = _read(written, "written.csv")

    _same_labs(imported.document["labs"], again.labs)
    first = _read((DATA / "portal_export.csv").read_bytes())
    assert sorted(map(_found, again.labs)) == sorted(map(_found, first.labs))


_NUMBERS = st.builds(
    lambda digits, decimals: format(Decimal(digits).scaleb(-decimals), "f"),
    st.integers(0, 99_999),
    st.integers(0, 3),
)
_TESTS = ("ferritin", "tsat", "hemoglobin", "iron", "tibc", "transferrin", "crp", "mcv", "egfr")


@st.composite
def _printed_tests(draw: st.DrawFn, key: str) -> str:
    """A catalogue test as a file may name it: its id, its display name or a LOINC code."""
    analyte = ANALYTES[key]
    return draw(st.sampled_from((analyte.key, analyte.display, *analyte.loinc)))


@st.composite
def _ranges(draw: st.DrawFn) -> str | None:
    low, high = sorted(draw(st.lists(_NUMBERS, min_size=2, max_size=2)), key=Decimal)
    return draw(st.sampled_from((None, f"{low}-{high}", f"<{high}", f">{low}")))


class _Result(NamedTuple):
    test: str  # the catalogue id
    printed_test: str
    comparator: str
    number: str  # with a decimal point
    unit: str
    date: dt.date
    reference_range: str | None

    @property
    def value(self) -> int | str:
        """What the reader should return: an int without decimals, else the text."""
        if self.comparator or "." in self.number:
            return f"{self.comparator}{self.number}"
        return int(self.number)


@st.composite
def _results(draw: st.DrawFn, test: str | None = None, unit: str | None = None) -> _Result:
    key = test or draw(st.sampled_from(_TESTS))
    return _Result(
        test=key,
        printed_test=draw(_printed_tests(key)),
        comparator=draw(st.sampled_from(("", "<", ">", "<=", ">=", "≤", "≥"))),
        number=draw(_NUMBERS),
        unit=unit or draw(st.sampled_from(accepted_units(key))),
        date=draw(st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31))),
        reference_range=draw(_ranges()),
    )


# (delimiter, decimal mark written); a semicolon file writes decimal commas.
_STYLES = {"comma": (",", "."), "semicolon": (";", ","), "tab": ("\t", ".")}
# (strftime format, the --date-format the file needs); slash dates need the option.
_DATE_STYLES = (
    ("%Y-%m-%d", None),
    ("%d.%m.%Y", None),
    ("%Y/%m/%d", None),
    ("%b %d, %Y", None),
    ("%d %b %Y", None),
    ("%m/%d/%Y", "%m/%d/%Y"),
)


class _Table(NamedTuple):
    data: bytes
    options: ReadOptions
    expected: list[tuple[object, ...]]  # (test, value, unit, date, range), in file order


def _csv(rows: Sequence[Sequence[str]], delimiter: str) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


@st.composite
def _long_tables(draw: st.DrawFn) -> _Table:
    delimiter, mark = _STYLES[draw(st.sampled_from(sorted(_STYLES)))]
    date_format, option = draw(st.sampled_from(_DATE_STYLES))
    results = draw(st.lists(_results(), min_size=1, max_size=8))
    rows = [["Date", "Test", "Value", "Unit", "Reference Range"]]
    for r in results:
        value = f"{r.comparator}{r.number}".replace(".", mark)
        printed_range = (r.reference_range or "").replace(".", mark)
        rows.append([r.date.strftime(date_format), r.printed_test, value, r.unit, printed_range])
    expected = [(r.test, r.value, r.unit, r.date.isoformat(), r.reference_range) for r in results]
    return _Table(_csv(rows, delimiter), ReadOptions(date_format=option), expected)


@st.composite
def _wide_tables(draw: st.DrawFn) -> _Table:
    delimiter, mark = _STYLES[draw(st.sampled_from(sorted(_STYLES)))]
    date_format, option = draw(st.sampled_from(_DATE_STYLES))
    tests = draw(st.lists(st.sampled_from(_TESTS), min_size=1, max_size=4, unique=True))
    columns = [draw(_results(test)) for test in tests]  # a printed name and a unit per column
    dates = draw(
        st.lists(
            st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    units_in = draw(st.sampled_from(("parentheses", "brackets", "a row of units")))
    header = ["Date"]
    for column in columns:
        name, unit = column.printed_test, column.unit
        header.append(
            {"parentheses": f"{name} ({unit})", "brackets": f"{name} [{unit}]"}.get(units_in, name)
        )
    rows = [header]
    if units_in == "a row of units":
        rows.append(["Unit", *(column.unit for column in columns)])
    expected: list[tuple[object, ...]] = []
    for date in dates:
        row = [date.strftime(date_format)]
        for column in columns:
            result = draw(st.none() | _results(column.test, column.unit))
            row.append(
                "" if result is None else f"{result.comparator}{result.number}".replace(".", mark)
            )
            if result is not None:
                expected.append((column.test, result.value, column.unit, date.isoformat(), None))
        rows.append(row)
    return _Table(_csv(rows, delimiter), ReadOptions(date_format=option), expected)


@PROPERTY
@given(table=st.one_of(_long_tables(), _wide_tables()))
def test_any_results_written_as_a_long_or_wide_table_read_back_the_same(table: _Table) -> None:
    extract = read_table(table.data, "labs.csv", table.options)

    assert [_found(lab) for lab in extract.labs] == table.expected
    assert not extract.problems and not extract.review


def _contract_value(kind: str, number: str, comparator: str) -> object:
    """A value as a contract document may give it: a number, a text or a quantity."""
    if kind == "number":
        return float(number) if "." in number else int(number)
    if kind == "text":
        return f"{comparator}{number}"
    return {"value": float(number), "comparator": comparator or None}


@st.composite
def _documents(draw: st.DrawFn) -> dict[str, Any]:
    labs = []
    for result in draw(st.lists(_results(), min_size=1, max_size=6)):
        kind = draw(st.sampled_from(("number", "text", "quantity")))
        value = _contract_value(kind, result.number, draw(st.sampled_from(("", "<", ">="))))
        low, high = sorted((float(draw(_NUMBERS)), float(draw(_NUMBERS))))
        reference = draw(
            st.sampled_from(
                (
                    None,
                    result.reference_range,
                    {"low": low, "high": high},
                    {"low": low},
                    {"high": high},
                )
            )
        )
        labs.append(
            {
                "test": result.printed_test,
                "value": value,
                "unit": result.unit,
                "date": result.date.isoformat(),
                "reference_range": reference,
                "flag": draw(st.sampled_from((None, "H", "L", "A"))),
                "assay": draw(st.sampled_from((None, "roche", "Beckman Coulter"))),
            }
        )
    return {"labs": labs}


@PROPERTY
@given(document=_documents())
def test_any_document_written_by_write_table_reads_back_to_the_same_labs(
    document: dict[str, Any],
) -> None:
    extract = read_table(write_table(document).encode("utf-8"), "written.csv", ReadOptions())

    _same_labs(document["labs"], extract.labs)
    assert not extract.problems and not extract.review


_TABLE_TEXT = st.text(
    alphabet=st.sampled_from(list('0123456789.,;\t"\n <>=-/:%abcHFerritinTSAT µ')), max_size=300
)


@PROPERTY
@given(
    data=st.one_of(
        st.binary(max_size=500),
        st.builds(lambda text: b"Date,Test,Value,Unit,Low,High\n" + text.encode(), _TABLE_TEXT),
        st.builds(
            lambda text: b"Date;Ferritin (ng/mL);TSAT\nUnit;;%\n" + text.encode(), _TABLE_TEXT
        ),
        st.builds(lambda tail: b"PK\x03\x04" + tail, st.binary(max_size=200)),
    )
)
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    extract = read_table(data, "any.csv", ReadOptions())

    assert all(lab.origin.at.startswith("line ") for lab in extract.labs)
    assert all(problem.location.startswith("any.csv: ") for problem in extract.problems)


# --- end to end ----------------------------------------------------------------------------


def test_an_imported_export_is_assessed_by_the_engine(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_bytes((DATA / "portal_export.csv").read_bytes())

    imported = import_files([path])
    document = {**imported.document, "person": {"age_years": 42, "sex": "female"}}
    as_of = dt.date(2026, 11, 20)
    result = assess(parse_input(document, as_of=as_of), as_of=as_of)

    assert (result.values.ferritin_ug_l, result.values.tsat_percent) == (28, 15)
    assert result.values.hemoglobin_g_dl == 12.1
    assert result.iron_therapy.decision == "indicated"
    assert imported.document["provenance"]["labs[2]"][0]["at"] == "line 6"
    assert imported.skipped == {"Hemoglobin A1c": 1, "MCH": 1}


def test_a_european_export_is_imported_with_its_units_read_by_the_core() -> None:
    imported = import_files([DATA / "laborbefund_cp1252.csv"])

    assert not imported.problems
    assert [(lab.row["test"], lab.canonical) for lab in imported.labs] == [
        ("ferritin", "12.5 µg/L"),  # µg/L, read by the core as its canonical unit
        ("hemoglobin", "12.7 g/dL"),
        ("tsat", "14 %"),
    ]


def test_a_workbook_is_imported_end_to_end(tmp_path: Path) -> None:
    path = tmp_path / "labs.xlsx"
    path.write_bytes(_workbook(("Labs", [["Date", "Ferritin (ng/mL)"], [dt.date(2025, 3, 4), 28]])))

    imported = import_files([path])

    assert imported.formats == {str(path): "table"}
    assert imported.document["labs"] == [
        {"test": "ferritin", "value": 28, "unit": "ng/mL", "date": "2025-03-04"}
    ]
