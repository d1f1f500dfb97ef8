"""The engine's interpreter of the findings' conditions (`findings.toml` variants).

For each data-driven finding the first variant (of the person's profile) whose condition is
true raises it; a condition that is false or unknown raises nothing. Findings whose `unless`
flag is carried by another raised finding are then dropped ("iron stores meet the target" is
never said next to a safety stop).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from rlsiron.core.knowledge.codes import FindingCode
from rlsiron.core.knowledge.findings import FINDINGS, FindingDef, Variant, make_finding
from rlsiron.core.knowledge.thresholds import PROFILES
from rlsiron.core.models import Finding
from rlsiron.core.readings import Reading
from rlsiron.core.rules.decide import met_text
from rlsiron.core.rules.expressions import Value, evaluate, names


def data_findings(
    values: Mapping[str, Value],
    profile: str,
    shown: Mapping[str, str],
    evidence: Mapping[FindingCode, Mapping[str, float | str]],
) -> Iterator[Finding]:
    """Every data-driven finding whose condition holds for this person.

    `shown` holds the named values as a person reads them; `evidence` the fields the engine
    computed for particular findings (dates, names) that their templates quote.
    """
    for definition in FINDINGS.values():
        variant = _first_true(definition, values, profile)
        if variant is None:
            continue
        fields = {**shown, **variant.params, "profile": PROFILES[profile].label}
        fields["met"] = met_text(variant.when, values)
        yield make_finding(
            definition.code,
            detail=variant.detail,
            sources=variant.sources,
            level=variant.level,
            fields=fields,
            **_read(variant, values),
            **evidence.get(definition.code, {}),
        )


def _first_true(
    definition: FindingDef, values: Mapping[str, Value], profile: str
) -> Variant | None:
    for variant in definition.variants:
        if variant.profiles is not None and profile not in variant.profiles:
            continue
        if evaluate(variant.when, values) is True:
            return variant
    return None


def _read(variant: Variant, values: Mapping[str, Value]) -> dict[str, float | str]:
    """The results the condition read, as evidence: exact values, or "<5" when one-sided."""
    read: dict[str, float | str] = {}
    for name in dict.fromkeys(names(variant.when)):
        value = values[name]
        if isinstance(value, Reading):
            read[name] = round(value.value, 4) if value.exact else str(value)
    return read


def without_unless(findings: Iterable[Finding]) -> list[Finding]:
    """Drop findings whose `unless` flag another raised finding carries."""
    found = list(findings)
    raised = {flag for f in found for flag in FINDINGS[f.code].flags}
    return [f for f in found if FINDINGS[f.code].unless not in raised]


def has_flag(findings: Iterable[Finding], flag: str) -> bool:
    return any(flag in FINDINGS[f.code].flags for f in findings)
