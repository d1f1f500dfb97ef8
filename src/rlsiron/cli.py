"""The `rlsiron` command: parses arguments, calls the core, renders. Nothing else.

Heavy modules (pydantic models, rich) are imported inside the commands: the cold
start of one assessment is a measured target (benchmarks/bench_assess.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from rlsiron.errors import Problem, RlsironError

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


def split_quantity(text: str) -> tuple[str, str | None]:
    """ "38 ng/mL" -> ("38", "ng/mL"); "18%" -> ("18", "%"); the unit is never guessed.

    Text that does not start with a number is passed on whole as the value, so the engine
    reports it with every other problem, under the option's name.
    """
    m = _QUANTITY.match(text)
    if not m:
        return text, None
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
        value, unit = split_quantity(text)
        labs.append({"test": test, "value": value, "unit": unit, "date": date})
        names.append(option)
    person = {k: v for k, v in person.items() if v is not None}
    return {"person": person, "labs": labs, **extra}, tuple(names)


# Where a problem in a document built from options points, as the option a user typed.
_OPTION_OF_FIELD = {
    "person.sex": "--sex",
    "person.age_years": "--age",
    "person.pregnancy_weeks": "--pregnancy-weeks",
    "person.postmenopausal": "--postmenopausal",
    "person.kidney": "--kidney",
    "person.conditions": "--condition",
    "diet": "--diet",
    "rls.irls_total": "--irls",
    "profile": "--profile",
    "as_of": "--as-of",
    "medications": "--med",
}
_LAB_FIELD = re.compile(r"^labs\[(\d+)\]")
_INDEX = re.compile(r"\[\d+\]$")


def _option_for(location: str, lab_options: tuple[str, ...]) -> str:
    """The option behind a field of a document built from options: labs[1].unit -> --tsat."""
    lab = _LAB_FIELD.match(location)
    if lab is not None:
        return lab_options[int(lab[1])]
    field = _INDEX.sub("", location)
    for prefix, option in _OPTION_OF_FIELD.items():
        if field == prefix or field.startswith(prefix + "."):
            return option
    return location


def _relocated(error: RlsironError, lab_options: tuple[str, ...] | None) -> str:
    """Every problem on its own line; for inline options, located at the option."""
    if lab_options is None:
        return error.describe()
    problems = [_at_option(p, lab_options) for p in error.problems]
    return RlsironError.collect(problems).describe()


def _at_option(problem: Problem, lab_options: tuple[str, ...]) -> Problem:
    option = _option_for(problem.location, lab_options)
    located = problem.at(option)
    if problem.kind == "value_format" and option in _QUANTITY_OPTIONS:
        example = _EXAMPLES[option]
        located = Problem(
            option,
            problem.message,
            problem.received,
            problem.accepted,
            f'give the value and its unit, e.g. {option} "{example}"',
            problem.kind,
        )
    return located


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
    lab_options: tuple[str, ...] | None = None,
) -> None:
    """Validate, assess, render; bad input exits 2 listing every problem."""
    from rlsiron.core.assessment.assess import assess
    from rlsiron.core.validation import parse_input

    try:
        inp: AssessmentInput = parse_input(document)
        if profile is not None:
            inp = parse_input({**inp.model_dump(), "profile": profile})
        day = _assessment_day(as_of, inp.as_of)
        assessment = assess(inp, as_of=day)
    except RlsironError as exc:
        fail(_relocated(exc, lab_options))
    _render(assessment, fmt, env.stdout)


def _assessment_day(option: str | None, in_document: dt.date | None) -> dt.date:
    """--as-of, else the document's as_of, else today, said on stderr (not in the report)."""
    if option is not None:
        return _date_option(option, "--as-of")
    if in_document is not None:
        return in_document
    env.stderr.write(
        f"rlsiron: note: assessing as of today, {env.today.isoformat()} (--as-of sets another day)\n"
    )
    return env.today


def _date_option(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: {text!r} is not a date (use YYYY-MM-DD)")


_SEXES = {"f": "female", "m": "male", "female": "female", "male": "male"}


def _sex(text: str | None) -> str | None:
    """ "F" and "M", as lab reports print them, mean female and male; anything else is checked
    by the model and reported under --sex."""
    return None if text is None else _SEXES.get(text.strip().casefold(), text)


def _stray_word(word: str) -> str:
    """Why a word after the options is refused: never silently read as an input file."""
    if _is_unit(word):
        return (
            f"{word!r} looks like a unit standing apart from its value: write the value and "
            'its unit together, e.g. --hb "121 g/L" (or --hb 121 g/L right after the number)'
        )
    return f"{word!r}: give either an input file or results as options, not both"


def _is_bare_number(text: str) -> bool:
    """A number with no unit after it ("121", "<5")."""
    m = _QUANTITY.match(text)
    return m is not None and not m[2]


def _is_unit(word: str) -> bool:
    from rlsiron.core.labs.units import is_known_unit

    return is_known_unit(word)


# Each result option with an example of a value and its unit (shown in --help and errors).
_EXAMPLES = {
    "--ferritin": "38 ng/mL",
    "--tsat": "18%",
    "--iron": "9 umol/L",
    "--tibc": "72 umol/L",
    "--uibc": "60 umol/L",
    "--transferrin": "3.2 g/L",
    "--hb": "12.1 g/dL",
    "--crp": "4 mg/L",
}
_QUANTITY_OPTIONS = frozenset(_EXAMPLES)


def join_value_units(args: Sequence[str]) -> list[str]:
    """["--hb", "121", "g/L"] -> ["--hb", "121 g/L"]: a unit typed as its own word.

    Only a known unit right after a bare number of a result option is joined; anything
    else is left for the command to read or refuse by name.
    """
    joined: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        if (
            word in _QUANTITY_OPTIONS
            and i + 2 < len(args)
            and _is_bare_number(args[i + 1])
            and not args[i + 2].startswith("--")
            and _is_unit(args[i + 2])
        ):
            joined += [word, f"{args[i + 1]} {args[i + 2]}"]
            i += 3
            continue
        joined.append(word)
        i += 1
    return joined


def _quantity(option: str) -> Any:
    """The option for one result typed with its unit."""
    return typer.Option(help=f'Value with its unit, e.g. "{_EXAMPLES[option]}".')


@app.command()
def assess(
    source: Annotated[
        str | None, typer.Argument(help="Input JSON file (the contract), or - for stdin.")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    as_of: Annotated[str | None, typer.Option(help="Assessment date (default: today).")] = None,
    profile: Annotated[
        str | None,
        typer.Option(help="aasm-2024 (default) or ferritin-50 (alias seed): ferritin below 50."),
    ] = None,
    ferritin: Annotated[str | None, _quantity("--ferritin")] = None,
    tsat: Annotated[str | None, _quantity("--tsat")] = None,
    iron: Annotated[str | None, _quantity("--iron")] = None,
    tibc: Annotated[str | None, _quantity("--tibc")] = None,
    uibc: Annotated[str | None, _quantity("--uibc")] = None,
    transferrin: Annotated[str | None, _quantity("--transferrin")] = None,
    hb: Annotated[str | None, _quantity("--hb")] = None,
    crp: Annotated[str | None, _quantity("--crp")] = None,
    sex: Annotated[
        str | None, typer.Option(help="female or male (F or M as reports print it).")
    ] = None,
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
    condition: Annotated[
        list[str] | None,
        typer.Option(help="A condition you have, e.g. coeliac disease (repeatable)."),
    ] = None,
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
            fail(_stray_word(source))
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
            "sex": _sex(sex),
            "pregnancy_weeks": pregnancy_weeks,
            "postmenopausal": postmenopausal,
            "kidney": kidney,
            "conditions": condition or [],
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


def main(argv: Sequence[str] | None = None) -> None:
    """The console script: a unit typed apart from its value is joined back first."""
    app(args=join_value_units(sys.argv[1:] if argv is None else argv))
