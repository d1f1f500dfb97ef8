"""One exception family for everything a user can get wrong, carrying every problem at once.

An importer or an API must report all bad rows, not stop at the first, so an error holds a
list of `Problem`s. Each names its location (`labs[3].unit`), the value received, what is
accepted and a hint; the CLI prints them all (exit status 2) and the API answers 422 with
the same list. This module sits below `core` and `diet` so that both can raise it without
leaning on each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, TypeVar

T = TypeVar("T")

ProblemKind = Literal[
    "invalid",
    "unknown_test",
    "lookalike_test",
    "unit",
    "value_format",
    "impossible_value",
    "unknown_term",
    "contradiction",
]


class _Missing:
    """The absence of a received value (distinct from a received null)."""

    def __repr__(self) -> str:
        return "<nothing>"


NOTHING: Final = _Missing()


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input: where, what was received, what is accepted, a hint."""

    location: str
    message: str
    received: object = NOTHING
    accepted: tuple[str, ...] = ()
    hint: str | None = None
    kind: ProblemKind = "invalid"

    def describe(self) -> str:
        """One readable line: "labs[0].unit: unknown unit; received 'furlongs'; accepted: ..."."""
        parts = [f"{self.location}: {self.message}" if self.location else self.message]
        if self.received is not NOTHING:
            parts.append(f"received {self.received!r}")
        if self.accepted:
            parts.append("accepted: " + ", ".join(self.accepted))
        if self.hint:
            parts.append(self.hint)
        return "; ".join(parts)

    def at(self, location: str) -> Problem:
        """The same problem reported at another location (an option name, a file row)."""
        return Problem(location, self.message, self.received, self.accepted, self.hint, self.kind)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form, for API problem details and machine-readable CLI output."""
        out: dict[str, object] = {"location": self.location, "kind": self.kind}
        out["message"] = self.message
        if self.received is not NOTHING:
            out["received"] = self.received
        if self.accepted:
            out["accepted"] = list(self.accepted)
        if self.hint:
            out["hint"] = self.hint
        return out


class RlsironError(Exception):
    """Base of all input errors: one or more problems.

    `RlsironError("unknown unit", field="labs[0].unit", value="furlongs", accepted=...)`
    builds a single problem; `RlsironError.collect(problems)` many. The first problem's
    fields stay readable as `.field`, `.value`, `.accepted` and `.hint`.
    """

    kind: ProblemKind = "invalid"

    def __init__(
        self,
        message: str = "",
        *,
        field: str | None = None,
        value: object = NOTHING,
        accepted: Iterable[str] = (),
        hint: str | None = None,
        problems: Sequence[Problem] = (),
    ) -> None:
        if not problems:
            problems = (Problem(field or "", message, value, tuple(accepted), hint, self.kind),)
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self.describe())

    @classmethod
    def collect(cls, problems: Sequence[Problem]) -> RlsironError:
        """One error for several problems (each keeps its own kind)."""
        return cls(problems=problems)

    @property
    def field(self) -> str:
        return self.problems[0].location

    @property
    def value(self) -> object:
        return self.problems[0].received

    @property
    def accepted(self) -> tuple[str, ...]:
        return self.problems[0].accepted

    @property
    def hint(self) -> str | None:
        return self.problems[0].hint

    def describe(self) -> str:
        """Every problem, one per line; a single problem is a single line."""
        lines = [p.describe() for p in self.problems]
        if len(lines) == 1:
            return lines[0]
        return f"the input has {len(lines)} problems:\n  " + "\n  ".join(lines)


class UnknownTestError(RlsironError):
    """A lab test name or LOINC code that is not in the catalogue."""

    kind: ProblemKind = "unknown_test"


class LookalikeTestError(RlsironError):
    """A test whose name resembles a supported one but measures something else (HbA1c)."""

    kind: ProblemKind = "lookalike_test"


class UnitError(RlsironError):
    """A unit that is missing, unknown, or not valid for the test it was given with."""

    kind: ProblemKind = "unit"


class ValueFormatError(RlsironError):
    """A value that is not a number (or a one-sided number such as '<5')."""

    kind: ProblemKind = "value_format"


class ImpossibleValueError(RlsironError):
    """A value no human body can have (negative, TSAT over 100 %)."""

    kind: ProblemKind = "impossible_value"


class UnknownTermError(RlsironError):
    """A word outside a closed vocabulary (an assay, a kidney status)."""

    kind: ProblemKind = "unknown_term"


class ContradictionError(RlsironError):
    """Two facts that cannot both be true (kidney 'normal' with a dialysis condition)."""

    kind: ProblemKind = "contradiction"


class InputValidationError(RlsironError):
    """The input document does not match the published schema."""


@dataclass
class ProblemCollector:
    """Gathers the problems of many rows so that all are reported together.

    Catch each row's RlsironError and `add` it; call `raise_if_any()` before using any
    result, so nothing is half-used.
    """

    problems: list[Problem] = field(default_factory=list)

    def add(self, error: RlsironError) -> None:
        self.problems.extend(error.problems)

    def attempt(self, work: Callable[[], T]) -> T | None:
        """`work()`, or None with its problems kept when it raises an RlsironError."""
        try:
            return work()
        except RlsironError as exc:
            self.add(exc)
            return None

    def raise_if_any(self) -> None:
        if len(self.problems) == 1:
            raise _single(self.problems[0])
        if self.problems:
            raise RlsironError.collect(self.problems)


# Each kind raised as its own class; derived from the classes so a new kind needs no entry.
_KIND_ERRORS: dict[ProblemKind, type[RlsironError]] = {
    cls.kind: cls for cls in RlsironError.__subclasses__()
}


def _single(problem: Problem) -> RlsironError:
    """A lone problem raised as the error class of its kind, so callers can catch by kind."""
    return _KIND_ERRORS[problem.kind](problems=(problem,))
