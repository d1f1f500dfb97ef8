"""One exception family for everything a user can get wrong.

Each error names the field, the value received and what is accepted, so the CLI
(exit status 2) and the API (HTTP 422) can show it as it is, with no traceback.
"""

from __future__ import annotations

from collections.abc import Iterable


class RlsironError(Exception):
    """Base of all input errors: carries field, value and the accepted forms."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: object = None,
        accepted: Iterable[str] = (),
        hint: str | None = None,
    ) -> None:
        self.field = field
        self.value = value
        self.accepted = tuple(accepted)
        self.hint = hint
        self.message = message
        super().__init__(self.describe())

    def describe(self) -> str:
        """One readable paragraph: where, what was received, what is accepted."""
        parts = []
        if self.field:
            parts.append(f"{self.field}: {self.message}")
        else:
            parts.append(self.message)
        if self.value is not None:
            parts.append(f"received {self.value!r}")
        if self.accepted:
            parts.append("accepted: " + ", ".join(self.accepted))
        if self.hint:
            parts.append(self.hint)
        return "; ".join(parts)


class UnknownTestError(RlsironError):
    """A lab test name or LOINC code that is not in the catalogue."""


class UnitError(RlsironError):
    """A unit that is missing, unknown, or not valid for the test it was given with."""


class ValueFormatError(RlsironError):
    """A value that is not a number (or a one-sided number such as '<5')."""


class ImpossibleValueError(RlsironError):
    """A value no human body can have (negative, TSAT over 100 %)."""


class InputValidationError(RlsironError):
    """The input document does not match the published schema."""
