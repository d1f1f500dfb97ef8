"""Shared fixtures: the real data in ../shared, found relative to the repo."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# CI must not fail by chance: the same examples every run and no timing deadline (a CI
# machine may be slow); locally, new random examples keep looking for bugs.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
VIGNETTES = SHARED / "clinical" / "vignettes.json"


def load_vignettes() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(VIGNETTES.read_text(encoding="utf-8"))["cases"]
    return cases


@pytest.fixture
def shared() -> Path:
    return SHARED


def assess_document(document: Any, *, plan: bool = True) -> Any:
    """The public engine on a contract document, for the day the document names.

    Every test document carries its own `as_of`, as the contract's example does; the engine
    itself takes the date explicitly (`assess(input, as_of=...)`).
    """
    from rlsiron import assess, parse_input

    inp = parse_input(document)
    assert inp.as_of is not None, "test documents name their assessment day"
    return assess(inp, as_of=inp.as_of, plan=plan)
