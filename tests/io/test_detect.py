"""The format of a file is told by its content, whatever its name says."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from rlsiron.io.detect import detect


def _xlsx() -> bytes:
    book = Workbook()
    book.active.append(["Date", "Test", "Value", "Unit"])  # type: ignore[union-attr]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        pytest.param(b"%PDF-1.7\n...", "report.txt", "pdf", id="pdf-misnamed"),
        pytest.param(b'{"resourceType": "Bundle", "entry": []}', "export.txt", "fhir", id="bundle"),
        pytest.param(b'[{"resourceType": "Observation"}]', "x.json", "fhir", id="array"),
        pytest.param(
            b'{"resourceType": "Patient"}\n{"resourceType": "Observation"}\n',
            "Observation.ndjson",
            "fhir",
            id="ndjson",
        ),
        pytest.param(b'{"person": {}, "labs": []}', "labs.json", "contract", id="contract"),
        pytest.param(b"{not json", "broken.json", "contract", id="broken-json"),
        pytest.param(b"MSH|^~\\&|LAB|...\rPID|1||123", "result.txt", "hl7v2", id="hl7"),
        pytest.param(b"\x0bMSH|^~\\&|LAB\r", "mllp.hl7", "hl7v2", id="mllp-framed"),
        pytest.param(
            b"date,test,value,unit\n2025-01-01,ferritin,38,ng/mL\n", "x", "table", id="csv"
        ),
        pytest.param(b"DATE\tLOINC\tVALUE\tUNITS\n2012\t2276-4\t9\tug/L\n", "x", "table", id="tsv"),
        pytest.param(
            b"Ferritin 38 ng/mL (30-400)\nHaemoglobin 121 g/L\n", "x.txt", "text", id="text"
        ),
        pytest.param(b"", "empty.csv", None, id="empty"),
        pytest.param(b"   \n\n", "blank.txt", None, id="blank"),
    ],
)
def test_format_is_detected_by_content(content: bytes, name: str, expected: str | None) -> None:
    assert detect(content, name) == expected


def test_an_excel_workbook_is_a_table_and_another_zip_is_not() -> None:
    assert detect(_xlsx(), "labs.bin") == "table"
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert detect(buffer.getvalue(), "labs.zip") is None


@given(st.binary(max_size=300))
def test_any_bytes_get_a_format_or_none_and_never_an_exception(content: bytes) -> None:
    assert detect(content, "x") in {None, "pdf", "fhir", "contract", "hl7v2", "table", "text"}
