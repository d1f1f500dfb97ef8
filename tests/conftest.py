"""Shared fixtures: the real data in ../shared, found relative to the repo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
VIGNETTES = SHARED / "clinical" / "vignettes.json"


def load_vignettes() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(VIGNETTES.read_text(encoding="utf-8"))["cases"]
    return cases


@pytest.fixture
def shared() -> Path:
    return SHARED
