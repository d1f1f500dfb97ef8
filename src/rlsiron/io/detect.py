"""Which reader a file needs, from its content (never its name alone).

A portal export named `download.txt` is still FHIR JSON; a lab's `results.csv` may be
tab-separated. The name is only a tie-breaker for plain text tables.
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from io import BytesIO

from rlsiron.io.extract import Format

_TEXT_PREFIX = 4096


def detect(data: bytes, name: str) -> Format | None:
    """The format of `data`, or None when it is empty or binary of a kind we do not read."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "table" if _is_xlsx(data) else None
    try:
        text = data[:_TEXT_PREFIX].decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data[:_TEXT_PREFIX].decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
            return None
    stripped = text.lstrip()
    if not stripped:
        return None
    if stripped.startswith(("{", "[")):
        return _json_kind(data)
    if stripped.startswith(("MSH|", "FHS|", "BHS|")):
        return "hl7v2"
    if _looks_tabular(stripped, name):
        return "table"
    return "text"


def _json_kind(data: bytes) -> Format:
    try:
        parsed = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "fhir" if b'"resourceType"' in data[:_TEXT_PREFIX] else "contract"
    return json_format(parsed)


def json_format(parsed: object) -> Format:
    """FHIR for a resource or a list of resources; anything else is a contract document
    (whose validation then says what is wrong with it)."""
    if isinstance(parsed, dict) and "resourceType" in parsed:
        return "fhir"
    if (
        isinstance(parsed, list)
        and parsed
        and all(isinstance(r, dict) and "resourceType" in r for r in parsed)
    ):
        return "fhir"
    return "contract"


def _is_xlsx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return any(n.startswith("xl/") for n in archive.namelist())
    except zipfile.BadZipFile:
        return False


def _looks_tabular(text: str, name: str) -> bool:
    """Several lines with the same number (at least 3) of commas, semicolons or tabs."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if len(lines) < 2:
        return name.lower().endswith((".csv", ".tsv"))
    for separator in ("\t", ";", ","):
        # Most lines (title lines of an export aside; the last may be cut short) share one
        # count of separators, at least two.
        counts = Counter(line.count(separator) for line in lines[:-1])
        count, lines_with_it = counts.most_common(1)[0]
        if count >= 2 and lines_with_it * 2 > len(lines) - 1:
            return True
    return name.lower().endswith((".csv", ".tsv"))
