"""The `rlsiron` command: parses arguments, calls the core, renders. Nothing else.

Heavy modules (pydantic models, rich) are imported inside the commands: the cold
start of one assessment is a measured target (benchmarks/bench_assess.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from rlsiron.core.models import Assessment, AssessmentInput


class ExitStatus(IntEnum):
    """Exit statuses other than success (0)."""

    BAD_INPUT = 2


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


@dataclass
class Environment:
    """Where the CLI reads and writes and what "today" is; tests replace any of them.

    Streams left as None follow sys.* at the moment of use, so click's test runner,
    which swaps sys.stdout, sees everything.
    """

    stdin_override: IO[str] | None = None
    stdout_override: IO[str] | None = None
    stderr_override: IO[str] | None = None
    today_override: dt.date | None = None

    @property
    def stdin(self) -> IO[str]:
        return self.stdin_override or sys.stdin

    @property
    def stdout(self) -> IO[str]:
        return self.stdout_override or sys.stdout

    @property
    def stderr(self) -> IO[str]:
        return self.stderr_override or sys.stderr

    @property
    def today(self) -> dt.date:
        return self.today_override or dt.date.today()


app = typer.Typer(
    name="rlsiron",
    help="Iron and restless legs: an explained, guideline-based assessment and action plan. "
    "Decision support, not a diagnosis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

env = Environment()


def fail(message: str) -> NoReturn:
    """Bad input: the message on stderr, exit status 2, no traceback."""
    env.stderr.write(f"rlsiron: {message}\n")
    raise typer.Exit(ExitStatus.BAD_INPUT)


_QUANTITY = re.compile(r"^\s*((?:<=|>=|≤|≥|<|>)?\s*[-+]?\d+(?:[.,]\d+)?)\s*(.*?)\s*$")


def split_quantity(text: str, option: str) -> tuple[str, str | None]:
    """ "38 ng/mL" -> ("38", "ng/mL"); "18%" -> ("18", "%"); the unit is never guessed."""
    m = _QUANTITY.match(text)
    if not m:
        fail(
            f"{option}: expected a number followed by its unit, received {text!r} "
            '(for example "38 ng/mL" or "18%")'
        )
    return m[1].replace(" ", ""), m[2] or None


def _load_document(source: str) -> object:
    try:
        raw = env.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {source}: {exc.strerror}")
    name = "standard input" if source == "-" else source
    if not raw.strip():
        fail(f"{name} is empty (expected an assessment JSON document)")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        fail(f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")


def _inline_document(
    options: dict[str, tuple[str, str | None]],
    person: dict[str, Any],
    extra: dict[str, Any],
    date: str,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The contract document for results given as options, and the option behind each lab."""
    labs, names = [], []
    for test, (option, text) in options.items():
        if text is None:
            continue
        value, unit = split_quantity(text, option)
        labs.append({"test": test, "value": value, "unit": unit, "date": date})
        names.append(option)
    person = {k: v for k, v in person.items() if v is not None}
    return {"person": person, "labs": labs, **extra}, tuple(names)


_LAB_FIELD = re.compile(r"labs\[(\d+)\](?:\.(?:test|value|unit|date))?")


def _name_options(message: str, options: tuple[str, ...]) -> str:
    """Errors in inline results name the option the user typed, not "labs[1].unit"."""
    if not options:
        return message
    return _LAB_FIELD.sub(lambda m: options[int(m[1])], message)


def _render(assessment: Assessment, fmt: Format, out: IO[str]) -> None:
    if fmt is Format.json:
        out.write(assessment.model_dump_json(indent=2) + "\n")
    elif fmt is Format.markdown:
        from rlsiron.report.markdown import render_markdown

        out.write(render_markdown(assessment))
    else:
        from rlsiron.report.terminal import render_terminal

        render_terminal(assessment, out)


def _run(
    document: object,
    fmt: Format,
    as_of: str | None,
    profile: str | None,
    options: tuple[str, ...] = (),
) -> None:
    from rlsiron.core.assessment.assess import assess
    from rlsiron.core.validation import parse_input
    from rlsiron.errors import RlsironError

    try:
        inp: AssessmentInput = parse_input(document)
        updates: dict[str, Any] = {}
        if as_of is not None:
            updates["as_of"] = _date_option(as_of, "--as-of")
        elif inp.as_of is None:
            updates["as_of"] = env.today
        if profile is not None:
            updates["profile"] = profile
        if updates:
            inp = parse_input({**inp.model_dump(), **updates})
        assessment = assess(inp)
    except RlsironError as exc:
        fail(_name_options(str(exc), options))
    _render(assessment, fmt, env.stdout)


def _date_option(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: {text!r} is not a date (use YYYY-MM-DD)")


def _quantity(example: str) -> Any:
    """The option for one result typed with its unit."""
    return typer.Option(help=f'Value with its unit, e.g. "{example}".')


@app.command()
def assess(
    source: Annotated[
        str | None, typer.Argument(help="Input JSON file (the contract), or - for stdin.")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    as_of: Annotated[str | None, typer.Option(help="Assessment date (default: today).")] = None,
    profile: Annotated[str | None, typer.Option(help="aasm-2024 (default) or seed.")] = None,
    ferritin: Annotated[str | None, _quantity("38 ng/mL")] = None,
    tsat: Annotated[str | None, _quantity("18%")] = None,
    iron: Annotated[str | None, _quantity("9 umol/L")] = None,
    tibc: Annotated[str | None, _quantity("72 umol/L")] = None,
    uibc: Annotated[str | None, _quantity("60 umol/L")] = None,
    transferrin: Annotated[str | None, _quantity("3.2 g/L")] = None,
    hb: Annotated[str | None, _quantity("12.1 g/dL")] = None,
    crp: Annotated[str | None, _quantity("4 mg/L")] = None,
    sex: Annotated[str | None, typer.Option(help="female or male.")] = None,
    age: Annotated[int | None, typer.Option(help="Age in completed years.")] = None,
    pregnancy_weeks: Annotated[
        int | None, typer.Option(help="Completed weeks, if pregnant.")
    ] = None,
    postmenopausal: Annotated[
        bool | None,
        typer.Option(
            "--postmenopausal/--premenopausal",
            help="If not given, inferred from age; the report says so.",
        ),
    ] = None,
    irls: Annotated[int | None, typer.Option(help="IRLS severity total, 0-40.")] = None,
    kidney: Annotated[str | None, typer.Option(help="normal, ckd or dialysis.")] = None,
    diet: Annotated[
        str | None, typer.Option(help="omnivore, pescatarian, vegetarian, vegan.")
    ] = None,
    med: Annotated[list[str] | None, typer.Option(help="A medicine you take (repeatable).")] = None,
    date: Annotated[
        str | None, typer.Option(help="Date of the inline results (default: as-of).")
    ] = None,
) -> None:
    """Assess iron for RLS from a JSON file, stdin, or results given as options."""
    inline = {
        "ferritin": ("--ferritin", ferritin),
        "tsat": ("--tsat", tsat),
        "iron": ("--iron", iron),
        "tibc": ("--tibc", tibc),
        "uibc": ("--uibc", uibc),
        "transferrin": ("--transferrin", transferrin),
        "hemoglobin": ("--hb", hb),
        "crp": ("--crp", crp),
    }
    given = any(text is not None for _, text in inline.values())
    if as_of is not None:
        _date_option(as_of, "--as-of")
    if source is not None:
        if given:
            fail("give either an input file or results as options, not both")
        _run(_load_document(source), fmt, as_of, profile)
        return
    if not given:
        fail("no results given: pass an input file, - for stdin, or options such as --ferritin")
    if date is not None:
        _date_option(date, "--date")
    extra: dict[str, Any] = {"medications": med or []}
    if irls is not None:
        extra["rls"] = {"irls_total": irls}
    if diet is not None:
        extra["diet"] = diet
    document, options = _inline_document(
        inline,
        {
            "age_years": age,
            "sex": sex,
            "pregnancy_weeks": pregnancy_weeks,
            "postmenopausal": postmenopausal,
            "kidney": kidney,
        },
        extra,
        date or as_of or env.today.isoformat(),
    )
    _run(document, fmt, as_of, profile, options)


@app.command()
def demo(
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
) -> None:
    """Assess the built-in example person (the contract's example), to see what the tool does."""
    from importlib.resources import files

    document = json.loads(files("rlsiron").joinpath("examples/demo.json").read_text("utf-8"))
    _run(document, fmt, None, None)


class SchemaKind(StrEnum):
    input = "input"
    output = "output"


@app.command()
def schema(kind: Annotated[SchemaKind, typer.Argument(help="input or output")]) -> None:
    """Print the JSON Schema of the assessment input or output."""
    from rlsiron.core.models import Assessment, AssessmentInput

    model = AssessmentInput if kind is SchemaKind.input else Assessment
    env.stdout.write(json.dumps(model.model_json_schema(), indent=2, ensure_ascii=False) + "\n")


def main() -> None:
    app()
