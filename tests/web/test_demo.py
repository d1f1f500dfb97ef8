"""The demo person: a living two-year history that the engine reads as the story intends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rlsiron import assess
from rlsiron.store import DIARY, IRON_COURSES, LABS, Database, as_input, migrate
from rlsiron.web.demo import demo_history, seed_demo

TODAY = dt.date(2026, 11, 24)


def _database(tmp_path: Path) -> Database:
    url = str(tmp_path / "demo.db")
    migrate(url)
    return Database.open(url)


def test_the_demo_is_seeded_once_and_its_latest_panel_is_three_weeks_old(tmp_path: Path) -> None:
    db = _database(tmp_path)
    person = seed_demo(db, TODAY, "a hash")
    assert person is not None
    assert seed_demo(db, TODAY, "a hash") is None  # already there: left as it is
    labs = LABS.all(db, person.id)
    assert max(lab.date for lab in labs) == TODAY - dt.timedelta(days=21)
    assert min(lab.date for lab in labs) <= TODAY - dt.timedelta(days=2 * 365)
    assert len(DIARY.all(db, person.id)) == len(demo_history().diary)
    routes = [course.route for course in IRON_COURSES.all(db, person.id)]
    assert routes == ["oral", "iv"]


def test_the_demo_replays_low_iron_then_stores_after_the_infusion_then_low_again(
    tmp_path: Path,
) -> None:
    db = _database(tmp_path)
    person = seed_demo(db, TODAY, "a hash")
    assert person is not None

    def decision(days_ago: int) -> str:
        day = TODAY - dt.timedelta(days=days_ago)
        return assess(as_input(db, person.id, day), as_of=day).iron_therapy.decision

    assert decision(720) == "indicated"  # ferritin 22, TSAT 12 before any iron
    assert decision(360) == "not_indicated"  # ferritin 180 after the infusion
    assert decision(0) == "indicated"  # back down to 70
