"""Loader of the finding definitions (`data/findings.toml`) and the one way to build a Finding.

A definition carries everything a reviewer checks: severity, evidence level, sources, flags,
wording, and (for most) the conditions under which it holds. Conditions are parsed with the
rule table's vocabulary, so a finding can only read what the rules can; templates are checked
so that every placeholder is filled by a named value, a variant's params or the evidence the
definition says the engine supplies.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, get_args

from rlsiron.core.knowledge.codes import FindingCode
from rlsiron.core.knowledge.rules import (
    VOCABULARY,
    check_keys,
    check_placeholders,
    condition,
    fill_constants,
    strings,
)
from rlsiron.core.knowledge.sources import check_sources
from rlsiron.core.knowledge.table import data_text
from rlsiron.core.knowledge.thresholds import PROFILES
from rlsiron.core.models import EvidenceLevel, Finding, Severity
from rlsiron.core.rules.expressions import Condition
from rlsiron.pipe_table import DataFileError, choose

Flag = Literal["safety_stop", "blocks_adequate"]
FLAGS: tuple[Flag, ...] = get_args(Flag)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
LEVELS: tuple[EvidenceLevel, ...] = get_args(EvidenceLevel)


@dataclass(frozen=True, slots=True)
class Variant:
    """When a data-driven finding holds, and what it then says."""

    when: Condition
    profiles: frozenset[str] | None
    detail: str
    sources: tuple[str, ...]
    level: EvidenceLevel
    params: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class FindingDef:
    code: FindingCode
    severity: Severity
    level: EvidenceLevel
    sources: tuple[str, ...]
    flags: frozenset[Flag]
    unless: Flag | None
    title: str
    detail: str
    evidence: tuple[str, ...]
    variants: tuple[Variant, ...]


_FINDING_KEYS = {"code", "severity", "level", "sources", "title", "detail"}
_FINDING_OPTIONAL = {"flags", "unless", "evidence", "variant"}
_VARIANT_RESERVED = {"when", "profiles", "detail", "sources", "level"}


def _sources(entry: Mapping[str, Any], where: str) -> tuple[str, ...]:
    return check_sources(strings(entry, "sources", where), where)


def _variant(entry: Mapping[str, Any], parent: FindingDef, where: str) -> Variant:
    if "when" not in entry:
        raise DataFileError(where, "a variant needs `when`")
    params = {k: v for k, v in entry.items() if k not in _VARIANT_RESERVED}
    if not all(isinstance(v, str) for v in params.values()):
        raise DataFileError(where, "variant params must be strings")
    filled = {k: fill_constants(v, where) for k, v in params.items()}
    profiles = strings(entry, "profiles", where)
    for profile in profiles:
        choose(profile, tuple(PROFILES), "profile", where)
    detail = fill_constants(entry.get("detail", parent.detail), where)
    allowed = {*VOCABULARY.values, "met", "profile", *filled, *parent.evidence}
    check_placeholders(detail, allowed, where)
    return Variant(
        when=condition(entry["when"], VOCABULARY, where),
        profiles=frozenset(profiles) if profiles else None,
        detail=detail,
        sources=_sources(entry, where) if "sources" in entry else parent.sources,
        level=choose(entry["level"], LEVELS, "level", where) if "level" in entry else parent.level,
        params=MappingProxyType(filled),
    )


def _definition(entry: Mapping[str, Any], where: str) -> FindingDef:
    check_keys(entry, _FINDING_KEYS, _FINDING_OPTIONAL, where)
    code = choose(entry["code"], tuple(FindingCode), "code", where)
    unless = entry.get("unless")
    parent = FindingDef(
        code=code,
        severity=choose(entry["severity"], SEVERITIES, "severity", where),
        level=choose(entry["level"], LEVELS, "level", where),
        sources=_sources(entry, where),
        flags=frozenset(choose(f, FLAGS, "flag", where) for f in strings(entry, "flags", where)),
        unless=None if unless is None else choose(unless, FLAGS, "flag", where),
        title=entry["title"],
        detail=fill_constants(entry["detail"], where),
        evidence=strings(entry, "evidence", where),
        variants=(),
    )
    variants = tuple(
        _variant(v, parent, f"{where} variant[{i}]") for i, v in enumerate(entry.get("variant", []))
    )
    if not variants:
        # Raised by the engine's code: its template is filled from evidence and values only.
        check_placeholders(parent.detail, {*VOCABULARY.values, *parent.evidence}, where)
    return FindingDef(
        parent.code,
        parent.severity,
        parent.level,
        parent.sources,
        parent.flags,
        parent.unless,
        parent.title,
        parent.detail,
        parent.evidence,
        variants,
    )


def _load() -> Mapping[FindingCode, FindingDef]:
    name = "findings.toml"
    document = tomllib.loads(data_text(name))
    found: dict[FindingCode, FindingDef] = {}
    for i, entry in enumerate(document.get("finding", [])):
        definition = _definition(entry, f"{name} finding[{i}] {entry.get('code')!r}")
        if definition.code in found:
            raise DataFileError(name, f"finding {definition.code} is defined twice")
        found[definition.code] = definition
    missing = set(FindingCode) - set(found)
    if missing:
        raise DataFileError(name, f"codes without a definition: {sorted(missing)}")
    return MappingProxyType(found)


FINDINGS: Mapping[FindingCode, FindingDef] = _load()


def show(value: float | str) -> str:
    """Evidence as text: whole numbers without ".0", others to one decimal."""
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
    return str(value)


class _Words(dict[str, str]):
    """Template fields, each made when the template asks for it: the evidence as text,
    else the shown values and any other fields the caller passed."""

    def __init__(self, evidence: Mapping[str, float | str], fallback: Mapping[str, str]) -> None:
        super().__init__()
        self._evidence, self._fallback = evidence, fallback

    def __missing__(self, key: str) -> str:
        if key in self._evidence:
            return show(self._evidence[key])
        return self._fallback[key]


def make_finding(
    code: FindingCode,
    *,
    detail: str | None = None,
    sources: tuple[str, ...] | None = None,
    level: EvidenceLevel | None = None,
    fields: Mapping[str, str] | None = None,
    **evidence: float | str,
) -> Finding:
    """A finding from its definition: the template filled from `fields` and `evidence`.

    `detail`, `sources` and `level` override the definition's (a variant's own); `fields`
    are shown values that are not evidence (named values already in words).
    """
    d = FINDINGS[code]
    words = _Words(evidence, {} if fields is None else fields)
    return Finding(
        code=code,
        severity=d.severity,
        evidence_level=level or d.level,
        title=d.title,
        detail=(detail or d.detail).format_map(words),
        sources=d.sources if sources is None else sources,
        evidence={k: v for k, v in evidence.items() if not k.endswith("_note")},
    )
