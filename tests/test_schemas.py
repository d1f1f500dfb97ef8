"""The published JSON Schemas are current, and real documents validate against them."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from rlsiron.core.models import Assessment, AssessmentInput
from tests.conftest import REPO, assess_document, load_vignettes

SCHEMAS = REPO / "schemas"


def _published(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return schema


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("assessment-input.schema.json", AssessmentInput),
        ("assessment-output.schema.json", Assessment),
    ],
)
def test_published_schema_is_what_the_models_generate(name: str, model: type[Any]) -> None:
    assert _published(name) == model.model_json_schema(), f"run `make schemas` to refresh {name}"


def test_every_vignette_input_and_its_output_validate_against_the_published_schemas() -> None:
    inputs = jsonschema.Draft202012Validator(_published("assessment-input.schema.json"))
    outputs = jsonschema.Draft202012Validator(_published("assessment-output.schema.json"))
    for case in load_vignettes():
        result = assess_document(case["input"])
        problems = [
            *inputs.iter_errors(case["input"]),
            *outputs.iter_errors(json.loads(result.model_dump_json())),
        ]
        assert not problems, (case["id"], [p.message for p in problems])


def test_schema_rejects_what_the_engine_rejects() -> None:
    schema = _published("assessment-input.schema.json")
    bad = {"person": {"age_years": 130, "sex": "female"}, "labs": []}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
