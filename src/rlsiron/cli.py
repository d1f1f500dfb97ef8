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

from rlsiron import cli_admin, cli_diet, cli_ops, cli_screen
from rlsiron.errors import Problem, RlsironError

if TYPE_CHECKING:
    from rlsiron.core.models import Assessment, AssessmentInput
    from rlsiron.io.extract import ReadableFormat
    from rlsiron.io.merge import ImportResult
    from rlsiron.web.settings import Settings


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
    now_override: dt.datetime | None = None

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

    @property
    def now(self) -> dt.datetime:
        """This moment with its time zone (a FHIR instant needs one)."""
        return self.now_override or dt.datetime.now(dt.UTC)


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
    """The JSON document of stdin (`-`) or a file, read once."""
    try:
        raw = env.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {source}: {exc.strerror}")
    return _parsed(raw, "standard input" if source == "-" else source)


def _parsed(raw: str, name: str) -> object:
    if not raw.strip():
        fail(f"{name} is empty (expected an assessment JSON document)")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        fail(f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")


def _source_document(source: str) -> object:
    """The contract document of an input file: as it is, or imported from another format.

    The file is read once; JSON is parsed once (a contract document, the measured cold
    start, needs nothing more). Only other formats go through the importers.
    """
    if source == "-":
        return _load_document(source)
    from rlsiron.io.detect import detect, json_format

    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {source}: {exc.strerror}")
    if data.lstrip()[:1] in (b"{", b"["):
        try:
            document = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            document = None  # NDJSON, or broken JSON: detection decides below
        if document is not None and json_format(document) == "contract":
            return document
    if detect(data, path.name) in (None, "contract"):
        try:
            return _parsed(data.decode("utf-8-sig"), source)
        except UnicodeDecodeError:
            fail(f"{source} is not UTF-8 text (expected an assessment JSON document)")
    return _imported([path], None, None, None).document


def _imported(
    paths: list[Path], forced: str | None, date_format: str | None, patient: str | None
) -> ImportResult:
    """Import, with every problem and item for review said on stderr; exit 2 if nothing read."""
    from rlsiron.io.importer import ReadOptions, import_files

    result = import_files(
        paths,
        forced=_readable_format(forced),
        options=ReadOptions(date_format=date_format, patient=patient),
    )
    for problem in result.problems:
        env.stderr.write(f"rlsiron: not read: {problem.describe()}\n")
    for item in result.document["needs_review"]:
        origin = item["origin"]
        env.stderr.write(
            f"rlsiron: needs review, not used: {origin['file']}: {origin['at']}: {item['reason']}\n"
        )
    if not result.usable:
        fail("nothing usable was read from " + ", ".join(str(p) for p in paths))
    return result


def _readable_format(name: str | None) -> ReadableFormat | None:
    from rlsiron.io.importer import FORMATS

    if name is None:
        return None
    for fmt in FORMATS:
        if fmt == name:
            return fmt
    fail(f"--from: {name!r} is not a format rlsiron reads; accepted: {', '.join(FORMATS)}")


def _with_options(
    document: object,
    person: dict[str, Any],
    *,
    conditions: list[str],
    medications: list[str],
    extra: dict[str, Any],
) -> object:
    """A file's document with what the options add; an option that contradicts the file fails."""
    if not isinstance(document, dict):
        return document  # validation reports what the document should be
    filled = dict(document.get("person") or {})
    for key, value in person.items():
        if value is None:
            continue
        if key in filled and filled[key] != value:
            option = _OPTION_OF_FIELD[f"person.{key}"]
            fail(f"{option} {value} contradicts the file, which gives person.{key} {filled[key]}")
        filled[key] = value
    if conditions:
        filled["conditions"] = [*filled.get("conditions", []), *conditions]
    result = {**document, "person": filled}
    if medications:
        result["medications"] = [*document.get("medications", []), *medications]
    for key, value in extra.items():
        if value is not None:
            result[key] = value
    return result


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
    _, assessment = _assessed(document, as_of, profile, lab_options)
    _render(assessment, fmt, env.stdout)


def _assessed(
    document: object,
    as_of: str | None,
    profile: str | None,
    lab_options: tuple[str, ...] | None = None,
) -> tuple[AssessmentInput, Assessment]:
    """The validated input and its assessment; bad input exits 2 listing every problem."""
    from rlsiron.core.assessment.assess import assess
    from rlsiron.core.validation import parse_input

    day = _assessment_day(as_of, _document_day(document))
    try:
        if profile is not None and isinstance(document, dict):
            document = {**document, "profile": profile}
        inp: AssessmentInput = parse_input(document, as_of=day or env.today)
        if day is None:
            env.stderr.write(
                f"rlsiron: note: assessing as of today, {env.today.isoformat()} "
                "(--as-of sets another day)\n"
            )
        assessment = assess(inp, as_of=day or env.today)
    except RlsironError as exc:
        fail(_relocated(exc, lab_options))
    return inp, assessment


def _document_day(document: object) -> dt.date | None:
    """The document's own as_of, if it is a valid date (validation reports it otherwise)."""
    given = document.get("as_of") if isinstance(document, dict) else None
    try:
        return dt.date.fromisoformat(given) if isinstance(given, str) else None
    except ValueError:
        return None


def _assessment_day(option: str | None, in_document: dt.date | None) -> dt.date | None:
    """--as-of, else the document's as_of; None means today (said on stderr, not in the report)."""
    if option is not None:
        return _date_option(option, "--as-of")
    return in_document


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
        str | None,
        typer.Argument(
            help="Input file: the contract JSON (- for stdin), or any file rlsiron import "
            "reads (FHIR, HL7 v2, CSV/TSV/XLSX, lab-report PDF or text)."
        ),
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
    """Assess iron for RLS from a file, stdin, or results given as options.

    With a file, --sex, --age and the other facts about the person fill what the file
    does not say; a fact that contradicts the file is an error.
    """
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
    person_options = {
        "age_years": age,
        "sex": _sex(sex),
        "pregnancy_weeks": pregnancy_weeks,
        "postmenopausal": postmenopausal,
        "kidney": kidney,
    }
    if source is not None:
        if given:
            fail(_stray_word(source))
        document = _with_options(
            _source_document(source),
            person_options,
            conditions=condition or [],
            medications=med or [],
            extra={"diet": diet} | ({"rls": {"irls_total": irls}} if irls is not None else {}),
        )
        _run(document, fmt, as_of, profile)
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
        {**person_options, "conditions": condition or []},
        extra,
        date or as_of or env.today.isoformat(),
    )
    _run(document, fmt, as_of, profile, options)


class ImportOutput(StrEnum):
    table = "table"
    json = "json"


@app.command("import")
def import_(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Files of one person: FHIR JSON, HL7 v2, CSV/TSV/XLSX, PDF or text."),
    ],
    fmt: Annotated[
        ImportOutput,
        typer.Option(
            "--format", "-f", help="table: what was read, from where; json: the document."
        ),
    ] = ImportOutput.table,
    from_: Annotated[
        str | None,
        typer.Option("--from", help="Force the format: fhir, hl7v2, table, pdf or text."),
    ] = None,
    date_format: Annotated[
        str | None,
        typer.Option(help='How to read dates such as 03/04/2025, e.g. "%d/%m/%Y".'),
    ] = None,
    patient: Annotated[
        str | None, typer.Option(help="The patient id to read from a file that holds several.")
    ] = None,
) -> None:
    """Read results from files and show what was understood, before anything is used.

    --format json prints the contract input document (with provenance and the items that
    need review), which `rlsiron assess -` reads unchanged.
    """
    result = _imported(paths, from_, date_format, patient)
    if fmt is ImportOutput.json:
        env.stdout.write(json.dumps(result.document, indent=2, ensure_ascii=False) + "\n")
        return
    from rlsiron.io.preview import render_preview

    render_preview(result, env.stdout)


class ExportTarget(StrEnum):
    fhir = "fhir"


@app.command()
def export(
    target: Annotated[ExportTarget, typer.Argument(help="fhir: a FHIR R4 Bundle (JSON).")],
    source: Annotated[
        str, typer.Argument(help="Input file of any format assess reads, or - for stdin.")
    ],
    as_of: Annotated[str | None, typer.Option(help="Assessment date (default: today).")] = None,
    sex: Annotated[
        str | None, typer.Option(help="female or male, if the file does not say.")
    ] = None,
    age: Annotated[int | None, typer.Option(help="Age, if the file does not say.")] = None,
) -> None:
    """Assess a file and write the assessment for an EHR: Observations, the decision as a
    RiskAssessment, safety findings as DetectedIssues and the plan as a CarePlan."""
    if as_of is not None:
        _date_option(as_of, "--as-of")
    document = _with_options(
        _source_document(source),
        {"sex": _sex(sex), "age_years": age},
        conditions=[],
        medications=[],
        extra={},
    )
    inp, assessment = _assessed(document, as_of, None)
    from rlsiron.io.fhir_export import export_bundle

    exporters = {ExportTarget.fhir: export_bundle}  # one target so far; more will join it
    bundle = exporters[target](inp, assessment, now=env.now)
    env.stdout.write(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n")


@app.command("cds-hooks")
def cds_hooks(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8010,
    feedback: Annotated[
        Path | None,
        typer.Option(help="Append the clinicians' card feedback to this JSONL file."),
    ] = None,
) -> None:
    """Run the CDS Hooks 2.0 service on its own (discovery at /cds-services)."""
    import uvicorn

    from rlsiron.io.cdshooks.feedback import InMemoryFeedbackStore, JsonlFeedbackStore
    from rlsiron.io.cdshooks.router import create_app

    store = InMemoryFeedbackStore() if feedback is None else JsonlFeedbackStore(feedback)
    env.stderr.write(f"rlsiron: CDS Hooks service at http://{host}:{port}/cds-services\n")
    uvicorn.run(create_app(feedback=store), host=host, port=port, log_level="warning")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where the SQLite database and the app's key live (default: the "
            "user's data directory; DATABASE_URL=postgresql://... serves many people)."
        ),
    ] = None,
    demo: Annotated[
        bool, typer.Option(help="Add the demo person (two years of history) if not there yet.")
    ] = False,
) -> None:
    """Run the app: the JSON API at /api/v1 and the CDS Hooks service at /cds-services."""
    import uvicorn

    from rlsiron.web.app import create_app
    from rlsiron.web.settings import Settings

    settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
    application = create_app(settings)  # migrates the database first
    env.stderr.write(f"rlsiron: serving http://{host}:{port}/ (Ctrl-C stops it)\n")
    if demo:
        _seed_demo(settings)
    from rlsiron.web.logs import LOG_CONFIG

    # uvicorn's own access log prints raw paths, queries and addresses: the app logs requests
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_config=LOG_CONFIG,
        log_level="warning",
        access_log=False,
    )


def _seed_demo(settings: Settings) -> None:
    """The demo person in the app's database, and how to sign in as them."""
    from rlsiron.store import Database
    from rlsiron.web.demo import demo_history, seed_demo
    from rlsiron.web.passwords import Passwords

    history = demo_history()
    database = Database.open(settings.database())
    try:
        seed_demo(database, env.today, Passwords().hash(history.password))
    finally:
        database.close()
    env.stderr.write(
        f"rlsiron: sign in as {history.email} with the password {history.password!r}\n"
    )


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


cli_admin.register(app)  # rlsiron admin ...: the clinic's first administrator, passwords
cli_ops.register(app)  # rlsiron backup / restore
cli_diet.register(app)  # rlsiron foods / meal / plan-day
cli_screen.register(app)  # rlsiron screen


def main(argv: Sequence[str] | None = None) -> None:
    """The console script: a unit typed apart from its value is joined back first."""
    app(args=join_value_units(sys.argv[1:] if argv is None else argv))
