"""Assessment -> a readable, coloured terminal report (rich), fit for 80 columns."""

from __future__ import annotations

from typing import IO

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rlsiron.core.models import Assessment
from rlsiron.report.summary import (
    anemia_line,
    evidence_note,
    headline,
    lab_line,
    profile_line,
    rls_line,
)

_DECISION_STYLE = {
    "indicated": "bold yellow",
    "not_indicated": "bold green",
    "contraindicated": "bold red",
    "test_first": "bold cyan",
}
_SEVERITY_STYLE = {"urgent": "bold red", "warning": "yellow", "info": "cyan"}


def render_terminal(a: Assessment, out: IO[str], *, width: int | None = None) -> None:
    console = Console(file=out, width=width or min(Console(file=out).width, 100))
    console.print(
        Text(
            f"RLS iron assessment · {a.as_of.isoformat()} · profile {profile_line(a)}", style="bold"
        )
    )
    console.print(
        Panel(
            Group(
                Text(headline(a), style=_DECISION_STYLE[a.iron_therapy.decision]),
                Text(a.iron_therapy.why),
            ),
            border_style=_DECISION_STYLE[a.iron_therapy.decision].split()[-1],
        )
    )
    table = Table(title="Results used", title_justify="left", expand=False)
    for column in ("Test", "Value", "Date", "Note"):
        table.add_column(column)
    for lab in a.labs:
        table.add_row(*lab_line(lab))
    console.print(table)
    console.print(anemia_line(a))
    rls = rls_line(a)
    if rls:
        console.print(rls)
    console.print()
    console.print(Text("Findings", style="bold underline"))
    findings = []
    for f in a.findings:
        line = Text(
            f"[{f.severity}] {f.title}{evidence_note(f)}", style=_SEVERITY_STYLE[f.severity]
        )
        line.append(f": {f.detail} ")
        if f.sources:
            line.append(f"({', '.join(f.sources)})", style="dim")
        findings.append(line)
    console.print(_bullets(findings))
    for section in a.plan.sections if a.plan else ():
        console.print()
        console.print(Text(section.title, style="bold underline"))
        console.print(_bullets([Text(item) for item in section.items]))


def _bullets(lines: list[Text]) -> Table:
    """A bullet list whose wrapped lines stay indented under their text."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=1)
    grid.add_column()
    for line in lines:
        grid.add_row("•", line)
    return grid
