"""The engine's interpreter of the findings' conditions (`findings.toml` variants).

For each data-driven finding the first variant (of the person's profile) whose condition is
true raises it; a condition that is false or unknown raises nothing. Findings whose `unless`
flag is carried by another raised finding are then dropped ("iron stores meet the target" is
never said next to a safety stop).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache

from rlsiron.core.knowledge.codes import FindingCode
from rlsiron.core.knowledge.findings import FINDINGS, FindingDef, Variant, make_finding
from rlsiron.core.models import Finding
from rlsiron.core.readings import Reading
from rlsiron.core.rules.decide import ConditionFields
from rlsiron.core.rules.expressions import Value


def data_findings(
    values: Mapping[str, Value],
    profile: str,
    shown: Mapping[str, str],
    evidence: Callable[[FindingCode], Mapping[str, float | str]],
) -> Iterator[Finding]:
    """Every data-driven finding whose condition holds for this person.

    `shown` holds the named values as a person reads them; `evidence(code)` the fields the
    engine computes for a finding's template (dates, names), asked only for raised findings.
    """
    for definition, variants in _data_driven(profile):
        for variant in variants:
            if variant.when.holds(values):
                yield make_finding(
                    definition.code,
                    detail=variant.detail,
                    sources=variant.sources,
                    level=variant.level,
                    fields=ConditionFields(variant.when, values, profile, shown, variant.params),
                    **_read(variant, values),
                    **evidence(definition.code),
                )
                break


@cache
def _data_driven(profile: str) -> tuple[tuple[FindingDef, tuple[Variant, ...]], ...]:
    """The findings with conditions, each with its variants for this profile, in file order."""
    return tuple(
        (d, tuple(v for v in d.variants if v.profiles is None or profile in v.profiles))
        for d in FINDINGS.values()
        if d.variants
    )


def _read(variant: Variant, values: Mapping[str, Value]) -> dict[str, float | str]:
    """The results the condition read, as evidence: exact values, or "<5" when one-sided."""
    read: dict[str, float | str] = {}
    for name in variant.when.reads:
        value = values[name]
        if isinstance(value, Reading):
            read[name] = round(value.value, 4) if value.exact else str(value)
    return read


def without_unless(findings: Iterable[Finding]) -> list[Finding]:
    """Drop findings whose `unless` flag another raised finding carries."""
    found = list(findings)
    raised = {flag for f in found for flag in FINDINGS[f.code].flags}
    return [f for f in found if FINDINGS[f.code].unless not in raised]
