"""Assessment -> Markdown, to paste into a message or print for the doctor."""

from __future__ import annotations

from rlsiron.core.knowledge.sources import SOURCES
from rlsiron.core.models import Assessment
from rlsiron.report.summary import (
    anemia_line,
    evidence_note,
    headline,
    lab_line,
    profile_line,
    rls_line,
)


def render_markdown(a: Assessment) -> str:
    out: list[str] = [f"# RLS iron assessment ({a.as_of.isoformat()})", ""]
    out += [f"> {a.disclaimer}", ""]
    out += [f"## {headline(a)}", "", a.iron_therapy.why, ""]
    out += [f"Profile: {profile_line(a)} · rule: `{a.iron_therapy.rule}`", ""]
    out += ["## Results used", "", "| Test | Value | Date | Note |", "|---|---|---|---|"]
    out += [f"| {' | '.join(_cell(c) for c in lab_line(lab))} |" for lab in a.labs]
    out += ["", f"- {anemia_line(a)}"]
    rls = rls_line(a)
    if rls:
        out.append(f"- {rls}")
    out += ["", "## Findings", ""]
    for f in a.findings:
        out.append(
            f"- **{f.title}** ({f.severity}{evidence_note(f, in_brackets=True)}, `{f.code}`): {f.detail}"
            + (f" [{', '.join(f.sources)}]" if f.sources else "")
        )
    out.append("")
    for section in a.plan.sections if a.plan else ():
        out += [f"## {section.title}", ""]
        out += [f"- {item}" for item in section.items]
        out.append("")
    cited = sorted({s for f in a.findings for s in f.sources} | set(a.iron_therapy.sources))
    out += ["## Sources", ""]
    out += [f"- **{s}**: {SOURCES.get(s, s)}" for s in cited]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|") or " "
