"""An import as a person checks it before using it: what was read, from where, what was not.

Each result shows the value as printed, the value the engine will use (canonical unit) and
the file and place it came from; then what needs review, what could not be read, and the
names that were not read because rlsiron does not use those tests.
"""

from __future__ import annotations

from typing import IO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.io.merge import ImportResult

_SKIPPED_SHOWN = 10  # names listed before "and N more"


def render_preview(result: ImportResult, out: IO[str], *, width: int | None = None) -> None:
    console = Console(file=out, width=width or min(Console(file=out).width, 120))
    marks = _file_marks(result)
    for name, fmt in result.formats.items():
        mark = f"{marks[name]} " if len(marks) > 1 else ""
        console.print(Text(f"{mark}{name} ({fmt or 'not read'})", style="bold"))
    person = result.document["person"]
    if person:
        console.print(
            "Person: " + ", ".join(f"{k.replace('_', ' ')} {_listed(v)}" for k, v in person.items())
        )
    if result.document.get("medications"):
        console.print("Medications: " + "; ".join(result.document["medications"]))
    console.print(_results_table(result, marks))
    _review(result, console)
    for problem in result.problems:
        console.print(Text(f"not read: {problem.describe()}", style="red"))
    if result.skipped:
        names = [f"{name} ×{count}" for name, count in result.skipped.most_common(_SKIPPED_SHOWN)]
        more = len(result.skipped) - len(names)
        tail = f", and {more} more" if more > 0 else ""
        console.print(
            Text(
                f"Not used (tests rlsiron does not read, or results the lab withdrew): "
                f"{', '.join(names)}{tail}",
                style="dim",
            )
        )


def _file_marks(result: ImportResult) -> dict[str, str]:
    """Short marks for the files ("[1]", "[2]"), so that each row names its file briefly."""
    return {name: f"[{number}]" for number, name in enumerate(result.formats, start=1)}


def _results_table(result: ImportResult, marks: dict[str, str]) -> Table:
    table = Table(title=f"Results read: {len(result.labs)}", title_justify="left")
    table.add_column("Date", no_wrap=True)
    for column in ("Test", "As printed (range, flag)", "Used as", "From"):
        table.add_column(column)
    several = len(marks) > 1
    for lab in result.labs:
        row = lab.row
        printed = f"{_value(row['value'])} {row.get('unit') or ''}".strip()
        extras = [part for part in (_range(row.get("reference_range")), row.get("flag")) if part]
        if extras:
            printed += f" ({', '.join(extras)})"
        used = lab.canonical if lab.plausible else f"{lab.canonical}: implausible in its unit"
        where = "; ".join(f"{marks[o.file]} {o.at}" if several else o.at for o in lab.origins)
        table.add_row(
            row["date"],
            ANALYTES[row["test"]].display,
            printed,
            Text(used, style="" if lab.plausible else "bold red"),
            where,
        )
    return table


def _review(result: ImportResult, console: Console) -> None:
    for item in result.document["needs_review"]:
        origin = item["origin"]
        text = f" «{origin['text']}»" if origin.get("text") else ""
        console.print(
            Text(
                f"needs review: {origin['file']}: {origin['at']}{text}: {item['reason']}", "yellow"
            )
        )


def _listed(value: object) -> str:
    return "; ".join(map(str, value)) if isinstance(value, list) else str(value)


def _value(value: object) -> str:
    if isinstance(value, dict):
        return f"{value.get('comparator') or ''}{value['value']}"
    return str(value)


def _range(given: object) -> str:
    if isinstance(given, dict):
        low, high = given.get("low"), given.get("high")
        if low is not None and high is not None:
            return f"{low:g}-{high:g}"
        return f"≥{low:g}" if low is not None else f"≤{high:g}"
    return "" if given is None else str(given)
