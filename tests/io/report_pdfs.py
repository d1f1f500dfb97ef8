"""Iron-panel lab reports with known values, in five invented layouts, as HTML, text and PDF.

The reader is tested on reports whose ground truth is known because they are made here: a
`Panel` (results, their units, ranges, flags and earlier results) is laid out as a LabCorp-,
Quest-, Epic MyChart- or NHS-like report, or as simple "Name: value" lines, and rendered to
PDF with WeasyPrint. The laboratories, practice and people are invented; no report's logo or
text is copied, only the column heads and wording that such reports print.

A layout gives a `Report`: header lines and tables. Its text form joins each row's cells with
one space and leaves out empty cells, as pdfplumber's `extract_text` gives a table row, so the
same report can be read as a PDF and as pasted text, and each expected result carries the
line it is printed on.

Used by tests/io/test_lab_report.py and benchmarks/bench_import.py (`render_reports`).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, get_args

Units = Literal["US", "SI"]
Flag = Literal["H", "L"]
FLAGS: tuple[Flag | None, ...] = (None, "H", "L")
Key = Literal[
    "ferritin", "iron", "tibc", "uibc", "tsat", "transferrin", "hemoglobin", "mch", "mchc", "crp"
]
KEYS: tuple[Key, ...] = get_args(Key)
# MCH and MCHC sit beside haemoglobin on every blood count; they must never be read as it.
NOT_READ: frozenset[Key] = frozenset({"mch", "mchc"})
UNITS: dict[Units, dict[Key, str]] = {
    "US": {
        "ferritin": "ng/mL",
        "iron": "ug/dL",
        "tibc": "ug/dL",
        "uibc": "ug/dL",
        "tsat": "%",
        "transferrin": "mg/dL",
        "hemoglobin": "g/dL",
        "mch": "pg",
        "mchc": "g/dL",
        "crp": "mg/L",
    },
    "SI": {
        "ferritin": "ug/L",
        "iron": "µmol/L",
        "tibc": "µmol/L",
        "uibc": "µmol/L",
        "tsat": "%",
        "transferrin": "g/L",
        "hemoglobin": "g/L",
        "mch": "pg",
        "mchc": "g/L",
        "crp": "mg/L",
    },
}


@dataclass(frozen=True)
class Earlier:
    """An earlier result of the same test, printed beside it or in an earlier section."""

    value: str
    date: dt.date
    flag: Flag | None = None


@dataclass(frozen=True)
class Result:
    """One result as the lab reports it: value and range as printed, flag as H or L."""

    key: Key
    value: str  # "12", "1.70", "<5"
    reference_range: str | None = None  # "30-400", "<5.0"
    flag: Flag | None = None
    earlier: tuple[Earlier, ...] = ()


@dataclass(frozen=True)
class Panel:
    """One person's results of one draw, with the facts a report header prints."""

    collected: dt.date
    results: tuple[Result, ...]
    units: Units = "US"
    born: dt.date = dt.date(1982, 9, 16)
    sex: Literal["female", "male"] = "female"


@dataclass(frozen=True)
class Expected:
    """What the reader must find for one printed result."""

    test: str
    value: int | str
    unit: str
    date: dt.date
    reference_range: str | None
    flag: str | None
    text: str  # the line it is printed on


@dataclass
class Report:
    """A laid-out report: header lines, then tables of cells, and what it must read as."""

    layout: str
    header: list[str] = field(default_factory=list)
    # ("table", rows of cells, the first the heads), ("text", lines) or ("page", []): a new page
    blocks: list[tuple[str, list[list[str]]]] = field(default_factory=list)
    expected: list[Expected] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    facts: dict[str, object] = field(default_factory=dict)

    def expect(self, name: str, *found: Expected) -> None:
        """What the reader must find on one printed line: MCH and MCHC only counted."""
        if found[0].test in NOT_READ:
            self.skipped[name] += 1
        else:
            self.expected += found


def _line(*cells: str) -> str:
    """A row as extracted text: its cells one space apart, empty cells left out."""
    return " ".join(c for c in cells if c)


def value_of(printed: str) -> int | str:
    """The value as the reader passes it on: whole numbers as ints, the rest as printed."""
    return int(printed) if printed.isdigit() else printed


def _us(day: dt.date) -> str:
    return f"{day:%m/%d/%Y}"


def _uk(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


# --- layouts ----------------------------------------------------------------------------------

LABCORP_NAMES: dict[Key, str] = {
    "ferritin": "Ferritin",
    "iron": "Iron",
    "tibc": "Iron Bind.Cap.(TIBC)",
    "uibc": "UIBC",
    "tsat": "Iron Saturation",
    "transferrin": "Transferrin",
    "hemoglobin": "Hemoglobin",
    "mch": "MCH",
    "mchc": "MCHC",
    "crp": "C-Reactive Protein, Quant",
}
QUEST_NAMES: dict[Key, str] = {
    "ferritin": "FERRITIN",
    "iron": "IRON, TOTAL",
    "tibc": "IRON BINDING CAPACITY (TIBC)",
    "uibc": "UNSATURATED IRON BINDING CAPACITY",
    "tsat": "% SATURATION",
    "transferrin": "TRANSFERRIN",
    "hemoglobin": "HEMOGLOBIN",
    "mch": "MCH",
    "mchc": "MCHC",
    "crp": "C-REACTIVE PROTEIN",
}
MYCHART_NAMES: dict[Key, str] = {
    "ferritin": "Ferritin",
    "iron": "Iron",
    "tibc": "TIBC",
    "uibc": "UIBC",
    "tsat": "% Saturation, Iron",
    "transferrin": "Transferrin",
    "hemoglobin": "HGB",
    "mch": "MCH",
    "mchc": "MCHC",
    "crp": "CRP",
}
NHS_NAMES: dict[Key, str] = {
    "ferritin": "Serum ferritin level",
    "iron": "Serum iron level",
    "tibc": "Total iron binding capacity",
    "uibc": "Latent iron binding capacity",
    "tsat": "Transferrin saturation",
    "transferrin": "Serum transferrin",
    "hemoglobin": "Haemoglobin estimation",
    "mch": "MCH - Mean corpuscular haemoglobin",
    "mchc": "MCHC - Mean corpuscular haemoglobin concentration",
    "crp": "Serum C reactive protein level",
}
SIMPLE_NAMES: dict[Key, str] = {
    "ferritin": "Ferritin",
    "iron": "Iron",
    "tibc": "TIBC",
    "uibc": "UIBC",
    "tsat": "TSAT",
    "transferrin": "Transferrin",
    "hemoglobin": "Hemoglobin",
    "mch": "MCH",
    "mchc": "MCHC",
    "crp": "CRP",
}
_WORD_FLAGS = {"H": "High", "L": "Low"}
_SEX = {"female": ("F", "Female"), "male": ("M", "Male")}


def labcorp(panel: Panel) -> Report:
    """LabCorp-like: "TESTS RESULT FLAG ... UNITS REFERENCE INTERVAL LAB", one previous result."""
    report = Report("labcorp")
    reported = panel.collected + dt.timedelta(days=2)  # never the draw date
    report.header = [
        "Northfield Clinical Laboratories",
        _line("Patient: Jane Sample", f"DOB: {_us(panel.born)}", f"Sex: {_SEX[panel.sex][0]}"),
        f"Date Collected: {_us(panel.collected)} Date Reported: {_us(reported)}",
        "Iron and Blood Count",
    ]
    rows = [
        [
            "TESTS",
            "RESULT",
            "FLAG",
            "PREVIOUS RESULT AND DATE",
            "UNITS",
            "REFERENCE INTERVAL",
            "LAB",
        ]
    ]
    for result in panel.results:
        name, unit = LABCORP_NAMES[result.key], UNITS[panel.units][result.key]
        earlier = result.earlier[0] if result.earlier else None
        previous = (
            _line(earlier.value, _WORD_FLAGS.get(earlier.flag or "", ""), _us(earlier.date))
            if earlier
            else ""
        )
        flag = _WORD_FLAGS.get(result.flag or "", "")
        cells = [name, result.value, flag, previous, unit, result.reference_range or "", "01"]
        rows.append(cells)
        text = _line(*cells)
        current = Expected(
            result.key,
            value_of(result.value),
            unit,
            panel.collected,
            result.reference_range,
            flag or None,
            text,
        )
        # The previous result: its own date and flag, and no range of its own.
        previous_found = (
            [Expected(result.key, value_of(earlier.value), unit, earlier.date, None,
                      _WORD_FLAGS.get(earlier.flag or ""), text)]
            if earlier
            else []
        )  # fmt: skip
        report.expect(name, current, *previous_found)
    report.blocks.append(("table", rows))
    report.facts = {"person.birth_date": panel.born, "person.sex": panel.sex}
    return report


def quest(panel: Panel) -> Report:
    """Quest-like: "Test Name In Range Out Of Range Reference Range Lab"; units in the range."""
    report = Report("quest")
    reported = panel.collected + dt.timedelta(days=1)
    report.header = [
        "Harbor Point Diagnostics",
        _line("Patient: Jane Sample", f"DOB: {_us(panel.born)}", f"Gender: {_SEX[panel.sex][0]}"),
        f"Collected: {_us(panel.collected)} 08:15 EDT Reported: {_us(reported)}",
    ]
    rows = [["Test Name", "In Range", "Out Of Range", "Reference Range", "Lab"]]
    for result in panel.results:
        name, unit = QUEST_NAMES[result.key], UNITS[panel.units][result.key]
        calculated = " (calc)" if result.key in ("tibc", "tsat") else ""
        interval = _line(result.reference_range or "", unit) + calculated
        in_range = "" if result.flag else result.value
        out_of_range = _line(result.value, result.flag or "") if result.flag else ""
        cells = [name, in_range, out_of_range, interval, "EN"]
        rows.append(cells)
        report.expect(
            name,
            Expected(
                result.key,
                value_of(result.value),
                unit,
                panel.collected,
                result.reference_range,
                result.flag,
                _line(*cells),
            ),
        )
    report.blocks.append(("table", rows))
    report.facts = {"person.birth_date": panel.born, "person.sex": panel.sex}
    return report


def mychart(panel: Panel) -> Report:
    """Epic MyChart-like: "Component Your Value Standard Range Flag", ranges as "13 - 150"."""
    report = Report("mychart")
    report.header = [
        "Lakeside Health patient portal",
        "Iron panel and blood count",
        f"Specimen Collected: {_us(panel.collected)} 9:12 AM",
        f"Result date: {_us(panel.collected + dt.timedelta(days=1))}",
    ]
    rows = [["Component", "Your Value", "Standard Range", "Flag"]]
    for result in panel.results:
        name, unit = MYCHART_NAMES[result.key], UNITS[panel.units][result.key]
        spaced = _spaced(result.reference_range)
        flag = _WORD_FLAGS.get(result.flag or "", "")
        cells = [
            name,
            f"{result.value} {unit}",
            _line(spaced or "", unit if spaced else ""),
            flag,
        ]
        rows.append(cells)
        report.expect(
            name,
            Expected(
                result.key,
                value_of(result.value),
                unit,
                panel.collected,
                spaced,
                flag or None,
                _line(*cells),
            ),
        )
    report.blocks.append(("table", rows))
    return report


def nhs(panel: Panel) -> Report:
    """NHS-like GP record: each sample under its own "Sample taken", ranges in brackets."""
    report = Report("nhs")
    report.header = [
        "Riverside Medical Practice: test results",
        "NHS number: 943 476 5919",
        f"Date of birth: {_uk(panel.born)}",
        f"Gender: {_SEX[panel.sex][1]}",
    ]
    samples = sorted({e.date for r in panel.results for e in r.earlier} | {panel.collected})
    for day in reversed(samples):
        if day != panel.collected:  # each earlier sample on a page of its own
            report.blocks.append(("page", []))
        report.blocks.append(("text", [[f"Sample taken: {_uk(day)}"]]))
        rows = [["Test", "Result", "Normal range"]]
        for result in panel.results:
            value = _on(result, day, panel.collected)
            if value is None:
                continue
            name, unit = NHS_NAMES[result.key], UNITS[panel.units][result.key]
            spaced = _spaced(result.reference_range)
            cells = [name, f"{value} {unit}", f"({spaced})" if spaced else ""]
            rows.append(cells)
            report.expect(
                name, Expected(result.key, value_of(value), unit, day, spaced, None, _line(*cells))
            )
        report.blocks.append(("table", rows))
    report.facts = {"person.birth_date": panel.born, "person.sex": panel.sex}
    return report


def simple(panel: Panel) -> Report:
    """Lines of "Name: value unit (Ref: low-high) H", under an ISO collection date."""
    report = Report("simple")
    report.header = ["Results summary", f"Collection Date: {panel.collected.isoformat()}"]
    lines = []
    for result in panel.results:
        name, unit = SIMPLE_NAMES[result.key], UNITS[panel.units][result.key]
        reference = f"(Ref: {result.reference_range})" if result.reference_range else ""
        text = _line(f"{name}: {result.value}", unit, reference, result.flag or "")
        lines.append([text])
        report.expect(
            name,
            Expected(
                result.key,
                value_of(result.value),
                unit,
                panel.collected,
                result.reference_range,
                result.flag,
                text,
            ),
        )
    report.blocks.append(("text", lines))
    return report


def _spaced(interval: str | None) -> str | None:
    """A range as portals print it, "30 - 400" (a one-sided "<5" stays as it is)."""
    return interval.replace("-", " - ") if interval else None


def _on(result: Result, day: dt.date, collected: dt.date) -> str | None:
    """The test's value on `day` (the result's own, or an earlier one's), else None."""
    if day == collected:
        return result.value
    return next((e.value for e in result.earlier if e.date == day), None)


LAYOUTS: dict[str, Callable[[Panel], Report]] = {
    "labcorp": labcorp,
    "quest": quest,
    "mychart": mychart,
    "nhs": nhs,
    "simple": simple,
}


# --- rendering --------------------------------------------------------------------------------


def text(report: Report) -> str:
    """The report as pdfplumber extracts it, or as a person pastes it."""
    lines = list(report.header)
    for _, rows in report.blocks:
        lines += [_line(*cells) for cells in rows]
    return "\n".join(lines) + "\n"


_STYLE = """
@page { size: A4; margin: 14mm }
body { font-family: 'DejaVu Sans'; font-size: 8.5pt }
p { margin: 0 0 3pt 0; white-space: nowrap }
h1 { font-size: 13pt; margin: 0 0 6pt 0 }
table { border-collapse: collapse; margin: 4pt 0 8pt 0 }
th, td { text-align: left; padding: 2pt 10pt 2pt 0; white-space: nowrap }
th { border-bottom: 0.6pt solid #777; font-weight: bold }
"""


# A name column too narrow for its names: each wraps around its row's line ("Iron" /
# "Bind.Cap. 432 ug/dL ..." / "(TIBC)"), as on many real reports.
_WRAPPED = "td:first-child { white-space: normal; width: 16mm }"


def to_html(report: Report, *, wrapped: bool = False) -> str:
    """The report as a page: the lab's name as a title, header lines, then its tables."""
    title, *header = report.header
    body = [f"<h1>{html.escape(title)}</h1>", *(f"<p>{html.escape(h)}</p>" for h in header)]
    for kind, rows in report.blocks:
        if kind == "page":
            body.append('<div style="break-before: page"></div>')
            continue
        if kind == "text":
            body += [f"<p>{html.escape(cells[0])}</p>" for cells in rows]
            continue
        head, *data = rows
        body.append("<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in head) + "</tr>")
        body += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in data]
        body.append("</table>")
    style = _STYLE + (_WRAPPED if wrapped else "")
    return f"<html><head><style>{style}</style></head><body>{''.join(body)}</body></html>"


def to_pdf(page: str) -> bytes:
    """HTML rendered to PDF with WeasyPrint (a test-only dependency)."""
    import weasyprint

    pdf: bytes = weasyprint.HTML(string=page).write_pdf()
    return pdf


# --- the fixed reports ------------------------------------------------------------------------

# A woman with iron deficiency: ferritin below the assay's limit, low TSAT and haemoglobin, MCH
# and MCHC low beside haemoglobin, CRP normal; one earlier result of most tests.
DEFICIENT = Panel(
    collected=dt.date(2025, 3, 4),  # 03/04/2025: ambiguous, read month first in US layouts
    units="US",
    results=(
        Result("ferritin", "<5", "30-400", "L", (Earlier("12", dt.date(2024, 11, 23), "L"),)),
        Result("iron", "35", "27-159", None, (Earlier("48", dt.date(2024, 11, 23)),)),
        Result("tibc", "432", "250-450"),
        Result("uibc", "397", "118-369", "H"),
        Result("tsat", "8", "15-55", "L", (Earlier("11", dt.date(2024, 11, 23), "L"),)),
        Result("transferrin", "360", "200-360"),
        Result("hemoglobin", "11.2", "11.1-15.9", None, (Earlier("12.0", dt.date(2024, 11, 23)),)),
        Result("mch", "24.1", "26.6-33.0", "L"),
        Result("mchc", "31.0", "31.5-35.7", "L"),
        Result("crp", "1.70", "<8.0"),
    ),
)
# The same person a year on, in SI units (an NHS record, or a US portal showing SI).
TREATED = Panel(
    collected=dt.date(2025, 4, 23),
    units="SI",
    results=(
        Result("ferritin", "64", "30-400", None, (Earlier("9", dt.date(2024, 10, 15)),)),
        Result("iron", "14.2", "5.8-34.5"),
        Result("tibc", "61", "45-81", None, (Earlier("78", dt.date(2024, 10, 15)),)),
        Result("uibc", "47", "22-62"),
        Result("tsat", "23", "20-50"),
        Result("transferrin", "2.61", "2.00-3.60"),
        Result("hemoglobin", "131", "115-165", None, (Earlier("104", dt.date(2024, 10, 15)),)),
        Result("mch", "29.0", "27.0-32.0"),
        Result("mchc", "334", "315-355"),
        Result("crp", "<5", "<5"),
    ),
)


def current_only(panel: Panel) -> Panel:
    """The panel without its earlier results (for layouts that print none)."""
    return replace(panel, results=tuple(replace(r, earlier=()) for r in panel.results))


FIXED: dict[str, Panel] = {
    "labcorp": DEFICIENT,
    "quest": current_only(DEFICIENT),
    "mychart": current_only(TREATED),
    "nhs": TREATED,
    "simple": current_only(DEFICIENT),
}


def fixed_reports() -> dict[str, Report]:
    return {layout: LAYOUTS[layout](panel) for layout, panel in FIXED.items()}


WRAPPED = "labcorp-wrapped"  # the LabCorp report with its names wrapped in their cells


def render_reports(folder: Path) -> list[Path]:
    """The fixed reports as PDFs in `folder`, one per layout and WRAPPED, for tests and the
    benchmark."""
    reports = fixed_reports()
    pages = {layout: to_html(report) for layout, report in reports.items()}
    pages[WRAPPED] = to_html(reports["labcorp"], wrapped=True)
    paths = []
    for name, page in pages.items():
        path = folder / f"{name}.pdf"
        path.write_bytes(to_pdf(page))
        paths.append(path)
    return paths


# --- PDFs the reader must refuse --------------------------------------------------------------


def _scan() -> str:
    """A scanned page: one image, no text."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (600, 200), 255)
    ImageDraw.Draw(image).rectangle((20, 20, 580, 60), fill=40)
    png = io.BytesIO()
    image.save(png, format="PNG")
    source = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")
    return f'<img src="{source}" style="width: 160mm">'


def scanned_pdf() -> bytes:
    """A page that is only an image, as a scanner makes it: no text layer at all."""
    return to_pdf(f"<html><body>{_scan()}</body></html>")


def with_scanned_page(report: Report) -> bytes:
    """The report, then a second page that is only a scanned image."""
    page = to_html(report).replace(
        "</body>", f'<div style="break-before: page"></div>{_scan()}</body>'
    )
    return to_pdf(page)


def encrypted_pdf() -> bytes:
    """A PDF whose standard security handler needs a user password (not the empty one)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 "
        b"/O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> >>",
    ]
    file_id = b"<00112233445566778899aabbccddeeff>"
    return _pdf_file(objects, trailer=b"/Encrypt 4 0 R /ID [" + file_id + b" " + file_id + b"]")


def _pdf_file(objects: Sequence[bytes], trailer: bytes) -> bytes:
    """A PDF file of `objects` (numbered from 1) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\n" % (len(objects) + 1, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
