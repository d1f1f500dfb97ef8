"""A measured value that may be one-sided ("<5", ">60"), compared at its reported precision.

Labs report censored values: ferritin "<5" in severe deficiency, eGFR ">90", CRP "<1".
A comparison against a threshold is then true, false, or undetermined (None): the
engine reasons about None as "unknown" instead of pretending the bound is the value.

A value converted from another unit is compared at the precision it was reported with
(REFERENCE.md, "Numbers as they were reported"): magnesium 1.7 mg/dL is 0.6994 mmol/L
exactly, but it was reported to 0.1 mg/dL (about 0.04 mmol/L), so it compares as 0.70
and is not below a 0.70 cut-off. `value` keeps the exact figure for JSON; comparisons use
it rounded to the decimals that the reported resolution supports in this unit.

A value type, not a tuple: two readings do not order (is "<5" less than 4?) and a reading
is not a pair of numbers to unpack. `__slots__` keeps it cheap to make, which matters on
the engine's hot path.
"""

from __future__ import annotations

import math
from typing import Literal

Qualifier = Literal["=", "<", "<=", ">", ">="]


class Reading:
    """A value in some unit, exact or bounded on one side, with its reported decimals."""

    __slots__ = ("_compared", "decimals", "qualifier", "value")

    value: float
    qualifier: Qualifier
    decimals: int | None
    _compared: float

    def __init__(self, value: float, qualifier: Qualifier = "=", decimals: int | None = None):
        self.value = value
        self.qualifier = qualifier
        self.decimals = decimals
        self._compared = value if decimals is None else round(value, decimals)

    def __repr__(self) -> str:
        extra = "" if self.decimals is None else f", decimals={self.decimals}"
        return f"Reading({self.value!r}, {self.qualifier!r}{extra})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Reading):
            return NotImplemented
        return (self.value, self.qualifier, self.decimals) == (
            other.value,
            other.qualifier,
            other.decimals,
        )

    def __hash__(self) -> int:
        return hash((self.value, self.qualifier, self.decimals))

    @property
    def exact(self) -> bool:
        return self.qualifier == "="

    @property
    def compared(self) -> float:
        """The number comparisons use: the value at its reported precision."""
        return self._compared

    def __str__(self) -> str:
        shown = f"{self._compared:g}"
        return shown if self.exact else f"{self.qualifier}{shown}"

    def lt(self, limit: float) -> bool | None:
        """Is the true value < limit? None when the interval straddles the limit."""
        v = self._compared
        match self.qualifier:
            case "=":
                return v < limit
            case "<":
                return True if v <= limit else None
            case "<=":
                return True if v < limit else None
            case ">":
                return False if v >= limit else None
            case ">=":
                return False if v >= limit else None

    def le(self, limit: float) -> bool | None:
        """Is the true value <= limit? None when the interval straddles the limit."""
        v = self._compared
        match self.qualifier:
            case "=":
                return v <= limit
            case "<" | "<=":
                return True if v <= limit else None
            case ">":
                return False if v >= limit else None
            case ">=":
                return False if v > limit else None

    def gt(self, limit: float) -> bool | None:
        le = self.le(limit)
        return None if le is None else not le

    def ge(self, limit: float) -> bool | None:
        lt = self.lt(limit)
        return None if lt is None else not lt

    def scaled(self, factor: float) -> Reading:
        """The same reading in another unit (factor > 0 keeps the qualifier's direction).

        The reported resolution (one unit of the last decimal) is carried into the new
        unit, so the converted value is compared no more precisely than it was measured.
        """
        if self.decimals is None or factor == 1.0:
            decimals = self.decimals
        else:
            decimals = math.ceil(self.decimals - math.log10(factor))
        return Reading(self.value * factor, self.qualifier, decimals)


def decimals_of(text: str) -> int:
    """Decimals written in a number as printed: "1.70" -> 2, "75" -> 0, "1e-3" -> 3."""
    mantissa, _, exponent = text.lower().partition("e")
    _, _, fraction = mantissa.partition(".")
    return len(fraction) - (int(exponent) if exponent else 0)
