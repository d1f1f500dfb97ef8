"""`rlsiron screen`: care gaps for a population, with the engine's own rules.

    rlsiron screen --labs labs.parquet --patients patients.csv --out gaps.parquet
    rlsiron screen --labs 'postgresql://…/clinic?table=lab_results' --patients … --engine postgres
    rlsiron screen … --engine spark
    rlsiron screen … --explain flagged.jsonl

Screener modules (Ibis, DuckDB, PySpark) are imported inside the command: `rlsiron` imports
this module at start, and the cold start of an assessment is a measured target.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from rlsiron.screen.run import Request, Summary
    from rlsiron.screen.sources import Connection

_MAP_HELP = "A column under another name: OURS=THEIRS (repeatable), e.g. value=result."


def screen(
    labs: Annotated[
        str, typer.Option(help="Lab results: a .parquet/.csv file or postgresql://…?table=NAME.")
    ],
    patients: Annotated[
        str, typer.Option(help="RLS patients: a .parquet/.csv file or postgresql://…?table=NAME.")
    ],
    out: Annotated[
        Path, typer.Option(help="One row per patient: .parquet or .csv (by extension).")
    ],
    engine: Annotated[
        str, typer.Option(help="duckdb (embedded, default), postgres (in place) or spark.")
    ] = "duckdb",
    rejects: Annotated[
        Path | None,
        typer.Option(help="Unreadable rows with their reasons (default: beside --out)."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day screened, YYYY-MM-DD (default: today).")
    ] = None,
    profile: Annotated[str, typer.Option(help="aasm-2024 (default) or ferritin-50.")] = "aasm-2024",
    lab_column: Annotated[list[str] | None, typer.Option(help=_MAP_HELP)] = None,
    patient_column: Annotated[list[str] | None, typer.Option(help=_MAP_HELP)] = None,
    explain: Annotated[
        Path | None, typer.Option(help="JSON Lines: the full assessment of each flagged patient.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Processes for --explain (default: all cores).")
    ] = None,
    memory_limit: Annotated[
        str | None, typer.Option(help="DuckDB's memory limit before it spills to disk, e.g. 4GB.")
    ] = None,
) -> None:
    """Find care gaps in a population: no recent iron panel, iron below the RLS target with
    no iron course, a recheck due on iron, or a safety flag."""
    from rlsiron import cli
    from rlsiron.core.knowledge.thresholds import PROFILES
    from rlsiron.errors import RlsironError
    from rlsiron.screen.sources import (
        LAB_COLUMNS,
        PATIENT_COLUMNS,
        connect,
        parse_mapping,
        parse_source,
    )

    try:
        day = cli.env.today if as_of is None else cli._date_option(as_of, "--as-of")
        if profile not in PROFILES:
            raise RlsironError(
                "unknown profile", field="--profile", value=profile, accepted=tuple(PROFILES)
            )
        labs_source = parse_source(labs, option="--labs")
        patients_source = parse_source(patients, option="--patients")
        from rlsiron.screen.run import Request, check_request

        request = Request(
            labs=labs_source,
            patients=patients_source,
            out=out,
            rejects=rejects or out.with_name(f"{out.stem}.rejects{out.suffix}"),
            as_of=day,
            profile=profile,
            lab_columns=parse_mapping(lab_column or [], LAB_COLUMNS, option="--lab-column"),
            patient_columns=parse_mapping(
                patient_column or [], PATIENT_COLUMNS, option="--patient-column"
            ),
        )
        check_request(request)
        if explain is not None and explain.suffix.lower() != ".jsonl":
            raise RlsironError(
                "--explain writes JSON Lines",
                field="--explain",
                value=str(explain),
                accepted=("a .jsonl file",),
            )
        connection = connect(engine, [labs_source, patients_source], memory_limit=memory_limit)
        summary = _run_with_progress(connection, request)
    except RlsironError as error:
        cli.fail(str(error))
    _print_summary(summary, request.out, request.rejects)
    if explain is not None:
        _explain(connection, request, explain, workers)


def _run_with_progress(connection: Connection, request: Request) -> Summary:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from rlsiron import cli
    from rlsiron.screen.run import run

    with Progress(
        TextColumn("screening"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_console(cli.env.stderr),
        transient=True,
    ) as bar:
        task = bar.add_task("screen", total=None)
        return run(
            connection,
            request,
            progress=lambda rows: bar.advance(task, rows),
            started=lambda total: bar.update(task, total=total),
        )


def _console(stream: IO[str]) -> Console:
    from rich.console import Console

    return Console(file=stream)


def _print_summary(summary: Summary, out: Path, rejects: Path) -> None:
    from rich.table import Table

    from rlsiron import cli
    from rlsiron.screen.outcome import care_gaps

    console = _console(cli.env.stdout)
    meanings = {gap.id: gap.meaning for gap in care_gaps()}
    table = Table(title=f"{summary.screened:,} patients screened ({summary.lab_rows:,} lab rows)")
    table.add_column("care gap")
    table.add_column("patients", justify="right")
    table.add_column("share", justify="right")
    table.add_column("meaning")
    for gap, count in summary.by_care_gap.items():
        share = f"{count / summary.screened:.1%}" if summary.screened else "-"
        table.add_row(gap, f"{count:,}", share, meanings[gap])
    console.print(table)
    decisions = ", ".join(f"{d.replace('_', ' ')} {n:,}" for d, n in summary.by_decision.items())
    console.print(f"Decisions: {decisions}")
    console.print(f"Written: {out}")
    if summary.rejects:
        console.print(f"{summary.rejects:,} rows set aside, with their reasons, in {rejects}:")
        for reason, count in summary.rejects_by_reason[:5]:
            console.print(f"  {count:>8,}  {reason[:110]}")
    console.print("Decision support, not a diagnosis: every flag is for a clinician to review.")


def _explain(connection: Connection, request: Request, path: Path, workers: int | None) -> None:
    from rlsiron import cli
    from rlsiron.screen.explain import documents, explain
    from rlsiron.screen.run import build, flagged_ids

    plan = build(connection, request)
    ids = list(flagged_ids(request.out))
    written = explain(
        documents(connection, plan.patients, plan.rows, request.profile, ids),
        request.as_of,
        path,
        workers,
    )
    cli.env.stdout.write(f"Explained {written:,} flagged patients in {path}\n")


def register(app: typer.Typer) -> None:
    """Adds `screen` to the `rlsiron` command."""
    app.command()(screen)
