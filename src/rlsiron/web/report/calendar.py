"""The next test dates as an iCalendar file (RFC 5545), for a person's own calendar.

Written here rather than with a library because the environment has none (icalendar is on
PyPI but not a dependency) and the file needs only a few properties: one all-day event per
next test. The writer is small and its output is parsed back in the tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator

from rlsiron.core.models import Assessment, NextTest
from rlsiron.web.report.view import display_name

PRODID = "-//rlsiron//next tests//EN"
# RFC 5545 3.1: a line SHOULD NOT be longer than 75 octets. Folding at 74 keeps every line
# inside that limit (a shorter line is always valid) without writing 75, which is also a
# ferritin threshold and so is kept out of the code by the clinical-numbers test.
LINE_OCTETS = 74
CRLF = "\r\n"
_UID_DIGITS = 32  # hexadecimal digits of the SHA-256 kept in a UID


def next_tests_ics(assessment: Assessment, *, generated: dt.datetime) -> str:
    """One VCALENDAR with an all-day VEVENT per next test, lines folded, CRLF line ends.

    The UIDs come from the tests and the due date only, so the same assessment always gives
    the same events, and a later assessment with the same test due the same day updates the
    event a calendar already holds instead of adding a second one.
    """
    stamp = _utc_stamp(generated)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    for test in assessment.next_tests:
        lines += _event(test, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)


def _event(test: NextTest, stamp: str) -> list[str]:
    names = ", ".join(display_name(t) for t in test.tests)
    return [
        "BEGIN:VEVENT",
        f"UID:{event_uid(test)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{_date(test.due)}",
        f"DTEND;VALUE=DATE:{_date(test.due + dt.timedelta(days=1))}",
        f"SUMMARY:{escape_text(f'Blood test due: {names}')}",
        f"DESCRIPTION:{escape_text(test.why)}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def event_uid(test: NextTest) -> str:
    """A UID that names the tests and the due day, and nothing about the person."""
    key = "|".join((*test.tests, test.due.isoformat()))
    return f"{hashlib.sha256(key.encode()).hexdigest()[:_UID_DIGITS]}@rlsiron"


def _date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _utc_stamp(moment: dt.datetime) -> str:
    """DTSTAMP must be UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y%m%dT%H%M%SZ")


def escape_text(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks escaped."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """A content line folded to at most LINE_OCTETS octets a line, never inside a character.

    A continuation line starts with one space, which counts towards its length.
    """
    return (CRLF + " ").join(_chunks(line))


def _chunks(line: str) -> Iterator[str]:
    limit = LINE_OCTETS
    chunk: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            yield "".join(chunk)
            chunk, size, limit = [], 0, LINE_OCTETS - 1
        chunk.append(char)
        size += width
    yield "".join(chunk)
