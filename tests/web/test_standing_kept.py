"""The standing each page shows is kept between views, and never outlives a change.

A kept standing is only worth having if it is exactly what a new reading would give: every
change the engine would see (a result, a fact, a setting, any record) must show on the
next view, through the API as through the pages, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from rlsiron.web.kept import Kept
from rlsiron.web.standing import standing
from tests.web.conftest import FACTS, FERRITIN, TODAY, Visitor


def _person_id(visitor: Visitor) -> int:
    me = visitor.call("GET", "/api/v1/me")
    assert me.status_code == 200
    person_id = me.json()["id"]
    assert isinstance(person_id, int)
    return person_id


def test_a_view_between_changes_is_the_kept_one_and_a_change_shows_at_once(
    any_app: FastAPI,
) -> None:
    anna = Visitor(any_app).sign_up()
    state = any_app.state.rlsiron
    person_id = _person_id(anna)
    assert anna.call("PUT", "/api/v1/me/facts", json=FACTS).status_code == 200
    assert anna.call("POST", "/api/v1/me/labs", json=FERRITIN).status_code == 201
    first = standing(state.db, state.standings, person_id, TODAY)
    assert standing(state.db, state.standings, person_id, TODAY) is first  # nothing changed
    assert "30 µg/L" in anna.call("GET", "/").text

    lab = {**FERRITIN, "value": 140, "date": "2026-02-01"}
    assert anna.call("POST", "/api/v1/me/labs", json=lab).status_code == 201
    second = standing(state.db, state.standings, person_id, TODAY)
    assert second is not first
    assert second.assessment is not None and second.assessment.values.ferritin_ug_l == 140
    assert "140 µg/L" in anna.call("GET", "/").text

    changed = anna.call(
        "PUT", "/api/v1/me/settings", json={"units": "si", "profile": "ferritin-50"}
    )
    assert changed.status_code == 200
    third = standing(state.db, state.standings, person_id, TODAY)
    assert third.person.settings.profile == "ferritin-50"
    assert third.assessment is not None and third.assessment.profile == "ferritin-50"


def test_a_new_day_is_a_new_standing(app: FastAPI) -> None:
    anna = Visitor(app).sign_up()
    state = app.state.rlsiron
    person_id = _person_id(anna)
    today = standing(state.db, state.standings, person_id, TODAY)
    tomorrow = standing(state.db, state.standings, person_id, TODAY.replace(day=2))
    assert tomorrow is not today


def test_a_saved_assessment_keeps_the_standing(app: FastAPI) -> None:
    """Saving the day's assessment changes nothing the engine reads."""
    anna = Visitor(app).sign_up()
    state = app.state.rlsiron
    person_id = _person_id(anna)
    assert anna.call("PUT", "/api/v1/me/facts", json=FACTS).status_code == 200
    kept = standing(state.db, state.standings, person_id, TODAY)
    assert anna.call("POST", "/api/v1/me/assessments").status_code == 201
    assert standing(state.db, state.standings, person_id, TODAY) is kept


def test_the_least_recently_seen_person_goes_first_when_full() -> None:
    made: list[tuple[int, str]] = []

    def compute(person_id: int, key: str) -> str:
        made.append((person_id, key))
        return f"{person_id}:{key}"

    kept: Kept[str] = Kept(most=2)
    for person_id in (1, 2, 1, 3, 1, 2):  # 2 is the least recently seen when 3 arrives
        assert kept.get(person_id, "r0", lambda p=person_id: compute(p, "r0")) == f"{person_id}:r0"
    assert made == [(1, "r0"), (2, "r0"), (3, "r0"), (2, "r0")]
    assert kept.get(1, "r1", lambda: compute(1, "r1")) == "1:r1"  # a new revision: computed


@pytest.mark.parametrize("most", [0, -1])
def test_a_cache_must_hold_someone(most: int) -> None:
    with pytest.raises(ValueError, match="at least one"):
        Kept[str](most=most)
