"""Turn raw JSON-like data into a validated AssessmentInput, or one clear error.

pydantic's ValidationError is precise but written for developers; this rewrites it as
one line per problem, each naming the field path, what was received and what is
accepted, so the CLI and the API can show it to a person as it is.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from rlsiron.core.models import AssessmentInput
from rlsiron.errors import InputValidationError


def parse_input(data: object) -> AssessmentInput:
    try:
        return AssessmentInput.model_validate(data)
    except ValidationError as exc:
        raise InputValidationError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    lines = [_line(err) for err in exc.errors(include_url=False)]
    plural = "s" if len(lines) > 1 else ""
    return f"the input has {len(lines)} problem{plural}:\n  " + "\n  ".join(lines)


def _line(err: Any) -> str:
    where = _path(err["loc"])
    message = str(err["msg"])
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    if err["type"] in ("missing",):
        return f"{where}: is required"
    return f"{where}: {message} (received {err['input']!r})"


def _path(loc: tuple[object, ...]) -> str:
    """("labs", 2, "unit") -> "labs[2].unit"."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _is_union_tag(part):
            text += f".{part}" if text else str(part)
    return text or "input"


def _is_union_tag(part: object) -> bool:
    # pydantic names the union member it tried ("float", "str"); users never wrote those.
    return isinstance(part, str) and part in {"float", "str", "int", "bool"}
