"""The lab's own reference range, as printed: "4.6-18.7", "<5", "> 59", "≥ 60".

One-sided ranges are common on real reports, and an upper limit read as the lower
one is a classic importer bug, so the side is kept explicitly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rlsiron.core.labs.units import to_canonical
from rlsiron.core.readings import Reading
from rlsiron.errors import ValueFormatError

_NUMBER = r"(\d+(?:\.\d+)?)"
_INTERVAL = re.compile(rf"^{_NUMBER}\s*(?:-|–|—|to)\s*{_NUMBER}$")
_ONE_SIDED = re.compile(rf"^(<=|>=|≤|≥|<|>)\s*{_NUMBER}$")

ACCEPTED = ("4.6-18.7", "4.6 to 18.7", "<5", ">59", "≥ 60")


@dataclass(frozen=True, slots=True)
class ReferenceRange:
    """Bounds in the analyte's canonical unit; None where the range is open."""

    low: float | None
    high: float | None

    def below(self, reading: Reading) -> bool | None:
        return None if self.low is None else reading.lt(self.low)


def parse_reference_range(
    text: str, analyte_key: str, unit: str | None, *, field: str
) -> ReferenceRange:
    cleaned = text.strip()
    if m := _INTERVAL.match(cleaned):
        low, high = float(m[1]), float(m[2])
        if low > high:
            raise ValueFormatError(
                "reference range has its lower limit above its upper limit",
                field=field,
                value=text,
                accepted=ACCEPTED,
            )
        return ReferenceRange(
            _convert(analyte_key, low, unit, field), _convert(analyte_key, high, unit, field)
        )
    if m := _ONE_SIDED.match(cleaned):
        bound = _convert(analyte_key, float(m[2]), unit, field)
        if m[1] in ("<", "<=", "≤"):
            return ReferenceRange(None, bound)
        return ReferenceRange(bound, None)
    raise ValueFormatError(
        "reference range is not in a recognised form", field=field, value=text, accepted=ACCEPTED
    )


def range_from_bounds(
    low: float | None, high: float | None, analyte_key: str, unit: str | None, *, field: str
) -> ReferenceRange:
    """A structured range ({"low": 4.6, "high": 18.7}), converted like a printed one."""
    return ReferenceRange(
        None if low is None else _convert(analyte_key, low, unit, field),
        None if high is None else _convert(analyte_key, high, unit, field),
    )


def _convert(analyte_key: str, value: float, unit: str | None, field: str) -> float:
    return to_canonical(analyte_key, Reading(value), unit, field=field).value
