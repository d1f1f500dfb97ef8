"""The food-table build script and the raw SR28 files, shared by the tests that check the
shipped tables against them."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
SR28 = REPO.parent / "shared" / "data" / "usda-sr28"
SCRIPT = REPO / "scripts" / "build_food_table.py"

needs_sr28 = pytest.mark.skipif(
    not SR28.is_dir(), reason=f"raw USDA SR28 files not present at {SR28}"
)


@cache
def builder() -> ModuleType:
    """The build script as a module, so the tests read SR28 with the same parser."""
    spec = importlib.util.spec_from_file_location("build_food_table", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses in the script look their module up
    spec.loader.exec_module(module)
    return module
