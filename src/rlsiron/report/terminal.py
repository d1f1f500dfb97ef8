"""Assessment -> a readable, coloured terminal report (rich), fit for 80 columns."""

from __future__ import annotations

from typing import IO

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rlsiron.core.models import Assessment
from rlsiron.report.summary import anemia_line, headline, lab_line, rls_line

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
        Text(f"RLS iron assessment · {a.as_of.isoformat()} · profile {a.profile}", style="bold")
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
    for f in a.findings:
        line = Text("• ")
        line.append(f"[{f.severity}] {f.title}", style=_SEVERITY_STYLE[f.severity])
        line.append(f": {f.detail} ")
        line.append(f"({', '.join(f.sources)})", style="dim")
        console.print(line)
    for section in a.plan.sections:
        console.print()
        console.print(Text(section.title, style="bold underline"))
        for item in section.items:
            console.print(Text("• " + item))
