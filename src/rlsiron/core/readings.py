"""A measured value that may be one-sided ("<5", ">60"), with three-valued comparisons.

Labs report censored values: ferritin "<5" in severe deficiency, eGFR ">90", CRP "<1".
A comparison against a threshold is then true, false, or undetermined (None): the
engine reasons about None as "unknown" instead of pretending the bound is the value.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Qualifier = Literal["=", "<", "<=", ">", ">="]


class Reading(NamedTuple):
    """A value in its analyte's canonical unit, exact or bounded on one side.

    A NamedTuple, like the engine's other per-assessment values (Panel, Context, Outcome):
    immutable and several times cheaper to create than a frozen dataclass, which matters
    on the engine's hot path. Catalogue rows stay frozen dataclasses.
    """

    value: float
    qualifier: Qualifier = "="

    @property
    def exact(self) -> bool:
        return self.qualifier == "="

    def __str__(self) -> str:
        shown = f"{self.value:g}"
        return shown if self.exact else f"{self.qualifier}{shown}"

    def _bounds(self) -> tuple[float, bool, float, bool]:
        """(low, low_inclusive, high, high_inclusive) of the interval the true value lies in."""
        inf = float("inf")
        v = self.value
        match self.qualifier:
            case "=":
                return v, True, v, True
            case "<":
                return -inf, False, v, False
            case "<=":
                return -inf, False, v, True
            case ">":
                return v, False, inf, False
            case ">=":
                return v, True, inf, False

    def lt(self, limit: float) -> bool | None:
        """Is the true value < limit? None when the interval straddles the limit."""
        if self.qualifier == "=":  # the common case, kept cheap: the engine compares a lot
            return self.value < limit
        low, _, high, high_inc = self._bounds()
        if high < limit or (high == limit and not high_inc):
            return True
        if low >= limit:
            return False
        return None

    def le(self, limit: float) -> bool | None:
        if self.qualifier == "=":
            return self.value <= limit
        low, low_inc, high, _ = self._bounds()
        if high <= limit:
            return True
        if low > limit or (low == limit and not low_inc):
            return False
        return None

    def gt(self, limit: float) -> bool | None:
        le = self.le(limit)
        return None if le is None else not le

    def ge(self, limit: float) -> bool | None:
        lt = self.lt(limit)
        return None if lt is None else not lt

    def scaled(self, factor: float, offset: float = 0.0) -> Reading:
        """The same reading in another unit (factor > 0 keeps the qualifier's direction)."""
        return Reading(self.value * factor + offset, self.qualifier)
