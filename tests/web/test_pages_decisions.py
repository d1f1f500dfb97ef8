"""How the decision changed, and the profiles side by side: what the person reads."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI

from rlsiron.report.summary import DECISION_HEADLINE
from tests.web.conftest import FACTS, TODAY, Visitor

INDICATED = DECISION_HEADLINE["indicated"]
NOT_SUGGESTED = DECISION_HEADLINE["not_indicated"]


def _panel(visitor: Visitor, day: str, ferritin: float, tsat: float) -> None:
    for test, value, unit in (("ferritin", ferritin, "ug/L"), ("tsat", tsat, "%")):
        row = {"test": test, "value": value, "unit": unit, "date": day}
        assert visitor.call("POST", "/api/v1/me/labs", json=row).status_code == 201


@pytest.fixture
def improved(app: FastAPI) -> Visitor:
    """Low iron stores in the autumn, replete after treatment in the winter."""
    anna = Visitor(app).sign_up()
    assert anna.call("PUT", "/api/v1/me/facts", json=FACTS).status_code == 200
    _panel(anna, "2025-10-01", ferritin=22, tsat=14)
    _panel(anna, "2026-02-01", ferritin=180, tsat=32)
    return anna


def _rows(html: str) -> list[str]:
    table = html.split('id="turns"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)[1:]  # after the header


def test_the_replay_lists_each_panel_day_newest_first_and_marks_the_change(
    improved: Visitor,
) -> None:
    page = improved.call("GET", "/decisions")
    assert page.status_code == 200
    today, winter, autumn = _rows(page.text)
    assert TODAY.isoformat() in today and "(today)" in today
    assert "2026-02-01" in winter and NOT_SUGGESTED in winter and "(changed)" in winter
    assert "2025-10-01" in autumn and INDICATED in autumn and "(changed)" not in autumn


def test_a_day_asked_for_is_assessed_on_what_was_known_then(improved: Visitor) -> None:
    page = improved.call("GET", "/decisions", params={"on": "2025-12-01"})
    assert page.status_code == 200
    asked = page.text.split('id="asked"', 1)[1].split("</div>", 1)[0]
    assert "2025-12-01" in asked and INDICATED in asked  # the winter panel was not drawn yet
    before = improved.call("GET", "/decisions", params={"on": "2025-09-01"})
    asked = before.text.split('id="asked"', 1)[1].split("</div>", 1)[0]
    assert DECISION_HEADLINE["test_first"] in asked  # no results at all yet


@pytest.mark.parametrize(
    ("given", "said"),
    [("2026-03-02", "after today"), ("1 March", "not a date")],
)
def test_a_day_that_cannot_be_replayed_is_refused_at_the_field(
    improved: Visitor, given: str, said: str
) -> None:
    page = improved.call("GET", "/decisions", params={"on": given})
    assert page.status_code == 422
    error = re.search(r'<p class="error" id="on-error">(.*?)</p>', page.text, flags=re.S)
    assert error is not None and said in error.group(1)
    assert 'aria-invalid="true"' in page.text


def test_without_facts_the_page_says_what_is_missing(app: FastAPI) -> None:
    page = Visitor(app).sign_up().call("GET", "/decisions")
    assert page.status_code == 200 and 'id="needs-facts"' in page.text


def test_the_dashboard_shows_the_other_profile_only_where_it_decides_differently(
    app: FastAPI,
) -> None:
    anna = Visitor(app).sign_up()
    assert anna.call("PUT", "/api/v1/me/facts", json=FACTS).status_code == 200
    _panel(anna, "2026-02-01", ferritin=60, tsat=25)  # <= 75 (AASM 2024) but not < 50
    compared = anna.call("GET", "/").text.split('id="profiles-compared"', 1)[1]
    compared = compared.split("</table>", 1)[0]
    yours, other = re.findall(r"<tr>(.*?)</tr>", compared, flags=re.S)[1:]
    assert "aasm-2024" in yours and "(yours)" in yours and INDICATED in yours
    assert "ferritin-50" in other and NOT_SUGGESTED in other

    bob = Visitor(app).sign_up()
    assert bob.call("PUT", "/api/v1/me/facts", json=FACTS).status_code == 200
    _panel(bob, "2026-02-01", ferritin=20, tsat=12)  # low under both
    assert 'id="profiles-compared"' not in bob.call("GET", "/").text
