"""An HL7 v2 file taken apart into its result messages and their segments, with python-hl7.

This module is the reader's only contact with python-hl7, whose objects are untyped: it splits
a file into messages whatever ends its lines (MLLP framing and batch headers left out), checks
each message header before python-hl7 trusts it, reports the segments that belong to no
message, and gives the text of a segment's fields by position. The segments of each result
message (ORU) go on to `hl7v2`, which joins them into patients, orders and results; what is
not a readable result message is a problem named by its place ("message 2").
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import hl7  # type: ignore[import-untyped]

from rlsiron.errors import NOTHING
from rlsiron.io.extract import Extract

# python-hl7 logs what it cannot unescape, and segments it drops, with no handler of its own:
# Python would print them to stderr in the middle of a report. Each is a problem named here.
hl7.util.logger.addHandler(logging.NullHandler())

# --- field positions (HL7 v2.5.1; the same in v2.3) -----------------------------------------------
_MESSAGE_CODE: Final = "MSH.9.1.1"  # ORU
_TRIGGER: Final = "MSH.9.1.2"  # R01

# --- vocabularies ---------------------------------------------------------------------------------
# HL7 DTM: YYYYMMDD[HH[MM[SS[.S...]]]][+/-ZZZZ]; a draw or birth date needs the day.
_DAY_PRECISION: Final = re.compile(r"\d{8}(?:\d{2}){0,3}(?:\.\d{1,4})?(?:[+-]\d{4})?")
_ID_LENGTH: Final = len("MSH")  # every segment id has three characters
_STANDARD_ENCODING: Final = "^~\\&"  # MSH-2: component, repetition, escape, subcomponent
_NEWLINES: Final = re.compile(r"\r\n|\r|\n")
_BATCH_SEGMENTS: Final = ("FHS", "BHS", "FTS", "BTS")


# --- the untyped surface: python-hl7 objects are read only here -----------------------------------


class Unreadable(Exception):
    """A field or segment that cannot be read; reported as a problem at its place."""

    def __init__(self, message: str, received: object, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.received, self.hint = message, received, hint


@dataclass(frozen=True, slots=True)
class Segment:
    name: str  # "OBX"
    place: str  # "OBX 3 of message 2"
    text: str  # as printed, for origins
    raw: Any  # hl7.Segment


def _messages(lines: Sequence[str]) -> list[str]:
    """The messages of a file, batch and file headers (FHS, BHS and trailers) left out."""
    return [str(message) for message in hl7.split_file("\r".join(lines))]


def _parsed(message: str, number: int) -> list[Segment]:
    """The segments of one message (its header checked), each named by its place."""
    raws = list(hl7.parse(message))
    segments = [Segment("MSH", f"MSH of message {number}", str(raws[0]), raws[0])]
    for position, raw in enumerate(raws[1:], start=2):
        name = str(raw[0][0]) if raw and raw[0] else ""
        segments.append(Segment(name, f"segment {position} of message {number}", str(raw), raw))
    return segments


def text_at(raw: Any, key: str, repetition: int = 1) -> str:
    """The unescaped text at `key` in a repetition; "" where the segment does not reach."""
    at = hl7.Accessor.parse_key(key)
    try:
        return str(
            raw.extract_field(
                at.segment_num, at.field_num, repetition, at.component_num, at.subcomponent_num
            )
        )
    except IndexError:  # a component asked of a field printed without components
        return ""
    except ValueError as exc:  # hl7.util.unescape: a repeat count that is not a number
        raise Unreadable(f"{_field_name(key)} has a malformed escape sequence", str(raw)) from exc


def repetitions(raw: Any, key: str) -> int:
    at = hl7.Accessor.parse_key(key)
    return len(raw(at.field_num)) if at.field_num < len(raw) else 0


def day(text: str, source: str) -> dt.date:
    """The date of an HL7 timestamp, as printed where it was taken.

    A time zone offset (+0100) is not applied: a blood draw at 23:30 local time on the 1st
    is the 1st for the person and the lab, though it is the 2nd in UTC.
    """
    if not _DAY_PRECISION.fullmatch(text):
        raise Unreadable(
            f"{source} is not a date to the day (YYYYMMDD, then an optional time)", text
        )
    try:
        parsed: dt.datetime = hl7.parse_datetime(text)
    except ValueError as exc:  # month 13, 30 February
        raise Unreadable(f"{source} is not a calendar date", text) from exc
    return parsed.date()


# --- typed access ---------------------------------------------------------------------------------


def get(segment: Segment, key: str) -> str:
    return text_at(segment.raw, key).strip()


def each(segment: Segment, key: str) -> list[str]:
    """The text at `key` in every repetition of its field, empty ones left out."""
    texts = (
        text_at(segment.raw, key, r).strip() for r in range(1, repetitions(segment.raw, key) + 1)
    )
    return [text for text in texts if text]


def _field_name(key: str) -> str:
    """HL7's own name of a field: "OBX.3.1.2" is OBX-3.2 in the standard and in specs."""
    at = hl7.Accessor.parse_key(key)
    component = f".{at.component_num}" if at.component_num not in (None, 1) else ""
    return f"{at.segment}-{at.field_num}{component}"


# --- the file: lines, messages, segments ----------------------------------------------------------


def result_messages(data: bytes, unattached: Extract) -> Iterator[tuple[int, list[Segment]]]:
    """The number and the segments after the MSH of each result message of a file.

    What is not a readable result message is a problem in `unattached`, reported as the
    messages are read: those of message 2 come after what its reader found in message 1.
    """
    lines = _segment_lines(data)
    if not lines:
        unattached.problem("file", "holds no HL7 segments", NOTHING)
        return
    _report_orphans(lines, unattached)
    messages = _messages(lines)
    if not messages:
        unattached.problem("file", "holds no message (MSH segment)", lines[0])
    for number, message in enumerate(messages, start=1):
        segments = _result_segments(message, number, unattached)
        if segments is not None:
            yield number, segments


def _segment_lines(data: bytes) -> list[str]:
    """The file's segments, whatever ends its lines, without MLLP framing or blank lines.

    python-hl7 splits segments on \\r only, as the standard does; files on disk are often
    saved with \\n or \\r\\n. A capture of an MLLP stream keeps its framing: a block starts
    with VT (0x0b) and ends with FS (0x1c) and CR, so the framing is at the ends of lines,
    where strip() removes it (Python counts both as whitespace).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # HL7 v2's default is ASCII; older feeds send Latin-1
        text = data.decode("latin-1")
    lines = _NEWLINES.split(text)
    return [line.strip() for line in lines if line.strip()]


def _report_orphans(lines: Sequence[str], unattached: Extract) -> None:
    """Segments before the first MSH: split_file drops them with only a log line."""
    orphans: list[str] = []
    for line in lines:
        if line.startswith("MSH"):
            break
        if not line.startswith(_BATCH_SEGMENTS):
            orphans.append(line)
    if orphans:
        names = ", ".join(line[:_ID_LENGTH] for line in orphans)
        unattached.problem(
            "start of file",
            f"{len(orphans)} segment(s) ({names}) come before any MSH: they belong to no "
            "message and are not read",
            orphans[0],
            hint="each HL7 message starts with an MSH segment",
        )


def _result_segments(message: str, number: int, unattached: Extract) -> list[Segment] | None:
    """The segments after the MSH of a result message; None, and a problem, for another."""
    header = _header_problem(message)
    if header is not None:
        unattached.problem(f"message {number}", header, message.split("\r", 1)[0])
        return None
    msh, *segments = _parsed(message, number)
    try:
        kind = _message_kind(msh)
    except Unreadable as exc:
        unattached.problem(msh.place, exc.message, exc.received, exc.hint)
        return None
    if kind is not None:
        unattached.problem(
            msh.place,
            f"is a {kind} message, not a result message (ORU^R01): not read",
            msh.text,
        )
        return None
    return segments


def _header_problem(message: str) -> str | None:
    """Why an MSH cannot set up the parse, or None.

    python-hl7 takes the separators from MSH-1 and MSH-2 unchecked: it fails with an
    IndexError on a truncated MSH and silently misreads a message whose separators repeat.
    """
    separator = message[_ID_LENGTH : _ID_LENGTH + 1]  # MSH-1, right after the segment id
    after = message[_ID_LENGTH + 1 :]
    encoding, found, _ = after.partition(separator) if separator else ("", "", "")
    characters = separator + encoding
    if (
        not found
        or len(encoding) < len(_STANDARD_ENCODING)
        or len(set(characters)) != len(characters)
        or any(c.isalnum() or c.isspace() for c in characters)
    ):
        return "has no valid separators (MSH-1 and MSH-2, normally |^~\\&): not read"
    return None


def _message_kind(msh: Segment) -> str | None:
    """None for a result message (ORU), else its type as printed (ADT^A08)."""
    code, trigger = get(msh, _MESSAGE_CODE), get(msh, _TRIGGER)
    if not code:
        raise Unreadable("has no message type (MSH-9): not read", msh.text)
    return None if code.upper() == "ORU" else f"{code}^{trigger}".rstrip("^")
