"""The `rlsiron` command as a user runs it: reports, the JSON contract, schemas, bad input.

Most tests drive `rlsiron.cli.app` in-process with Typer's CliRunner (stdout and stderr kept
apart); a few start a real process to prove the exit status and that no traceback escapes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner, Result

from rlsiron import cli
from rlsiron.report.summary import DECISION_HEADLINE
from tests.conftest import REPO, assess_document, load_vignettes

TODAY = dt.date(2026, 11, 20)
WIDTH = 80

# The contract's example input (shared/contract/README.md), as a user would save it.
LABS: dict[str, Any] = {
    "as_of": "2026-11-20",
    "profile": "aasm-2024",
    "person": {
        "age_years": 42,
        "sex": "female",
        "weight_kg": 61,
        "pregnancy_weeks": None,
        "postmenopausal": False,
        "kidney": "normal",
        "conditions": ["rheumatoid_arthritis"],
    },
    "labs": [
        {"test": "ferritin", "value": 28, "unit": "ng/mL", "date": "2026-11-02"},
        {"test": "2502-3", "value": "18", "unit": "%", "date": "2026-11-02"},
        {
            "test": "hemoglobin",
            "value": 7.8,
            "unit": "mmol/L",
            "date": "2026-11-02",
            "reference_range": "7.4-9.9",
        },
        {"test": "ferritin", "value": 115, "unit": "ug/L", "date": "2026-05-02", "assay": "roche"},
    ],
    "rls": {
        "criteria": {
            "urge": True,
            "rest": True,
            "movement_relief": True,
            "evening": True,
            "not_mimic": True,
        },
        "irls_total": 24,
        "episodes_per_week": 5,
    },
    "symptoms": ["chronic_fatigue", "cold_extremities"],
    "medications": ["sertraline 50 mg", "Benadryl"],
    "iron_therapy": [
        {"route": "oral", "product": "ferrous sulfate", "started": "2026-08-01", "ended": None}
    ],
    "diet": "vegetarian",
}

# The inline example.
INLINE = ["--ferritin", "38 ng/mL", "--tsat", "18%", "--hb", "12.1 g/dL"]
PERSON = ["--sex", "female", "--age", "42"]

# A terminal of 80 columns, no forced colour, whatever the machine running the tests has.
TERMINAL_ENV: dict[str, str | None] = {"COLUMNS": str(WIDTH), "LINES": "50", "FORCE_COLOR": None}

PLAN_SECTION_IDS = {"iron", "diet", "lifestyle", "medications", "monitoring", "see_a_doctor"}
BOX_DRAWING = re.compile("[\u2500-\u257f]")

runner = CliRunner()


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's "today" is injectable; every test runs on the same day."""
    monkeypatch.setattr(cli.env, "today_override", TODAY)


@pytest.fixture
def labs_file(tmp_path: Path) -> Path:
    path = tmp_path / "labs.json"
    path.write_text(json.dumps(LABS, indent=2), encoding="utf-8")
    return path


def run(args: Sequence[str], *, stdin: str | None = None) -> Result:
    return runner.invoke(cli.app, list(args), input=stdin, env=TERMINAL_ENV)


TODAY_NOTE = (
    f"rlsiron: note: assessing as of today, {TODAY.isoformat()} (--as-of sets another day)\n"
)


def succeeded(result: Result) -> Result:
    """Exit 0; stderr holds nothing but, when no day was given, the note that today is used."""
    assert result.exception is None, result.exception
    assert result.exit_code == 0, result.stderr
    assert result.stderr in ("", TODAY_NOTE), result.stderr
    return result


def as_json(result: Result) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(succeeded(result).stdout)
    return document


def flat(text: str) -> str:
    """Terminal text with borders dropped and wrapping undone, to look for whole sentences."""
    return " ".join(BOX_DRAWING.sub(" ", text).split())


def assert_fits_the_terminal(text: str) -> None:
    too_wide = [line for line in text.splitlines() if len(line) > WIDTH]
    assert not too_wide, f"{len(too_wide)} lines wider than {WIDTH} columns: {too_wide[:3]}"


def assert_bad_input(result: Result, *fragments: str) -> str:
    """Exit status 2, one clear message on stderr, nothing on stdout, no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {type(result.exception).__name__}: {result.exception}"
    )
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert result.stdout == "", "a report was (partly) written for bad input"
    message = result.stderr
    assert message.startswith("rlsiron: "), message
    assert "Traceback" not in message
    missing = [f for f in fragments if f.casefold() not in message.casefold()]
    assert not missing, f"message lacks {missing}: {message!r}"
    return message


# --- reports -------------------------------------------------------------------------------


def test_file_gives_a_terminal_report_with_the_decision_and_the_disclaimer(
    labs_file: Path,
) -> None:
    expected = as_json(run(["assess", str(labs_file), "--format", "json"]))
    text = succeeded(run(["assess", str(labs_file)])).stdout
    readable = flat(text)
    assert DECISION_HEADLINE[expected["iron_therapy"]["decision"]] in readable
    assert flat(expected["disclaimer"]) in readable
    assert "{" not in text, "the terminal report should not be JSON"


def test_file_as_json_has_the_stable_keys_of_the_contract(labs_file: Path) -> None:
    out = as_json(run(["assess", str(labs_file), "--format", "json"]))
    assert out["profile"] == "aasm-2024"
    assert out["as_of"] == "2026-11-20"
    assert {"ferritin_ug_l", "tsat_percent", "hemoglobin_g_dl", "tsat_source"} <= set(out["values"])
    assert out["values"]["ferritin_ug_l"] == pytest.approx(28.0)
    assert out["values"]["tsat_percent"] == pytest.approx(18.0)
    assert out["values"]["tsat_source"] == "reported"
    assert {"decision", "routes", "options"} <= set(out["iron_therapy"])
    assert out["iron_therapy"]["decision"] in {
        "indicated",
        "not_indicated",
        "contraindicated",
        "test_first",
    }
    assert {"present", "threshold_g_dl"} <= set(out["anemia"])
    assert {"criteria_met", "irls_total", "irls_band", "clinically_significant"} <= set(out["rls"])
    assert out["findings"], "the example has findings"
    for finding in out["findings"]:
        assert {"code", "severity", "title", "detail", "sources"} <= set(finding)
        assert finding["severity"] in {"info", "warning", "urgent"}
    sections = out["plan"]["sections"]
    for section in sections:
        assert {"id", "title", "items"} <= set(section)
    assert {s["id"] for s in sections} >= PLAN_SECTION_IDS
    assert out["next_tests"], "the example has a next test"
    for due in out["next_tests"]:
        assert {"tests", "due", "why"} <= set(due)
        dt.date.fromisoformat(due["due"])
    assert out["disclaimer"]


def test_stdin_dash_gives_markdown_with_headings_and_a_results_table() -> None:
    text = succeeded(run(["assess", "-", "--format", "markdown"], stdin=json.dumps(LABS))).stdout
    lines = text.splitlines()
    assert lines[0].startswith("# ")
    assert any(line.startswith("## ") for line in lines)
    header = next(i for i, line in enumerate(lines) if line.startswith("| Test |"))
    assert re.fullmatch(r"\|(-+\|)+", lines[header + 1])
    assert lines[header + 2].startswith("| Ferritin |")


def test_inline_results_are_assessed_like_a_document() -> None:
    out = as_json(run(["assess", *INLINE, *PERSON, "--format", "json"]))
    assert out["iron_therapy"]["decision"] == "indicated"
    assert set(out["iron_therapy"]["routes"]) == {"oral", "iv"}
    assert out["values"]["ferritin_ug_l"] == pytest.approx(38.0)
    assert out["values"]["tsat_percent"] == pytest.approx(18.0)
    assert out["values"]["hemoglobin_g_dl"] == pytest.approx(12.1)
    assert out["anemia"]["present"] is False


def test_without_as_of_the_assessment_is_for_today_and_says_so() -> None:
    result = run(["assess", *INLINE, *PERSON, "--format", "json"])
    assert result.stderr == TODAY_NOTE
    out = as_json(result)
    assert out["as_of"] == TODAY.isoformat()
    assert {lab["date"] for lab in out["labs"]} == {TODAY.isoformat()}


def test_as_of_overrides_today_and_dates_inline_results() -> None:
    result = run(["assess", *INLINE, *PERSON, "--as-of", "2026-06-01", "--format", "json"])
    assert result.stderr == ""
    out = as_json(result)
    assert out["as_of"] == "2026-06-01"
    assert {lab["date"] for lab in out["labs"]} == {"2026-06-01"}


def test_as_of_overrides_the_date_in_the_file(labs_file: Path) -> None:
    out = as_json(run(["assess", str(labs_file), "--as-of", "2026-12-01", "--format", "json"]))
    assert out["as_of"] == "2026-12-01"


def test_seed_profile_changes_the_decision_for_ferritin_60_and_tsat_30() -> None:
    args = ["assess", "--ferritin", "60 ng/mL", "--tsat", "30%", *PERSON, "--format", "json"]
    default = as_json(run(args))
    seed = as_json(run([*args, "--profile", "seed"]))
    assert (default["profile"], default["iron_therapy"]["decision"]) == ("aasm-2024", "indicated")
    assert (seed["profile"], seed["iron_therapy"]["decision"]) == ("ferritin-50", "not_indicated")


def test_demo_prints_an_assessment() -> None:
    text = succeeded(run(["demo"])).stdout
    assert "RLS iron assessment" in text
    assert any(headline in flat(text) for headline in DECISION_HEADLINE.values())
    out = as_json(run(["demo", "--format", "json"]))
    assert out["iron_therapy"]["decision"] in DECISION_HEADLINE


@pytest.mark.parametrize(
    "args",
    [["demo"], ["assess", *INLINE, *PERSON], ["assess", "-"]],
    ids=["demo", "inline", "stdin-file"],
)
def test_terminal_report_fits_80_columns(args: list[str]) -> None:
    text = succeeded(run(args, stdin=json.dumps(LABS))).stdout
    assert text.strip()
    assert_fits_the_terminal(text)


# --- schemas -------------------------------------------------------------------------------


def test_schema_input_accepts_every_vignette_input() -> None:
    schema = as_json(run(["schema", "input"]))
    jsonschema.Draft202012Validator.check_schema(schema)
    for case in load_vignettes():
        jsonschema.validate(case["input"], schema)
    jsonschema.validate(LABS, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"person": {"age_years": 130, "sex": "female"}}, schema)


def test_schema_output_describes_what_assess_prints(labs_file: Path) -> None:
    schema = as_json(run(["schema", "output"]))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(as_json(run(["assess", str(labs_file), "--format", "json"])), schema)
    jsonschema.validate(as_json(run(["assess", *INLINE, *PERSON, "--format", "json"])), schema)
    jsonschema.validate(as_json(run(["demo", "--format", "json"])), schema)


# --- vignettes -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", load_vignettes(), ids=lambda case: str(case["id"]))
def test_vignette_through_the_cli_gives_the_expected_decision(
    case: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / f"{case['id']}.json"
    path.write_text(json.dumps(case["input"]), encoding="utf-8")
    out = as_json(run(["assess", str(path), "--format", "json"]))
    expect = case["expect"]
    assert out["iron_therapy"]["decision"] == expect["decision"]
    assert sorted(out["iron_therapy"]["routes"]) == sorted(expect.get("routes", []))
    if "anemia" in expect:
        assert out["anemia"]["present"] is expect["anemia"]
    engine = json.loads(assess_document(case["input"]).model_dump_json())
    assert out == engine, "the CLI's JSON differs from the engine's result"


# --- bad input -----------------------------------------------------------------------------

PERSON_JSON = {"age_years": 42, "sex": "female"}
FERRITIN_ROW = {"test": "ferritin", "value": 38, "unit": "ng/mL", "date": "2026-11-02"}


def document(*, person: dict[str, Any] | None = None, **changes: Any) -> str:
    """A valid input document with the first lab row (or top-level fields) changed."""
    row = {k: v for k, v in {**FERRITIN_ROW, **changes.pop("row", {})}.items() if v is not ...}
    return json.dumps({"person": person or PERSON_JSON, "labs": [row], **changes})


BAD_INPUT = [
    pytest.param(
        ["assess", "--ferritin", "38 furlongs", *PERSON],
        None,
        ["unit", "furlongs", "ug/L", "ng/mL", "pmol/L"],
        id="unknown-unit-inline",
    ),
    pytest.param(
        ["assess", "-"],
        document(row={"unit": "furlongs"}),
        ["labs[0].unit", "furlongs", "ng/mL"],
        id="unknown-unit-json",
    ),
    pytest.param(
        ["assess", "--ferritin", "38", *PERSON],
        None,
        ["missing unit", "ug/L", "ng/mL"],
        id="missing-unit-inline",
    ),
    pytest.param(
        ["assess", "-"],
        document(row={"unit": ...}),
        ["labs[0].unit", "missing unit", "ng/mL"],
        id="missing-unit-json",
    ),
    pytest.param(
        ["assess", "--ferritin", "abc", *PERSON],
        None,
        ["--ferritin", "'abc'", "38 ng/mL"],
        id="not-a-number-inline",
    ),
    pytest.param(
        ["assess", "-"],
        document(row={"value": "abc"}),
        ["labs[0].value", "'abc'", "18.5"],
        id="not-a-number-json",
    ),
    pytest.param(
        ["assess", "--ferritin", "-5 ng/mL", *PERSON],
        None,
        ["ferritin", "negative", "-5", "0 or more"],
        id="negative-inline",
    ),
    pytest.param(
        ["assess", "-"],
        document(row={"value": -3}),
        ["labs[0].value", "negative", "-3", "0 or more"],
        id="negative-json",
    ),
    pytest.param(
        ["assess", "--tsat", "120 %", *PERSON],
        None,
        ["saturation", "120", "0 to 100"],
        id="tsat-over-100-inline",
    ),
    pytest.param(
        ["assess", "-"],
        document(row={"test": "tsat", "value": 120, "unit": "%"}),
        ["labs[0].value", "120", "0 to 100"],
        id="tsat-over-100-json",
    ),
    pytest.param(
        ["assess", "-"],
        document(row={"date": "2026-02-30"}),
        ["labs[0].date", "2026-02-30", "date"],
        id="impossible-date-json",
    ),
    pytest.param(
        ["assess", "-"],
        document(row={"date": "1850-01-01"}),
        ["labs[0].date", "1850-01-01", "1900-01-01"],
        id="date-before-1900-json",
    ),
    pytest.param(
        ["assess", "-"],
        document(row={"value": True}),
        ["labs[0].value", "True", "number"],
        id="boolean-value-json",
    ),
    pytest.param(
        ["assess", "-"],
        document(row={"value": None}),
        ["labs[0].value", "None", "number"],
        id="null-value-json",
    ),
    pytest.param(
        ["assess", *INLINE, *PERSON, "--as-of", "2026-02-30"],
        None,
        ["--as-of", "2026-02-30", "YYYY-MM-DD"],
        id="impossible-as-of-option",
    ),
    pytest.param(
        ["assess", *INLINE, *PERSON, "--date", "2026-02-30"],
        None,
        ["--date", "2026-02-30", "YYYY-MM-DD"],
        id="impossible-date-option",
    ),
    pytest.param(
        ["assess", "-"],
        document(row={"test": "ferriten"}),
        ["labs[0].test", "ferriten", "did you mean 'ferritin'", "LOINC"],
        id="unknown-test-did-you-mean",
    ),
    pytest.param(
        ["assess", *INLINE, "--sex", "female", "--age", "130"],
        None,
        ["age", "130", "120"],
        id="age-130",
    ),
    pytest.param(
        ["assess", *INLINE, "--sex", "female", "--age", "-1"],
        None,
        ["age", "-1", "0"],
        id="age-negative",
    ),
    pytest.param(
        ["assess", "-"],
        document(person={"age_years": 130, "sex": "female"}),
        ["person.age_years", "130", "120"],
        id="age-130-json",
    ),
    pytest.param(
        ["assess", "-"],
        document(symptoms=["itchy_feet"]),
        ["symptoms[0]", "itchy_feet", "chronic_fatigue", "pale_skin"],
        id="unknown-symptom",
    ),
    pytest.param(
        ["assess", *INLINE, *PERSON, "--diet", "carnivore"],
        None,
        ["diet", "carnivore", "omnivore", "vegan"],
        id="unknown-diet",
    ),
    pytest.param(
        ["assess", *INLINE, "--sex", "male", "--age", "40", "--pregnancy-weeks", "20"],
        None,
        ["pregnancy_weeks", "20", "female"],
        id="pregnancy-weeks-for-a-male",
    ),
    pytest.param(
        ["assess", *INLINE, *PERSON, "--profile", "aasm-2099"],
        None,
        ["profile", "aasm-2099", "aasm-2024", "seed"],
        id="unknown-profile",
    ),
    pytest.param(
        ["assess", "no-such-labs.json"],
        None,
        ["no-such-labs.json", "no such file"],
        id="file-does-not-exist",
    ),
    pytest.param(
        ["assess", "-"],
        '{\n  "person": {"age_years": 42, "sex": "female"},\n  labs: []\n}\n',
        ["standard input", "not valid JSON", "line 3", "column 3"],
        id="invalid-json",
    ),
    pytest.param(
        ["assess", "-"],
        "",
        ["standard input", "empty"],
        id="empty-stdin",
    ),
    pytest.param(
        ["assess", "-", *INLINE],
        json.dumps(LABS),
        ["file", "options", "not both"],
        id="file-and-inline-options",
    ),
    pytest.param(
        ["assess"],
        None,
        ["no results given", "--ferritin"],
        id="no-input-at-all",
    ),
]


@pytest.mark.parametrize(("args", "stdin", "fragments"), BAD_INPUT)
def test_bad_input_exits_2_with_a_message_naming_value_and_accepted_forms(
    args: list[str], stdin: str | None, fragments: list[str]
) -> None:
    assert_bad_input(run(args, stdin=stdin), *fragments)


def test_invalid_json_file_message_names_the_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "labs.json"
    path.write_text('{\n  "person": {"age_years": 42, "sex": "female"},\n  labs: []\n}\n')
    assert_bad_input(run(["assess", str(path)]), str(path), "line 3", "column 3")


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--ferritin", "38 furlongs"], "--ferritin"),
        (["--ferritin", "38"], "--ferritin"),
        (["--ferritin", "-5 ng/mL"], "--ferritin"),
        (["--tsat", "120%"], "--tsat"),
        (["--ferritin", "38 ng/mL", "--hb", "12.1 furlongs"], "--hb"),
    ],
    ids=["unknown-unit", "missing-unit", "negative", "tsat-over-100", "second-option"],
)
def test_inline_result_errors_name_the_option_the_user_typed(args: list[str], option: str) -> None:
    """A user who typed options never wrote `labs[1]`: the message must say which option."""
    message = assert_bad_input(run(["assess", *args, *PERSON]))
    assert option in message, message
    assert "labs[" not in message, message


# --- real processes ------------------------------------------------------------------------


def run_process(args: Sequence[str], *, stdin: str = "") -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    environ["COLUMNS"] = str(WIDTH)
    return subprocess.run(
        [sys.executable, "-m", "rlsiron", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environ,
        cwd=REPO,
        timeout=60,
        check=False,
    )


def test_module_entry_point_exists() -> None:
    assert (REPO / "src" / "rlsiron" / "__main__.py").is_file()


def test_process_assesses_stdin_as_json_and_exits_0() -> None:
    done = run_process(["assess", "-", "--format", "json"], stdin=json.dumps(LABS))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads(done.stdout)["iron_therapy"]["decision"] == "indicated"


def test_process_terminal_report_fits_80_columns() -> None:
    done = run_process(["assess", *INLINE, *PERSON, "--as-of", "2026-11-20"])
    assert done.returncode == 0, done.stderr
    assert "\x1b[" not in done.stdout, "no colour codes when stdout is not a terminal"
    assert_fits_the_terminal(done.stdout)


@pytest.mark.parametrize(
    ("args", "stdin", "fragment"),
    [
        (["assess", "--ferritin", "38 furlongs", *PERSON], "", "furlongs"),
        (["assess", "-"], '{"person": ', "not valid JSON"),
        (["assess", "no-such-labs.json"], "", "no-such-labs.json"),
    ],
    ids=["unknown-unit", "invalid-json", "missing-file"],
)
def test_process_exits_2_on_bad_input_without_traceback(
    args: list[str], stdin: str, fragment: str
) -> None:
    done = run_process(args, stdin=stdin)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("rlsiron: ")
    assert fragment in done.stderr


def test_console_script_runs_the_demo() -> None:
    script = Path(sys.executable).parent / "rlsiron"
    if not script.exists():
        pytest.skip("the rlsiron console script is not installed next to this interpreter")
    done = subprocess.run(
        [str(script), "demo", "--format", "json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads(done.stdout)["disclaimer"]


def test_menopause_given_as_an_option_replaces_the_age_default() -> None:
    overload = ["--ferritin", "240 ng/mL", "--tsat", "48%", "--sex", "female", "--age", "52"]
    default = as_json(run(["assess", *overload, "--format", "json"]))
    stated = as_json(run(["assess", *overload, "--premenopausal", "--format", "json"]))
    # 52 counts as postmenopausal by default (TSAT > 50 needed); stated premenopausal: > 45.
    assert "iron.overload_pattern" not in {f["code"] for f in default["findings"]}
    assert "iron.overload_pattern" in {f["code"] for f in stated["findings"]}


def test_irls_total_given_as_an_option_is_banded() -> None:
    out = as_json(run(["assess", *INLINE, *PERSON, "--irls", "24", "--format", "json"]))
    assert out["rls"]["irls_total"] == 24
    assert out["rls"]["irls_band"] == "severe"


# --- the command line as a newcomer types it ----------------------------------------------


@pytest.mark.parametrize(("typed", "sex"), [("F", "female"), ("m", "male"), ("Female", "female")])
def test_sex_is_accepted_as_lab_reports_print_it(typed: str, sex: str) -> None:
    out = as_json(run(["assess", *INLINE, "--sex", typed, "--age", "42", "--format", "json"]))
    assert out["anemia"]["group"].startswith("women" if sex == "female" else "men")


@pytest.mark.parametrize(
    ("args", "option"),
    [
        pytest.param(["--sex", "x", "--age", "42"], "--sex", id="sex"),
        pytest.param(["--sex", "F", "--age", "200"], "--age", id="age"),
        pytest.param(["--sex", "F", "--age", "42", "--kidney", "bad"], "--kidney", id="kidney"),
        pytest.param(["--sex", "M", "--age", "42", "--diet", "keto"], "--diet", id="diet"),
    ],
)
def test_person_option_errors_name_the_option_not_the_json_field(
    args: list[str], option: str
) -> None:
    message = assert_bad_input(run(["assess", *INLINE, *args]), option)
    assert "person." not in message
    assert message.startswith(f"rlsiron: {option}: ")


def test_every_problem_is_printed_at_once() -> None:
    result = run(
        ["assess", "--ferritin", "38 furlongs", "--tsat", "abc %", "--sex", "x", "--age", "42"]
    )
    message = assert_bad_input(result, "--ferritin", "--tsat", "--sex")
    assert message.count("\n  ") == 3, message


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(["--hb", "121", "g/L"], id="hb-unit-apart"),
        pytest.param(["--hb", "121 g/L"], id="hb-quoted"),
        pytest.param(["--hb", "121g/L"], id="hb-joined"),
    ],
)
def test_a_value_and_its_unit_as_two_words_are_understood(typed: list[str]) -> None:
    args = ["assess", "--ferritin", "38", "ng/mL", "--tsat", "18", "%", *typed, *PERSON]
    out = as_json(run(cli.join_value_units([*args, "--format", "json"])))
    assert out["values"]["hemoglobin_g_dl"] == pytest.approx(12.1)
    assert out["values"]["ferritin_ug_l"] == pytest.approx(38)


def test_a_stray_word_is_explained_never_opened_as_a_file() -> None:
    unit_apart = run(["assess", "--hb", "121", "gram/L", *PERSON])
    message = assert_bad_input(unit_apart, "'gram/L'")
    assert "cannot read" not in message
    stray_unit = run(["assess", "--hb", "121 g/L", "mmol/L", *PERSON])
    assert_bad_input(stray_unit, "unit standing apart")


def test_process_understands_a_unit_typed_as_its_own_word() -> None:
    done = run_process(
        [
            "assess",
            "--ferritin",
            "38",
            "ng/mL",
            "--tsat",
            "18",
            "%",
            "--hb",
            "121",
            "g/L",
            "--sex",
            "F",
            "--age",
            "42",
            "--as-of",
            "2026-11-20",
            "--format",
            "json",
        ]
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["values"]["hemoglobin_g_dl"] == pytest.approx(12.1)


# --- a file, and facts about the person as options ------------------------------------------


def _file(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_options_fill_what_a_file_does_not_say_about_the_person(tmp_path: Path) -> None:
    document = {key: value for key, value in LABS.items() if key != "person"}
    path = _file(tmp_path, {**document, "person": {"birth_date": "1982-09-16"}})
    out = as_json(run(["assess", str(path), "--sex", "F", "--format", "json"]))
    assert out["anemia"]["group"].startswith("women")


def test_a_birth_date_in_the_file_gives_the_age_on_the_assessment_day(tmp_path: Path) -> None:
    person = {"sex": "female", "birth_date": "2012-11-21"}  # 13 on 2026-11-20: the child rules
    path = _file(tmp_path, {**LABS, "person": person})
    out = as_json(run(["assess", str(path), "--format", "json"]))
    assert "pediatric.rule_applied" in {f["code"] for f in out["findings"]}


def test_an_option_that_contradicts_the_file_is_refused_naming_both(tmp_path: Path) -> None:
    result = run(["assess", str(_file(tmp_path, LABS)), "--sex", "M"])
    assert result.exit_code == 2
    assert "--sex male contradicts the file, which gives person.sex female" in result.stderr


def test_a_condition_and_a_medicine_given_as_options_add_to_the_file(tmp_path: Path) -> None:
    path = _file(tmp_path, LABS)
    args = ["assess", str(path), "--condition", "hereditary haemochromatosis", "--med", "Benadryl"]
    out = as_json(run([*args, "--format", "json"]))
    assert out["iron_therapy"]["decision"] == "contraindicated"
    assert "meds.may_worsen_rls" in {f["code"] for f in out["findings"]}
