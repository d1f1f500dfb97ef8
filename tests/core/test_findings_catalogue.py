"""Every finding code the contract names exists, cites fitting sources, and reads cleanly."""

from __future__ import annotations

import re

import pytest

from rlsiron.core.knowledge.codes import FindingCode
from rlsiron.core.knowledge.findings import FINDINGS, make_finding
from rlsiron.core.knowledge.rules import placeholders
from rlsiron.core.knowledge.sources import SOURCES
from tests.conftest import SHARED

CONTRACT = SHARED / "contract" / "README.md"

# REFERENCE additions: "data-quality findings cite no clinical guideline".
DATA_QUALITY = {
    FindingCode.LABS_UNIT_SUSPECT,
    FindingCode.LABS_FUTURE_DATE,
    FindingCode.LABS_TSAT_DISCORDANT,
    FindingCode.IRON_TSAT_ESTIMATED,
    FindingCode.CONTEXT_CONDITION_NOT_USED,
    FindingCode.RLS_DIARY_TREND,
}


def _contract_codes() -> set[str]:
    table = CONTRACT.read_text(encoding="utf-8").split("## Finding codes", 1)[1]
    first_cells = re.findall(r"^\| (.+?) \|", table, flags=re.MULTILINE)
    return {code for cell in first_cells for code in re.findall(r"`([a-z_]+\.[a-z_]+)`", cell)}


def test_contract_lists_the_codes_we_expect_to_read() -> None:
    codes = _contract_codes()
    assert "iron.low_for_rls" in codes
    assert "nutrients.vitamin_d_low" in codes  # from the row naming four codes
    assert "labs.tsat_discordant" in codes  # from the additions of 2026-11-24
    assert len(codes) >= 35


@pytest.mark.parametrize("code", sorted(_contract_codes()))
def test_every_contract_code_is_defined(code: str) -> None:
    assert code in set(FindingCode)
    assert FindingCode(code) in FINDINGS


@pytest.mark.parametrize("code", sorted(FINDINGS))
def test_every_definition_cites_fitting_sources_and_its_template_fills(code: FindingCode) -> None:
    d = FINDINGS[code]
    if code in DATA_QUALITY:
        assert d.sources == (), f"{code} is about data quality and cites no guideline"
    else:
        assert d.sources and set(d.sources) <= set(SOURCES)
    for detail in (d.detail, *(v.detail for v in d.variants)):
        fields = dict.fromkeys(placeholders(detail), "X")
        finding = make_finding(code, detail=detail, fields=fields)
        assert "{" not in finding.detail and "}" not in finding.detail
        assert finding.title and finding.detail.strip()


def test_the_assay_finding_cites_the_assay_comparison() -> None:
    assert FINDINGS[FindingCode.IRON_ASSAY_DEPENDENT].sources == ("ASSAY-116",)


@pytest.mark.parametrize("code", sorted(FINDINGS))
def test_a_finding_reading_an_unconfirmed_threshold_is_labelled_expert_consensus(
    code: FindingCode,
) -> None:
    # REFERENCE additions: rules tagged [U] are expert consensus, and the label must say so.
    from rlsiron.core.rules.expressions import comparisons

    for variant in FINDINGS[code].variants:
        tags = {c.threshold.evidence for c in comparisons(variant.when.expr)}
        if "U" in tags:
            assert variant.level == "expert_consensus", (code, variant.when.text)
