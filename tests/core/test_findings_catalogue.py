"""Every finding code the contract names exists, cites known sources, and reads cleanly."""

from __future__ import annotations

import re

import pytest

from rlsiron.core.knowledge.findings import FINDINGS, make_finding
from rlsiron.core.knowledge.sources import SOURCES
from tests.conftest import SHARED

CONTRACT = SHARED / "contract" / "README.md"


def _contract_codes() -> set[str]:
    table = CONTRACT.read_text(encoding="utf-8").split("## Finding codes", 1)[1]
    first_cells = re.findall(r"^\| (.+?) \|", table, flags=re.MULTILINE)
    return {code for cell in first_cells for code in re.findall(r"`([a-z_]+\.[a-z_]+)`", cell)}


def test_contract_lists_the_codes_we_expect_to_read() -> None:
    codes = _contract_codes()
    assert "iron.low_for_rls" in codes
    assert "nutrients.vitamin_d_low" in codes  # from the row naming four codes
    assert len(codes) >= 30


@pytest.mark.parametrize("code", sorted(_contract_codes()))
def test_every_contract_code_is_defined(code: str) -> None:
    assert code in FINDINGS


@pytest.mark.parametrize("code", sorted(FINDINGS))
def test_every_definition_cites_known_sources_and_its_template_fills(code: str) -> None:
    d = FINDINGS[code]
    assert d.sources and set(d.sources) <= set(SOURCES)
    fields = set(re.findall(r"{(\w+)}", d.detail))
    finding = make_finding(code, **dict.fromkeys(fields, "X"))
    assert "{" not in finding.detail and "}" not in finding.detail
    assert finding.title and finding.detail.strip()
