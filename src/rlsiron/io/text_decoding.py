"""Bytes of a text file (a table, a pasted report) to text, saying how they were read.

Exports come in UTF-8 (with or without a byte-order mark), UTF-16 when a byte-order mark says
so (Excel's and Windows' "Unicode text"), or Windows-1252, the code page of the European
exports that are not UTF-8 (where "µg/L" is the byte B5). Nothing is replaced: bytes that fit
none of them are a problem at their line, so no character is silently changed.
"""

from __future__ import annotations

import codecs
from typing import Final

from rlsiron.io.extract import Extract

CP1252_NOTE: Final = "decoded as Windows-1252: the file is not UTF-8"


def decoded(data: bytes, extract: Extract) -> tuple[str, str | None] | None:
    """The text and a note when it was not UTF-8; None after a problem when it is not text."""
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    encodings = (("utf-16", None),) if utf16 else (("utf-8-sig", None), ("cp1252", CP1252_NOTE))
    for encoding, note in encodings:
        try:
            return data.decode(encoding), note
        except UnicodeDecodeError as error:
            failure = error
    line = data[: failure.start].count(b"\n") + 1
    extract.format = None
    extract.problem(
        f"line {line}",
        "is not text in UTF-8, UTF-16 or Windows-1252",
        data[failure.start : failure.end],
        "save the file as UTF-8",
    )
    return None
