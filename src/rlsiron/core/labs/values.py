"""Lab values as reports print them: a number, or a one-sided bound such as "<5" or "≥ 3".

Anything that is not clearly one number is refused rather than half-read: a decimal comma
("1,5") may be a thousands separator, and a range ("5-10") is not a result.
"""

from __future__ import annotations

import math
import re

from rlsiron.core.readings import Qualifier, Reading, decimals_of
from rlsiron.errors import ValueFormatError

_QUALIFIERS: tuple[tuple[str, Qualifier], ...] = (
    # Two-character forms first so "<=" is not read as "<" followed by "=5".
    ("<=", "<="),
    (">=", ">="),
    ("≤", "<="),
    ("≥", ">="),
    ("<", "<"),
    (">", ">"),
    ("=", "="),
)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_RANGE = re.compile(r"[0-9.]+\s*[-–]\s*[0-9.]+")
# Integers a float holds exactly (2**53); larger ones take the general path below.
_EXACT_INT = 1 << 53
_VALUE_EXAMPLES = ("18", "18.5", "<5", ">60", "<=0.5")


def parse_value(raw: float | int | str, *, field: str) -> Reading:
    """A number, or a one-sided bound as labs print it ("<5", "≥ 3"), as a Reading.

    The reading is in whatever unit accompanied the value; see to_canonical. Anything that is
    not clearly one number is refused with ValueFormatError rather than half-read: a decimal
    comma ("1,5") may be a thousands separator, and a range ("5-10") is not a result.
    """
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueFormatError(
            "expected a number", field=field, value=raw, accepted=_VALUE_EXAMPLES
        )
    if isinstance(raw, str):
        return _parse_text(raw, field=field)
    if isinstance(raw, int) and -_EXACT_INT < raw < _EXACT_INT:
        return Reading(float(raw), "=", 0)  # the common case: a whole number, no decimals
    try:
        value = float(raw)
    except OverflowError:  # an int too large for a float
        value = math.inf
    if not math.isfinite(value):
        raise ValueFormatError("not a finite number", field=field, value=raw)
    return Reading(value, "=", decimals_of(repr(raw)))


def _parse_text(raw: str, *, field: str) -> Reading:
    text = raw.strip().replace("−", "-")  # U+2212 minus sign, as some PDFs print it
    if not text:
        raise ValueFormatError("empty value", field=field, value=raw, accepted=_VALUE_EXAMPLES)
    qualifier: Qualifier = "="
    for symbol, meaning in _QUALIFIERS:
        if text.startswith(symbol):
            qualifier, text = meaning, text[len(symbol) :].strip()
            break
    if _NUMBER.fullmatch(text):
        value = float(text)
        if not math.isfinite(value):
            raise ValueFormatError("number too large", field=field, value=raw)
        return Reading(value, qualifier, decimals_of(text))
    if "," in text:
        raise ValueFormatError(
            "a comma in a number is ambiguous (decimal or thousands separator)",
            field=field,
            value=raw,
            hint="write decimals with a point, e.g. 1.5, and no thousands separator",
        )
    if _RANGE.fullmatch(text):
        raise ValueFormatError(
            "a range is not a single result",
            field=field,
            value=raw,
            hint="enter the measured value; a reference range goes in reference_range",
        )
    raise ValueFormatError("not a number", field=field, value=raw, accepted=_VALUE_EXAMPLES)
