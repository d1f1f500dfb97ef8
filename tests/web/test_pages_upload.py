"""The upload page: a real file previewed (everything read, nothing stored), then accepted
in one transaction and listed on /labs; the facts tick box, a contradicting fact, a bad
document, an unreadable or too large file, each answered at its field. Files are real,
from /work/shared/data (see the PROVENANCE.md of each folder)."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Final

import httpx
import pytest
from fastapi import FastAPI

from rlsiron.web.api.uploads import UploadPreview
from rlsiron.web.pages.upload import pack, seal_of
from tests.web.conftest import Clock, Visitor, make_app
from tests.web.test_api_uploads import stored_counts
from tests.web.test_pages import Markup, form_visitor

SHARED: Final = Path("/work/shared/data")
LAB_REPORT: Final = SHARED / "lab-reports" / "medikeep-text" / "labcorp_clean_text.txt"
NO_DATE: Final = (
    SHARED / "lab-reports" / "medikeep-text" / "inline-test-samples"
) / "test_lab_result_pdf_parsing__01.txt"
# STU3, female, born 1986-03-11 (the Patient's birthDate); haemoglobin among 24 results.
SMART: Final = (
    SHARED / "fhir" / "smart-sample-patients" / "STU3_patient-8888803.fhir-bundle.01.json"
)
# R4, female, born 1948-06-14; five conditions, six medicines.
KIRSTEN: Final = (
    SHARED / "fhir" / "synthea-r4" / "Kirsten_Witting_a09212a3-af3e-4194-b1d1-3f0a543222f6.json"
)
LABS_TABLE: Final = SHARED / "labs-table" / "smart_sample_patients_labs.tsv"
SMART_PATIENT: Final = "8888803"
SMALL_LIMIT: Final = 4096


def upload(
    visitor: Visitor, path: Path, *, name: str | None = None, **fields: str
) -> httpx.Response:
    """The file sent through the upload form, with the CSRF field the page carries."""
    token = Markup(visitor.call("GET", "/upload").text).csrf()
    files = {"file": (name or path.name, path.read_bytes(), "application/octet-stream")}
    return visitor.call("POST", "/upload", data={"csrf_token": token, **fields}, files=files)


def accept(visitor: Visitor, preview: httpx.Response, *, use_facts: bool) -> httpx.Response:
    """The preview's accept form sent as a browser sends it (the box ticked or not)."""
    form = _fields(Markup(preview.text))
    if use_facts:
        form["use_facts"] = "true"
    return visitor.call("POST", "/upload/accept", data=form)


def _fields(markup: Markup) -> dict[str, str]:
    """The hidden fields of the accept form (CSRF, the sealed preview)."""
    names = ("csrf_token", "preview", "seal")
    inputs = markup.all("input")
    return {name: next(a["value"] for a in inputs if a.get("name") == name) for name in names}


def api_visitor(visitor: Visitor) -> Visitor:
    """The same browser reading the API (which wants the CSRF header only for writes)."""
    return Visitor(visitor.app, cookies=visitor.cookies)


class _Words(HTMLParser):
    """A page's words as a person reads them: blocks apart, inline markup run together."""

    INLINE: Final = frozenset({"a", "strong", "em", "span", "code"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, _attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append("" if tag in self.INLINE else " ")

    def handle_endtag(self, tag: str) -> None:
        self.parts.append("" if tag in self.INLINE else " ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(response: httpx.Response) -> str:
    """The page's words, without markup, spaces collapsed."""
    return " ".join("".join(_Words(response.text).parts).split())


def field_error(response: httpx.Response, field: str) -> str:
    """The message tied to `field`, checking the input says so (aria-describedby/invalid)."""
    markup = Markup(response.text)
    control = markup.by_id(field)
    assert control.get("aria-invalid") == "true"
    assert f"{field}-error" in control["aria-describedby"].split()
    marker = f'id="{field}-error">'
    return response.text.split(marker, 1)[1].split("</p>", 1)[0]


@pytest.fixture
def anna(app: FastAPI) -> Visitor:
    """Signed up with sex and birth date (female, 1980-05-01), sending forms only."""
    return form_visitor(app)


@pytest.fixture
def newcomer(app: FastAPI) -> Visitor:
    """Signed up and nothing more: no facts yet."""
    visitor = Visitor(app).sign_up()
    visitor.csrf = None
    return visitor


@pytest.fixture
def small_app(sqlite_url: str, tmp_path: Path, clock: Clock) -> Iterator[FastAPI]:
    built = make_app(sqlite_url, tmp_path, clock, max_upload_bytes=SMALL_LIMIT)
    yield built
    built.state.rlsiron.db.close()


# ---------------------------------------------------------------- the form


def test_the_form_sends_a_file_with_its_options_and_the_csrf_field(anna: Visitor) -> None:
    response = anna.call("GET", "/upload")
    markup = Markup(response.text)
    form = markup.by_id("upload-form")
    assert (form["method"], form["action"], form["enctype"]) == (
        "post",
        "/upload",
        "multipart/form-data",
    )
    file = markup.by_id("file")
    assert file["type"] == "file" and {".pdf", ".json", ".csv", ".hl7"} <= set(
        file["accept"].split(",")
    )
    labelled = {a["for"] for a in markup.all("label")}
    assert {"file", "date_format", "patient"} <= labelled
    assert markup.csrf()
    assert "Up to 16 MiB." in text_of(response)


def test_signed_out_the_upload_page_asks_to_sign_in(app: FastAPI) -> None:
    response = Visitor(app).call("GET", "/upload")
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


def test_without_the_csrf_field_nothing_is_read(anna: Visitor) -> None:
    files = {"file": (LAB_REPORT.name, LAB_REPORT.read_bytes(), "text/plain")}
    assert anna.call("POST", "/upload", files=files).status_code == 403


# ---------------------------------------------------------------- preview and accept


def test_a_lab_report_is_previewed_then_accepted_and_listed_on_labs(anna: Visitor) -> None:
    preview = upload(anna, LAB_REPORT)
    assert preview.status_code == 200, preview.text
    shown = text_of(preview)
    assert "File labcorp_clean_text.txt, read as a lab report (text)" in shown
    assert "Results read (4)" in shown
    assert "Hemoglobin 14.0 g/dL 2023-05-19 13.0-17.7" in shown
    assert "line 10 “Hemoglobin 14.0 13.8 11/23/2022 g/dL 13.0-17.7”" in shown
    assert "Tests skipped (20)" in shown and "Estradiol" in shown
    assert stored_counts(api_visitor(anna)) == (0, 0, 0)  # a preview stores nothing

    accepted = accept(anna, preview, use_facts=False)
    assert accepted.status_code == 303, accepted.text
    done = anna.call("GET", accepted.headers["location"])
    assert "Stored: 4 lab results, 0 medicines, 0 conditions." in text_of(done)
    labs = Markup(anna.call("GET", "/labs").text)
    rows = [a for a in labs.all("tr") if a.get("id", "").startswith("lab-")]
    assert len(rows) == 4
    assert stored_counts(api_visitor(anna)) == (4, 0, 0)


def test_a_fhir_bundle_is_accepted_with_its_medicines_conditions_and_asked_facts(
    newcomer: Visitor,
) -> None:
    preview = upload(newcomer, KIRSTEN)
    shown = text_of(preview)
    assert "read as FHIR (JSON)" in shown
    for words in ("Sex female not given", "Date of birth 1948-06-14 not given"):
        assert words in shown
    assert "Anemia (disorder)" in shown and "ferrous sulfate 325 MG Oral Tablet" in shown
    assert Markup(preview.text).by_id("use_facts")["type"] == "checkbox"

    accepted = accept(newcomer, preview, use_facts=True)
    assert accepted.status_code == 303, accepted.text
    api = api_visitor(newcomer)
    labs, medicines, conditions = stored_counts(api)
    assert (medicines, conditions) == (6, 5) and labs > 0
    facts = api.call("GET", "/api/v1/me").json()["facts"]
    assert (facts["sex"], facts["birth_date"]) == ("female", "1948-06-14")
    done = text_of(newcomer.call("GET", accepted.headers["location"]))
    assert "6 medicines, 5 conditions, and the facts from the file." in done


def test_the_facts_are_not_taken_unless_the_box_is_ticked(newcomer: Visitor) -> None:
    accepted = accept(newcomer, upload(newcomer, KIRSTEN), use_facts=False)
    assert accepted.status_code == 303
    facts = api_visitor(newcomer).call("GET", "/api/v1/me").json()["facts"]
    assert (facts["sex"], facts["birth_date"]) == (None, None)


def test_a_contradicting_fact_is_shown_then_refused_and_nothing_is_stored(
    any_app: FastAPI,
) -> None:
    """On SQLite and PostgreSQL alike."""
    anna = form_visitor(any_app)
    preview = upload(anna, SMART)  # born 1986-03-11; anna's stored birth date is 1980-05-01
    shown = text_of(preview)
    assert "Date of birth 1986-03-11 1980-05-01 refused: your stored facts say 1980-05-01" in shown
    assert any(a.get("class") == "fact-contradicts" for a in Markup(preview.text).all("tr"))
    before = stored_counts(api_visitor(anna))

    refused = accept(anna, preview, use_facts=True)
    assert refused.status_code == 422
    assert "your stored facts say 1980-05-01" in field_error(refused, "use_facts")
    assert Markup(refused.text).by_id("use_facts").get("checked") is not None
    assert stored_counts(api_visitor(anna)) == before
    facts = api_visitor(anna).call("GET", "/api/v1/me").json()["facts"]
    assert facts["birth_date"] == "1980-05-01"

    stored = accept(anna, refused, use_facts=False)  # the same preview, box unticked
    assert stored.status_code == 303
    assert stored_counts(api_visitor(anna))[0] == before[0] + 24


def test_a_bad_row_is_listed_as_a_problem_and_the_rest_accepted(
    anna: Visitor, tmp_path: Path
) -> None:
    lines = LABS_TABLE.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], [line for line in lines[1:] if f"\t{SMART_PATIENT}\t" in line]
    ferritin = next(i for i, row in enumerate(rows) if "\t2276-4\t" in row)
    rows[ferritin] = rows[ferritin].replace("\tug/L", "\tfurlongs")
    bad = tmp_path / "labs.tsv"
    bad.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")

    preview = upload(anna, bad)
    shown = text_of(preview)
    assert "Problems (1)" in shown and "labs.tsv: line" in shown and "“furlongs”" in shown
    accepted = accept(anna, preview, use_facts=False)
    assert accepted.status_code == 303
    assert "Stored: 36 lab results" in text_of(anna.call("GET", accepted.headers["location"]))


def test_a_bad_document_stores_nothing_at_all(anna: Visitor) -> None:
    """A preview that no longer reads (as if the catalogue changed since): every problem
    listed, not one of its results, medicines or conditions stored."""
    preview = UploadPreview.model_validate(
        {
            "file": "old.json",
            "format": "fhir",
            "document": {
                "person": {"conditions": ["Hypertension"]},
                "labs": [
                    {"test": "ferritin", "value": 30, "unit": "ug/L", "date": "2026-01-10"},
                    {"test": "ferritin", "value": 30, "unit": "furlongs", "date": "2026-01-11"},
                ],
                "medications": ["ferrous sulfate 325 MG Oral Tablet"],
                "provenance": {},
                "needs_review": [],
            },
            "problems": [],
            "needs_review": [],
            "skipped": {},
            "facts": [],
        }
    )
    state = anna.app.state.rlsiron
    session_token = next(iter(anna.cookies.values()))
    packed = pack(preview)
    token = Markup(anna.call("GET", "/upload").text).csrf()
    form = {
        "csrf_token": token,
        "preview": packed,
        "seal": seal_of(state.key, session_token, packed),
    }
    before = stored_counts(api_visitor(anna))
    refused = anna.call("POST", "/upload/accept", data=form)
    assert refused.status_code == 422
    summary = text_of(refused)
    assert "There is a problem" in summary and "labs[1].unit" in summary and "furlongs" in summary
    assert stored_counts(api_visitor(anna)) == before


def test_a_changed_preview_is_refused(anna: Visitor) -> None:
    preview = upload(anna, LAB_REPORT)
    form = _fields(Markup(preview.text))
    form["seal"] = "0" * len(form["seal"])
    refused = anna.call("POST", "/upload/accept", data=form)
    assert refused.status_code == 422
    assert "upload the file again" in field_error(refused, "file")
    assert stored_counts(api_visitor(anna)) == (0, 0, 0)


def test_a_preview_from_another_sign_in_is_refused(app: FastAPI, anna: Visitor) -> None:
    preview = upload(anna, LAB_REPORT)
    other = form_visitor(app)
    form = {
        **_fields(Markup(preview.text)),
        "csrf_token": Markup(other.call("GET", "/upload").text).csrf(),
    }
    assert other.call("POST", "/upload/accept", data=form).status_code == 422
    assert stored_counts(api_visitor(other)) == (0, 0, 0)


def test_items_for_review_are_listed_with_why(anna: Visitor) -> None:
    shown = text_of(upload(anna, NO_DATE))
    assert "Left out for you to review (1)" in shown and "no collection date found" in shown
    assert "Nothing in this file can be stored." in shown


def test_the_patient_option_picks_one_patient_of_many(anna: Visitor) -> None:
    many = text_of(upload(anna, LABS_TABLE))
    assert "holds 39 patient ids" in many and "Results read (0)" in many
    one = text_of(upload(anna, LABS_TABLE, patient=SMART_PATIENT))
    assert "Results read (37)" in one and "Tests skipped (167)" in one


# ---------------------------------------------------------------- files refused at the field


def test_an_unreadable_file_is_a_message_at_the_file_field(anna: Visitor, tmp_path: Path) -> None:
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"PK\x03\x04not a workbook")
    response = upload(anna, binary)
    assert response.status_code == 422
    assert "is empty or in a format rlsiron does not read" in field_error(response, "file")
    contract = tmp_path / "mine.json"
    contract.write_text('{"person": {"sex": "female", "age_years": 40}, "labs": []}')
    assert "contract input document" in field_error(upload(anna, contract), "file")


def test_no_file_chosen_is_a_message_at_the_file_field(anna: Visitor) -> None:
    token = Markup(anna.call("GET", "/upload").text).csrf()
    files = {"file": ("", b"", "application/octet-stream")}
    response = anna.call("POST", "/upload", data={"csrf_token": token}, files=files)
    assert response.status_code == 422
    assert field_error(response, "file") == "choose a file to upload"


def test_a_file_too_large_is_a_message_at_the_file_field(small_app: FastAPI) -> None:
    visitor = form_visitor(small_app)
    response = upload(visitor, SMART)
    assert response.status_code == 413
    assert f"is larger than {SMALL_LIMIT:,} bytes" in field_error(response, "file")
    assert "Up to 4,096 bytes." in text_of(response)
    date_format = Markup(response.text).by_id("date_format")
    assert date_format["value"] == ""


def test_what_was_typed_is_kept_when_the_file_is_refused(anna: Visitor, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    response = upload(anna, empty, date_format="%d/%m/%Y", patient="42")
    markup = Markup(response.text)
    assert markup.by_id("date_format")["value"] == "%d/%m/%Y"
    assert markup.by_id("patient")["value"] == "42"
