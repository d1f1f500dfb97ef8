"""rlsiron: decision support for iron in restless legs syndrome.

The public API, small on purpose:

    from rlsiron import assess, parse_input, RlsironError
    inp = parse_input(document)                 # the contract's JSON -> AssessmentInput
    result = assess(inp, as_of=date(2026, 11, 20))   # -> Assessment (pydantic model)
    result.model_dump_json()                    # the contract's output

- `assess(input, *, as_of, plan=True)`: the whole assessment; `plan=False` for batch use.
- `parse_input(data)`: validate a JSON-like document against the published schema.
- `AssessmentInput`, `Assessment`: the contract's input and output models.
- `RlsironError`: every input error; `.problems` lists each `Problem` (location, received,
  accepted, hint), all of them at once.
- `FindingCode`: the typed vocabulary of finding codes.

Importing the package stays cheap: the names above load their modules on first use (the
CLI's cold start is a measured target).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

__all__ = [
    "Assessment",
    "AssessmentInput",
    "FindingCode",
    "Problem",
    "RlsironError",
    "assess",
    "parse_input",
]

_WHERE = {
    "Assessment": "rlsiron.core.models",
    "AssessmentInput": "rlsiron.core.models",
    "FindingCode": "rlsiron.core.knowledge.codes",
    "Problem": "rlsiron.errors",
    "RlsironError": "rlsiron.errors",
    "assess": "rlsiron.core.assessment.assess",
    "parse_input": "rlsiron.core.validation",
}

if TYPE_CHECKING:
    from rlsiron.core.assessment.assess import assess
    from rlsiron.core.knowledge.codes import FindingCode
    from rlsiron.core.models import Assessment, AssessmentInput
    from rlsiron.core.validation import parse_input
    from rlsiron.errors import Problem, RlsironError


def __getattr__(name: str) -> Any:
    """Load a public name's module on first use (PEP 562)."""
    if name not in _WHERE:
        raise AttributeError(f"module 'rlsiron' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
