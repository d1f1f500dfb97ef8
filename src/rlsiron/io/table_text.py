"""A lab table saved as delimited text (CSV, TSV, semicolon CSV), decoded and split into rows.

Exports come in UTF-8, UTF-16 (Excel's "Unicode text") or Windows-1252, separated by tabs,
semicolons or commas, often with title lines above the header; the encoding and the delimiter
are found here, so that the rows reach the rest of the reader as they would from a workbook.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import Final

from rlsiron.io.extract import Extract
from rlsiron.io.table_layout import Layout, head_and_layout, no_header, widest_width
from rlsiron.io.table_rows import Row, Sheet
from rlsiron.io.text_decoding import decoded

_DELIMITERS: Final = ("\t", ";", ",")


def text_table(data: bytes, extract: Extract) -> tuple[Sheet, Layout] | None:
    """The rows of a delimited text and their layout, split by the first delimiter (tab,
    semicolon, comma) that yields a header rlsiron recognises. The header decides, not
    csv.Sniffer, which guesses from the first lines, and so from an export's title lines."""
    text_and_note = decoded(data, extract)
    if text_and_note is None:
        return None
    text, note = text_and_note
    lines = io.StringIO(text, newline="").readlines()
    heads: list[tuple[Row, ...]] = []
    for delimiter in _DELIMITERS:
        rows = _csv_rows(lines, delimiter)
        head, layout = head_and_layout(rows)
        if layout is not None:
            return Sheet(head + tuple(rows), delimiter == ";", note), layout
        heads.append(head)
    no_header(extract, max(heads, key=widest_width), "the file is empty")
    return None


def _csv_rows(lines: Sequence[str], delimiter: str) -> Iterator[Row]:
    """The rows of a delimited text, each named by the line it starts on (a quoted cell may
    span lines) and kept as printed."""
    reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield Row(
                f"line {start}", _printed(lines, start, reader.line_num), (), error=str(error)
            )
        else:
            printed = _printed(lines, start, reader.line_num)
            yield Row(f"line {start}", printed, tuple(map(str.strip, cells)))
        start = reader.line_num + 1


def _printed(lines: Sequence[str], first: int, last: int) -> str:
    text = lines[first - 1] if first == last else "".join(lines[first - 1 : last])
    return text.rstrip("\r\n")
