"""Lab reports: PDFs with a text layer (`read_pdf`) and pasted report text (`read_text`).

A report is read in three steps, each in its own module:
- its header (`lab_report_header`): the draw dates, the patient's sex and date of birth, and
  how its dates are read (`lab_report_dates`: the user's format, else the layout's convention);
- its results (`lab_report_lines`): one grammar for LabCorp, Quest, Epic MyChart, NHS and
  "Name: value" lines, with the previous results LabCorp prints beside the current ones;
- here, each result of a test the catalogue reads becomes a `FoundLab`, dated by its draw and
  carrying the lines it was printed on, so the person sees where every value came from.
The other results are counted as skipped. A result that cannot be dated or fully read goes to
review; nothing is guessed. Values, units and ranges are passed on as printed (OCR damage
that can mean nothing else undone, and said so in the result's note): the core reads them.

A report is one person's, so `ReadOptions.patient` has nothing to choose here. pdfplumber is
imported only when a PDF is read; a pasted text does not pay for it.
"""

from __future__ import annotations

import datetime as dt
import functools
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING

from rlsiron.io.extract import Extract, FoundLab
from rlsiron.io.lab_report_dates import DateDoubt, DateRules, date_rules
from rlsiron.io.lab_report_header import Draw, draw_of, draws, patient_facts
from rlsiron.io.lab_report_lines import Line, PrintedResult, read_results, span
from rlsiron.io.text_decoding import decoded

if TYPE_CHECKING:
    from pdfplumber.page import Page

    from rlsiron.io.importer import ReadOptions

_WHOLE_FILE = "whole file"
_UNREAD_SHOWN = 120  # characters of a line's unread parts quoted in a review reason
_SCANNED = (
    "no text layer: this looks like a scanned image; rlsiron reads PDFs with text, "
    "or paste the text"
)
_SCANNED_PAGE = (
    "no text layer on this page: it looks like a scanned image and was not read; paste its text"
)
_NO_DRAW = (
    "no collection date found; give it with a line such as 'Date Collected: 2025-04-10' above "
    "the results in the pasted text (the report's print date is never used instead)"
)
_DAMAGED_HINT = "download the report again, or paste its text"
_PREVIOUS = "a previous result, printed beside the current one"
_NO_RESULTS_HINT = (
    "rlsiron reads result lines such as 'Ferritin 12 ng/mL 30-400' or 'Serum ferritin level "
    "12 ug/L (30 - 400)'; check that the file is a lab report"
)


def read_pdf(data: bytes, name: str, options: ReadOptions) -> Extract:
    """The results of a PDF report; a scanned, encrypted or damaged PDF is one clear problem."""
    extract = Extract(file=name, format="pdf")
    pages = _pages(data, extract)
    if pages is None:
        return extract
    if all(page.blank for page in pages):
        if pages:
            extract.problem(_WHOLE_FILE, _SCANNED, f"{len(pages)} page(s) with no text")
        elif not extract.problems:  # not even a damaged page
            extract.problem(_WHOLE_FILE, "the PDF has no pages", "0 pages", hint=_DAMAGED_HINT)
        return extract
    for page in pages:
        if page.blank and page.images:
            extract.problem(f"page {page.number}", _SCANNED_PAGE, "no text, an image")
    lines = [
        Line(number, raw.strip(), page.number)
        for page in pages
        for number, raw in enumerate(page.text.split("\n"), start=1)
    ]
    _read_report(lines, extract, options)
    return extract


def read_text(data: bytes, name: str, options: ReadOptions) -> Extract:
    """The results of a report's text, as pasted or saved from a portal."""
    extract = Extract(file=name, format="text")
    text_and_note = decoded(data, extract)
    if text_and_note is None:
        return extract
    text, decoding = text_and_note
    lines = [Line(number, raw.strip()) for number, raw in enumerate(text.split("\n"), start=1)]
    _read_report(lines, extract, options, notes=(decoding,) if decoding else ())
    return extract


# --- the text ---------------------------------------------------------------------------------


@functools.cache
def _pdf_errors() -> tuple[type[Exception], ...]:
    """What pdfplumber and pdfminer raise for a PDF they cannot read (imported on first use)."""
    from pdfminer.psexceptions import PSException
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

    return PdfminerException, MalformedPDFException, PSException


@dataclass(frozen=True, slots=True)
class _Page:
    number: int  # from 1
    text: str  # as pdfplumber extracts it
    images: bool  # whether it holds images (a scanned page has an image and no text)

    @property
    def blank(self) -> bool:
        return not self.text.strip()


def _pages(data: bytes, extract: Extract) -> list[_Page] | None:
    """The readable pages, or None when the PDF cannot be opened (the problem said)."""
    import pdfplumber

    try:
        with pdfplumber.open(BytesIO(data)) as pdf:
            pages = [_page(extract, page) for page in pdf.pages]
    except _pdf_errors() as exc:
        _unopened(exc, extract)
        return None
    return [page for page in pages if page is not None]


def _page(extract: Extract, page: Page) -> _Page | None:
    """The page's text, or None when it is damaged (a problem of its own; the rest are read)."""
    try:
        return _Page(page.page_number, page.extract_text(), bool(page.images))
    except _pdf_errors() as exc:
        extract.problem(
            f"page {page.page_number}",
            "this page of the PDF is damaged and was not read",
            _cause(exc),
            hint="paste the page's text instead",
        )
        return None
    finally:
        page.close()  # pdfplumber keeps every page's characters until closed


def _unopened(exc: Exception, extract: Extract) -> None:
    from pdfminer.pdfdocument import PDFEncryptionError

    if isinstance(exc.args[0] if exc.args else None, PDFEncryptionError):
        extract.problem(
            _WHOLE_FILE,
            "the PDF is encrypted: it cannot be opened without its password",
            _cause(exc),
            hint="save or print it as a PDF without a password, or paste its text",
        )
    else:
        extract.problem(
            _WHOLE_FILE,
            "not a readable PDF: the file is damaged or incomplete",
            _cause(exc),
            hint=_DAMAGED_HINT,
        )


def _cause(exc: Exception) -> str:
    """pdfminer's own error, which pdfplumber wraps: "PSEOF: Unexpected EOF"."""
    cause = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
    return f"{type(cause).__name__}: {cause}".rstrip(": ")


# --- the results ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Report:
    """What every result of one report shares: its draws, its date rules, its notes."""

    draws: Sequence[Draw]
    rules: DateRules
    notes: tuple[str, ...]  # how the file was read (decoded as Windows-1252)


def _read_report(
    lines: Sequence[Line], extract: Extract, options: ReadOptions, notes: tuple[str, ...] = ()
) -> None:
    rules = date_rules("\n".join(line.text for line in lines), options.date_format)
    report = _Report(draws(lines, rules), rules, notes)
    patient_facts(lines, rules, extract)
    results = read_results(lines)
    for result in results:
        _add(result, report, extract)
    if not results:
        extract.problem(
            _WHOLE_FILE, "no results found", f"{len(lines)} lines", hint=_NO_RESULTS_HINT
        )


def _add(result: PrintedResult, report: _Report, extract: Extract) -> None:
    """One printed result: counted as skipped, sent to review, or found with its history."""
    at, text, test = span(result.lines), result.text, result.test
    if test is None:
        extract.skipped[result.name] += 1
        return
    if result.unread:
        unread = textwrap.shorten(", ".join(map(repr, result.unread)), _UNREAD_SHOWN)
        reason = f"{result.name}: could not read {unread} on this line; enter it by hand"
        extract.needs_review(at, text, reason)
        return
    found = functools.partial(FoundLab, test, unit=result.unit, origin=extract.origin(at, text))
    notes = (*result.notes, *report.notes)
    date = _draw_date(draw_of(report.draws, result.first), extract, at, text)
    if date is not None:
        extract.labs.append(
            found(
                _value(result.value),
                date=date,
                reference_range=result.reference_range,
                flag=" ".join(result.flags) or None,
                note="; ".join(notes) or None,
            )
        )
    for previous in result.previous:
        earlier = report.rules.read(previous.date)
        if isinstance(earlier, DateDoubt):
            reason = f"the previous result's date {earlier.printed} {earlier.reason}"
            extract.needs_review(at, text, reason)
            continue
        # Its own date and flag; the range printed beside it is the current result's.
        extract.labs.append(
            found(
                _value(previous.value),
                date=earlier,
                flag=previous.flag,
                note="; ".join((_PREVIOUS, *notes)),
            )
        )


def _draw_date(draw: Draw | None, extract: Extract, at: str, text: str) -> dt.date | None:
    """The result's draw date, or None with the reason sent to review."""
    if draw is None:
        extract.needs_review(at, text, _NO_DRAW)
        return None
    if isinstance(draw.date, DateDoubt):
        doubt = draw.date
        extract.needs_review(
            at, text, f"the collection date {doubt.printed} ({draw.line.at}) {doubt.reason}"
        )
        return None
    return draw.date


def _value(printed: str) -> int | str:
    """A whole number as an int; anything else as printed ("14.0", "<5"), so precision stays."""
    return int(printed) if printed.isascii() and printed.isdigit() else printed
