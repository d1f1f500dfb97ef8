"""An assessment -> CDS Hooks cards for the patient-view hook, and the pieces every card shares.

Cards quote the engine: the decision and its `why`, the findings' titles and details, the
results as the engine used them, its options, next tests and disclaimer, and the citations of
`sources.txt`. The only words written here are the frame around them (headings, "3 weeks
ago", the names of the four decisions); no threshold or clinical statement is made here.

- one card for the decision, its indicator the most serious finding's (urgent -> critical,
  warning -> warning, else info), its summary the ferritin and TSAT with their age and the
  decision, checked to be under the specification's 140 characters;
- no iron panel on record: that card says so instead, as info (a chart never tested is the
  usual state, not an alarm; other findings still raise the indicator);
- one more card for each urgent finding, so that a safety stop is never a line inside another
  card's details.

Text that comes from the patient's record (what could not be read, an order's name) is escaped
before it enters Markdown, so a record cannot add links or markup to a card.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Sequence
from typing import Final

from rlsiron import Assessment, AssessmentInput, FindingCode
from rlsiron.core.knowledge.sources import SOURCES
from rlsiron.core.knowledge.thresholds import PROFILES, UNIT_TEXT
from rlsiron.core.models import Decision, Finding, LabValue, Severity
from rlsiron.io.cdshooks.models import SUMMARY_LIMIT, Card, Coding, Indicator, Source
from rlsiron.io.cdshooks.record import Outcome

TOPIC_SYSTEM: Final = "urn:rlsiron:cds-hooks:topic"
IRON_TOPIC: Final = Coding(
    system=TOPIC_SYSTEM, code="iron-therapy", display="Iron therapy in restless legs syndrome"
)
INDICATOR: Final[dict[Severity, Indicator]] = {
    "info": "info",
    "warning": "warning",
    "urgent": "critical",
}
DECISION_WORDS: Final[dict[Decision, str]] = {
    "indicated": "iron therapy indicated",
    "not_indicated": "iron therapy not indicated",
    "contraindicated": "iron therapy contraindicated",
    "test_first": "test before deciding on iron",
}
NO_PANEL: Final = "No iron panel on record: ferritin and TSAT are needed before iron for RLS"
# The profile of a request that could not be assessed: the contract's default.
DEFAULT_PROFILE: Final[str] = AssessmentInput.model_fields["profile"].default
# The catalogue's keys of the two results the decision is named by.
PANEL_TESTS: Final = ("ferritin", "tsat")

_ROUTES: Final = {"oral": "oral", "iv": "IV"}
_ORDER: Final[tuple[Severity, ...]] = ("info", "warning", "urgent")
_DOI: Final = re.compile(r"doi:\s*(10\.[^\s,;]+)")
# Emphasis, code, links and images, HTML and autolinks, headings, tables, strikethrough.
_MARKDOWN: Final = re.compile(r"([\\`*_\[\]<>#|~])")
_WEEK: Final = dt.timedelta(weeks=1)


# --- shared pieces ---------------------------------------------------------------------------


def new_card(summary: str, indicator: Indicator, detail: str, source: Source) -> Card:
    """A card with a fresh uuid (feedback names cards by it)."""
    return Card(
        uuid=uuid.uuid4(), summary=summary, indicator=indicator, detail=detail, source=source
    )


def fit(*summaries: str) -> str:
    """The first summary under the specification's limit (the last is short by design)."""
    return next((s for s in summaries if len(s) < SUMMARY_LIMIT), summaries[-1])


def escaped(text: str) -> str:
    """Text from the record, safe inside Markdown: its marks shown, never interpreted."""
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))


def indicator_of(findings: Iterable[Finding]) -> Indicator:
    severities = [f.severity for f in findings]
    return INDICATOR[max(severities, key=_ORDER.index, default="info")]


def profile_source(profile: str) -> Source:
    """The profile's guideline as the card's source: "rlsiron (AASM 2024 guideline)"."""
    chosen = PROFILES[profile]
    label = f"rlsiron ({chosen.label.removeprefix('the ')})"
    return Source(label=label, url=source_url(chosen.sources), topic=IRON_TOPIC)


def finding_source(finding: Finding) -> Source:
    label = f"rlsiron ({', '.join(finding.sources)})" if finding.sources else "rlsiron"
    topic = Coding(system=TOPIC_SYSTEM, code=finding.code.value, display=finding.title)
    return Source(label=label, url=source_url(finding.sources), topic=topic)


def source_url(ids: Iterable[str]) -> str | None:
    """The DOI link of the first cited work whose citation gives a DOI."""
    for source in ids:
        match = _DOI.search(SOURCES[source])
        if match is not None:
            return "https://doi.org/" + match.group(1).rstrip(".")
    return None


def ago(day: dt.date, today: dt.date) -> str:
    """ "today", "5 days ago", "3 weeks ago", "2 years ago"."""
    days = (today - day).days
    if days <= 0:
        return "today"
    years = today.year - day.year - ((today.month, today.day) < (day.month, day.day))
    if years >= 1:
        return _count(years, "year") + " ago"
    weeks = (today - day) // _WEEK
    return _count(weeks, "week") + " ago" if weeks >= 1 else _count(days, "day") + " ago"


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def lab_text(lab: LabValue) -> str:
    """ "Ferritin 11 µg/L" as the engine used it."""
    return f"{lab.display} {lab.shown} {UNIT_TEXT.get(lab.unit, lab.unit)}".rstrip()


def panel_text(a: Assessment) -> str | None:
    """The panel's results with their age:
    "Ferritin 11 µg/L, Transferrin saturation 10 % (3 weeks ago)"."""
    labs = [lab for lab in a.labs if lab.test in PANEL_TESTS and lab.plausible]
    if not labs:
        return None
    if len({lab.date for lab in labs}) == 1:
        return f"{', '.join(map(lab_text, labs))} ({ago(labs[0].date, a.as_of)})"
    return ", ".join(f"{lab_text(lab)} ({ago(lab.date, a.as_of)})" for lab in labs)


def decision_words(a: Assessment) -> str:
    words = DECISION_WORDS[a.iron_therapy.decision]
    routes = [_ROUTES[r] for r in _ROUTES if r in a.iron_therapy.routes]
    return f"{words}, {' or '.join(routes)}" if routes else words


def section(title: str, lines: Iterable[str]) -> str:
    """A Markdown section: a bold title and a bullet list; empty when there are no lines."""
    items = [f"- {line}" for line in lines]
    return f"**{title}**\n\n" + "\n".join(items) if items else ""


def join(*parts: str) -> str:
    return "\n\n".join(p for p in parts if p)


def findings_section(findings: Sequence[Finding]) -> str:
    return section("Findings", map(_finding_line, findings))


def _finding_line(f: Finding) -> str:
    level = ", expert consensus" if f.evidence_level == "expert_consensus" else ""
    cited = f" [{', '.join(f.sources)}]" if f.sources else ""
    return f"**{f.title}** ({f.severity}{level}): {f.detail}{cited}"


def sources_section(ids: Iterable[str]) -> str:
    unique = dict.fromkeys(ids)
    return section("Sources", (f"{s}: {SOURCES[s]}" for s in unique))


def results_section(a: Assessment) -> str:
    rows = [
        f"| {lab.display} | {lab.shown} {UNIT_TEXT.get(lab.unit, lab.unit)} | "
        f"{lab.date.isoformat()} ({ago(lab.date, a.as_of)}) | "
        f"{'' if lab.plausible else 'implausible for its unit: not used'} |"
        for lab in a.labs
    ]
    if not rows:
        return ""
    header = f"**Latest results** (as used on {a.as_of.isoformat()})\n\n"
    return header + "| Test | Result | Drawn | Note |\n|---|---|---|---|\n" + "\n".join(rows)


def decision_section(a: Assessment) -> str:
    therapy = a.iron_therapy
    head = f"**Decision: {decision_words(a)}.** {therapy.why}"
    rule = f"Rule `{therapy.rule}` of {PROFILES[a.profile].label}."
    options = section(
        f"Options the guideline names ({', '.join(therapy.sources)})", therapy.options
    )
    return join(head, rule, options)


def not_used_section(lines: Iterable[str]) -> str:
    return section("Not used from the record", map(escaped, lines))


def full_detail(a: Assessment, not_used: Sequence[str]) -> str:
    """The decision, the results, every finding, what was left out, the sources."""
    next_tests = section(
        "Next tests",
        (f"{', '.join(t.tests)} by {t.due.isoformat()}: {t.why}" for t in a.next_tests),
    )
    cited = [*a.iron_therapy.sources, *(s for f in a.findings for s in f.sources)]
    return join(
        decision_section(a),
        results_section(a),
        findings_section(a.findings),
        next_tests,
        not_used_section(not_used),
        sources_section(cited),
        f"*{a.disclaimer}*",
    )


def info_card(summary: str, heading: str, lines: Iterable[str]) -> Card:
    """What stopped the assessment, as info: the record's words escaped."""
    detail = join(section(heading, map(escaped, lines)), "No iron assessment was made.")
    return new_card(fit(summary), "info", detail, profile_source(DEFAULT_PROFILE))


# --- patient-view ----------------------------------------------------------------------------


def patient_view_cards(outcome: Outcome) -> tuple[Card, ...]:
    a = outcome.assessment
    if a is None:
        return (
            info_card(
                "Iron status not assessed: the record lacks what the assessment needs",
                "What is missing or could not be read",
                outcome.not_assessed + outcome.not_used,
            ),
        )
    return (
        decision_card(a, outcome.not_used),
        *(urgent_card(f, a) for f in a.findings if f.severity == "urgent"),
    )


def decision_card(a: Assessment, not_used: Sequence[str]) -> Card:
    detail = full_detail(a, not_used)
    source = profile_source(a.profile)
    panel = panel_text(a)
    if panel is None:
        others = [f for f in a.findings if f.code != FindingCode.LABS_MISSING]
        return new_card(NO_PANEL, indicator_of(others), detail, source)
    words = decision_words(a)
    cited = f" ({', '.join(a.iron_therapy.sources)})" if a.iron_therapy.sources else ""
    summary = fit(f"{panel}: {words}{cited}", f"{panel}: {words}", f"Iron status: {words}")
    return new_card(summary, indicator_of(a.findings), detail, source)


def urgent_card(finding: Finding, a: Assessment) -> Card:
    detail = join(
        f"**{finding.title}.** {finding.detail}",
        f"Decision on {a.as_of.isoformat()}: {decision_words(a)}.",
        sources_section(finding.sources),
    )
    summary = fit(finding.title, f"Urgent finding: {finding.code.value}")
    return new_card(summary, "critical", detail, finding_source(finding))
