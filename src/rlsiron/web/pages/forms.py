"""The engine's problems shown where they belong: at the form field they are about.

The store and the engine locate a problem as the contract does ("value", "unit",
"labs[2].unit", "person.sex"); a form names its fields its own way. `FieldErrors` maps one
to the other, and keeps what belongs to no field for the summary at the top of the form.
Each message is the problem's own words, with what is accepted and the hint, so a page
says exactly what the API and the CLI say.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Final, get_args

from fastapi import Form
from pydantic import StringConstraints, ValidationError

from rlsiron.core.models import NonEmpty
from rlsiron.core.validation import problems_of
from rlsiron.errors import Problem, RlsironError


def _longest_text() -> int:
    """The contract's longest text field: no form field needs more."""
    (constraints,) = [c for c in get_args(NonEmpty) if isinstance(c, StringConstraints)]
    assert constraints.max_length is not None
    return constraints.max_length


LONGEST: Final = _longest_text()
FormText = Annotated[str, Form(max_length=LONGEST)]


def message_of(problem: Problem) -> str:
    parts = [problem.message]
    if problem.accepted:
        parts.append("accepted: " + ", ".join(problem.accepted))
    if problem.hint:
        parts.append(problem.hint)
    return "; ".join(parts)


def problems_in(exc: RlsironError | ValidationError) -> tuple[Problem, ...]:
    return exc.problems if isinstance(exc, RlsironError) else problems_of(exc)


@dataclass
class FieldErrors:
    """Messages by form field id; `general` for problems no field of the form shows."""

    at: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, problems: Iterable[Problem], field_of: Callable[[str], str | None]) -> FieldErrors:
        """`field_of` gives the form field for a problem's location, or None."""
        errors = cls()
        for problem in problems:
            name = field_of(problem.location)
            if name is None:
                errors.general.append(message_of(problem))
            else:
                said = errors.at.get(name)
                text = message_of(problem)
                if said is None:
                    errors.at[name] = text
                elif text not in said:  # one bad date is every panel row's problem
                    errors.at[name] = f"{said}; {text}"
        return errors

    def __bool__(self) -> bool:
        return bool(self.at or self.general)


def by_last_name(fields: Iterable[str]) -> Callable[[str], str | None]:
    """The form field named as the location's last part ("person.sex" -> "sex")."""
    known = frozenset(fields)

    def field_of(location: str) -> str | None:
        name = location.rsplit(".", 1)[-1]
        return name if name in known else None

    return field_of
