"""What the report shows, as plain text: the template only lays it out and escapes it.

Everything a reader sees is worded here (or in report/summary.py, whose helpers the terminal
and Markdown reports share), so the template holds no clinical wording and no logic beyond
loops and empty checks.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath, PureWindowsPath

from rlsiron.core.knowledge.sources import SOURCES
from rlsiron.core.labs.analytes import find_test
from rlsiron.core.models import Assessment, AssessmentInput, Finding, LabValue, Origin, Person
from rlsiron.report.summary import anemia_line, headline, lab_line, profile_line, rls_line

EVIDENCE_WORDS = {"guideline": "guideline", "expert_consensus": "expert consensus"}
CLINICIAN_TITLE = "For your clinician (options named by the guideline, not instructions)"
NOT_GIVEN = "not given"


@dataclass(frozen=True, slots=True)
class Place:
    """Where an imported fact came from: the file's name, the place in it, the text read."""

    file: str
    at: str
    text: str | None


@dataclass(frozen=True, slots=True)
class Fact:
    label: str
    value: str
    places: tuple[Place, ...] = ()


@dataclass(frozen=True, slots=True)
class LabRow:
    test: str
    used: str
    printed: str
    date: str
    note: str
    places: tuple[Place, ...]


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    citation: str


@dataclass(frozen=True, slots=True)
class FindingView:
    title: str
    code: str
    severity: str
    evidence: str
    detail: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Clinician:
    """The clinician section: the guideline's options, never an instruction, and the rule."""

    title: str
    items: tuple[str, ...]
    decision: str
    rule: str
    why: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class Due:
    tests: str
    due: str
    why: str


@dataclass(frozen=True, slots=True)
class Review:
    reason: str
    place: Place


@dataclass(frozen=True, slots=True)
class Report:
    title: str
    as_of: str
    generated: str
    engine_version: str
    headline: str
    why: str
    profile: str
    decision: str
    person: tuple[Fact, ...]
    labs: tuple[LabRow, ...]
    status: tuple[str, ...]
    charts: tuple[str, ...]
    findings: tuple[FindingView, ...]
    plan: tuple[Section, ...]
    clinician: Clinician
    next_tests: tuple[Due, ...]
    review: tuple[Review, ...]
    sources: tuple[Source, ...]
    disclaimer: str


def build_report(
    inp: AssessmentInput,
    a: Assessment,
    *,
    charts_svg: Sequence[str],
    generated: dt.datetime,
    person_name: str | None,
) -> Report:
    where = inp.provenance
    sections = a.plan.sections if a.plan else ()
    return Report(
        title=f"RLS iron assessment ({a.as_of.isoformat()})",
        as_of=a.as_of.isoformat(),
        generated=generated.isoformat(sep=" ", timespec="minutes"),
        engine_version=a.engine_version,
        headline=headline(a),
        why=a.iron_therapy.why,
        profile=profile_line(a),
        decision=a.iron_therapy.decision,
        person=_person(inp.person, inp.medications, where, person_name),
        labs=tuple(_lab_row(lab, inp) for lab in a.labs),
        status=tuple(line for line in (anemia_line(a), rls_line(a)) if line),
        charts=tuple(svg_data_uri(svg) for svg in charts_svg),
        findings=tuple(_finding(f) for f in a.findings),
        plan=tuple(Section(s.title, s.items) for s in sections if s.id != "for_the_clinician"),
        clinician=_clinician(a),
        next_tests=tuple(
            Due(", ".join(display_name(t) for t in n.tests), n.due.isoformat(), n.why)
            for n in a.next_tests
        ),
        review=tuple(Review(r.reason, _place(r.origin)) for r in inp.needs_review),
        sources=_sources(
            sorted({s for f in a.findings for s in f.sources} | set(a.iron_therapy.sources))
        ),
        disclaimer=a.disclaimer,
    )


def svg_data_uri(svg: str) -> str:
    """An SVG as an image URL: drawn as a picture, so no script or link in it can run."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def _person(
    p: Person,
    medications: Sequence[str],
    where: Mapping[str, tuple[Origin, ...]],
    name: str | None,
) -> tuple[Fact, ...]:
    def fact(label: str, value: str, key: str) -> Fact:
        return Fact(label, value, _places(where.get(key, ())))

    age = f"{p.age_years} years"
    if p.age_months is not None:
        age += f" ({p.age_months} months)"
    facts = [Fact("Name", name)] if name else []
    facts += [fact("Age", age, "person.age_years"), fact("Sex", p.sex, "person.sex")]
    if p.sex == "female":
        pregnancy = NOT_GIVEN if p.pregnancy_weeks is None else f"{p.pregnancy_weeks} weeks"
        facts.append(fact("Pregnancy", pregnancy, "person.pregnancy_weeks"))
    if p.weight_kg is not None:
        facts.append(fact("Weight", f"{p.weight_kg:g} kg", "person.weight_kg"))
    facts.append(fact("Kidney", p.kidney or NOT_GIVEN, "person.kidney"))
    facts += _listed("Condition", p.conditions, "person.conditions", where)
    facts += _listed("Medicine", medications, "medications", where)
    return tuple(facts)


def _listed(
    label: str, items: Sequence[str], key: str, where: Mapping[str, tuple[Origin, ...]]
) -> list[Fact]:
    """Conditions and medicines as given, each with the file it came from."""
    if not items:
        return [Fact(label + "s", "none given")]
    return [
        Fact(label, item, _places(where.get(f"{key}[{i}]", ()))) for i, item in enumerate(items)
    ]


def _lab_row(lab: LabValue, inp: AssessmentInput) -> LabRow:
    test, used, date, note = lab_line(lab)
    return LabRow(test, used, lab.original or "", date, note, _lab_places(lab, inp))


def _lab_places(lab: LabValue, inp: AssessmentInput) -> tuple[Place, ...]:
    """The origins of the input row a result came from: same test, same day, and of
    several such rows the last, as the engine reads them (a later row of a day wins)."""
    if lab.source != "reported" or not inp.provenance:
        return ()
    rows = [
        i for i, row in enumerate(inp.labs) if row.date == lab.date and _key(row.test) == lab.test
    ]
    return _places(inp.provenance.get(f"labs[{rows[-1]}]", ())) if rows else ()


def _key(test: str) -> str | None:
    analyte = find_test(test)
    return analyte.key if analyte is not None else None


def display_name(key: str) -> str:
    """A catalogue test's name as a reader knows it ("tsat" -> "Transferrin saturation")."""
    analyte = find_test(key)
    return analyte.display if analyte is not None else key


def _places(origins: Sequence[Origin]) -> tuple[Place, ...]:
    return tuple(_place(o) for o in origins)


def _place(origin: Origin) -> Place:
    return Place(_file_name(origin.file), origin.at, origin.text)


def _file_name(path: str) -> str:
    """The file's own name: the folders it sat in say nothing to the doctor."""
    kind: type[PurePath] = PureWindowsPath if "\\" in path else PurePosixPath
    return kind(path).name or path


def _finding(f: Finding) -> FindingView:
    return FindingView(
        title=f.title,
        code=f.code,
        severity=f.severity,
        evidence=EVIDENCE_WORDS[f.evidence_level],
        detail=f.detail,
        sources=_sources(f.sources),
    )


def _clinician(a: Assessment) -> Clinician:
    section = next(
        (s for s in (a.plan.sections if a.plan else ()) if s.id == "for_the_clinician"), None
    )
    return Clinician(
        title=section.title if section else CLINICIAN_TITLE,
        items=section.items if section else a.iron_therapy.options,
        decision=headline(a),
        rule=a.iron_therapy.rule,
        why=a.iron_therapy.why,
        sources=_sources(a.iron_therapy.sources),
    )


def _sources(ids: Sequence[str]) -> tuple[Source, ...]:
    return tuple(Source(s, SOURCES.get(s, s)) for s in ids)
