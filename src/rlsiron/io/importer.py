"""`rlsiron import`: read files of any supported format and merge them for one person.

Readers are imported only when a file needs them (fhir.resources and pdfplumber take
hundreds of milliseconds to import; a CSV should not pay for them).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rlsiron.errors import Problem, RlsironError
from rlsiron.io.detect import detect
from rlsiron.io.extract import Extract, ReadableFormat
from rlsiron.io.merge import ImportResult, merge


@dataclass(frozen=True)
class ReadOptions:
    """What a user can tell the readers that the files do not say."""

    date_format: str | None = None  # e.g. "%d/%m/%Y": needed when dates like 03/04/2025 appear
    patient: str | None = None  # the patient id to read from a file that holds several


Reader = Callable[[bytes, str, ReadOptions], Extract]

# format -> "module:function"; each reader reads one whole file.
_READERS: dict[ReadableFormat, str] = {
    "fhir": "rlsiron.io.fhir:read_fhir",
    "hl7v2": "rlsiron.io.hl7v2:read_hl7v2",
    "table": "rlsiron.io.table:read_table",
    "pdf": "rlsiron.io.lab_report:read_pdf",
    "text": "rlsiron.io.lab_report:read_text",
}
FORMATS: tuple[ReadableFormat, ...] = tuple(_READERS)


def reader(fmt: ReadableFormat) -> Reader:
    module, _, function = _READERS[fmt].partition(":")
    found: Reader = getattr(importlib.import_module(module), function)
    return found


def readable_format(data: bytes, name: str, forced: ReadableFormat | None = None) -> ReadableFormat:
    """The reader `data` needs, or an error at `file`: empty, of no format we read, or a
    contract input document (which is assessed as it is, not imported)."""
    fmt = forced or detect(data, name)
    if fmt == "contract":
        raise RlsironError(
            "is a contract input document (or JSON that is not FHIR), not a file to import",
            field="file",
            hint="assess it as it is: rlsiron assess FILE, or POST it to /api/v1/assessments",
        )
    if fmt is None:
        raise RlsironError(
            "is empty or in a format rlsiron does not read",
            field="file",
            accepted=FORMATS,
            hint="FHIR JSON, HL7 v2, CSV/TSV/XLSX, lab-report PDF or text",
        )
    return fmt


def read_file(path: Path, *, forced: ReadableFormat | None = None, options: ReadOptions) -> Extract:
    """One file, by its detected (or forced) format; unreadable files become a problem."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _unreadable(name, Problem(name, f"cannot be read: {exc.strerror}"))
    try:
        fmt = readable_format(data, path.name, forced)
    except RlsironError as exc:
        return _unreadable(name, *(p.at(name) for p in exc.problems))
    return reader(fmt)(data, name, options)


def import_files(
    paths: Sequence[Path],
    *,
    forced: ReadableFormat | None = None,
    options: ReadOptions | None = None,
) -> ImportResult:
    """Every file read (each bad entry reported, the rest kept) and merged into one document."""
    chosen = options or ReadOptions()
    return merge([read_file(p, forced=forced, options=chosen) for p in paths])


def _unreadable(name: str, *problems: Problem) -> Extract:
    extract = Extract(file=name, format=None)
    extract.problems.extend(problems)
    return extract
