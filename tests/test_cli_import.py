"""`rlsiron import`, `assess FILE` for every format, `export fhir` and `cds-hooks`, as users run them."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from fhir.resources.R4B.bundle import Bundle
from typer.testing import CliRunner, Result

from rlsiron import cli
from tests.conftest import REPO, assess_document
from tests.servers import serving

DATA = REPO / "tests" / "io" / "data"
HL7 = DATA / "hl7v2" / "epic_beaker_iron_panel_us.hl7"
CSV = DATA / "table" / "portal_export.csv"
NHS_TEXT = DATA / "lab_report" / "nhs_record_pasted.txt"
SMART = REPO.parent / "shared" / "data" / "fhir" / "smart-sample-patients"

runner = CliRunner()


def run(args: list[str], *, stdin: str | None = None) -> Result:
    return runner.invoke(cli.app, args, input=stdin, env={"COLUMNS": "200"})


def test_import_json_is_what_assess_reads_from_stdin_unchanged() -> None:
    imported = run(["import", str(HL7), "--format", "json"])
    assert imported.exit_code == 0, imported.stderr
    document = json.loads(imported.stdout)
    assert {"person", "labs", "provenance", "needs_review"} <= document.keys()
    assessed = run(
        ["assess", "-", "--as-of", "2025-11-24", "--format", "json"],
        stdin=imported.stdout,  # three weeks after the draw
    )
    assert assessed.exit_code == 0, assessed.stderr
    out = json.loads(assessed.stdout)
    assert out["iron_therapy"]["decision"] == "indicated"
    assert {lab["test"] for lab in out["labs"]} >= {"ferritin", "hemoglobin"}


def test_the_preview_shows_each_result_as_printed_as_used_and_where_it_came_from() -> None:
    result = run(["import", str(CSV)])
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "Results read" in text
    assert "portal_export.csv (table)" in text
    assert "28 ng/mL (15-150)" in text and "line 6" in text  # below three title lines
    assert "28 µg/L" in text  # the value as the engine will use it, in its canonical unit
    assert "Hemoglobin A1c" in text  # listed among the tests rlsiron does not read


def test_assess_reads_a_lab_report_text_with_the_person_given_as_options() -> None:
    result = run(["assess", str(NHS_TEXT), "--sex", "F", "--age", "42", "--as-of", "2026-11-24"])
    assert result.exit_code == 0, result.stderr
    assert "Ferritin" in result.stdout


def test_assess_of_a_file_that_names_no_person_asks_for_one() -> None:
    result = run(["assess", str(CSV), "--as-of", "2026-11-24"])
    assert result.exit_code == 2
    assert "person.sex" in result.stderr


def test_import_of_two_bundles_gives_one_history_without_duplicates() -> None:
    files = sorted(SMART.glob("*.json"))
    result = run(["import", *map(str, files), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    labs = json.loads(result.stdout)["labs"]
    keys = [(lab["test"], lab["date"]) for lab in labs]
    assert len(keys) == len(set(keys))  # the two files overlap; each result is there once
    panel = {"ferritin", "iron", "tibc", "tsat", "hemoglobin"}
    dates = {"2015-04-29", "2015-10-31", "2016-06-09"}
    assert {(test, date) for test in panel for date in dates} <= set(keys)


def test_a_file_with_nothing_usable_exits_2_naming_the_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    result = run(["import", str(empty)])
    assert result.exit_code == 2
    assert "empty.csv" in result.stderr


def test_an_unknown_forced_format_lists_the_formats_read() -> None:
    result = run(["import", str(CSV), "--from", "xml"])
    assert result.exit_code == 2
    assert "fhir, hl7v2, table, pdf, text" in result.stderr


def test_export_fhir_writes_a_valid_r4_bundle_of_the_assessment() -> None:
    result = run(["export", "fhir", str(HL7), "--as-of", "2025-11-24"])
    assert result.exit_code == 0, result.stderr
    bundle = Bundle.model_validate(json.loads(result.stdout))
    types = {entry.resource.get_resource_type() for entry in bundle.entry or []}
    assert {"Patient", "Observation", "RiskAssessment", "CarePlan"} <= types


def test_the_cds_hooks_service_runs_on_its_own_and_answers_discovery() -> None:
    with serving(["cds-hooks"], "/cds-services") as base:
        response = httpx.get(f"{base}/cds-services", timeout=5)
    hooks = {service["hook"] for service in response.json()["services"]}
    assert hooks == {"patient-view", "order-select", "order-sign"}


def test_rlsiron_serve_answers_the_contract_assessment_as_the_library_does(
    tmp_path: Path,
) -> None:
    document = json.loads((REPO / "src" / "rlsiron" / "examples" / "demo.json").read_text("utf-8"))
    with serving(["serve", "--data-dir", str(tmp_path)], "/api/v1/openapi.json") as base:
        response = httpx.post(f"{base}/api/v1/assessments", json=document, timeout=10)
    assert response.status_code == 200, response.text
    expected = assess_document(document).model_dump(mode="json")
    assert response.json() == expected
    assert (tmp_path / "rlsiron.db").is_file()  # the database was made on start


def test_rlsiron_serve_with_the_demo_person_lets_a_newcomer_sign_in_and_see_a_decision(
    tmp_path: Path,
) -> None:
    from rlsiron.web.demo import demo_history

    demo = demo_history()
    args = ["serve", "--demo", "--data-dir", str(tmp_path)]
    with serving(args, "/api/v1/openapi.json") as base, httpx.Client(base_url=base) as client:
        signed_in = client.post(
            "/api/v1/session", json={"email": demo.email, "password": demo.password}
        )
        assert signed_in.status_code in (200, 201), signed_in.text
        assessment = client.get("/api/v1/me/assessment")
    assert assessment.status_code == 200, assessment.text
    today = assessment.json()  # the contract's assessment of the stored history
    assert today["iron_therapy"]["decision"] == "indicated"  # ferritin drifting back to 70
    assert len(today["history"]) > 30  # two years of panels
