"""The worklist: each flag on and off at the boundary the engine decides, kept until the
records change (a second view recomputes nothing), `retest_overdue` following the calendar
alone, and the list sorted, filtered, paged and counted in SQL; the clinicians' notes.

Each test makes its own clinic and patients (the database is shared by the session), and
reads the boundaries from the engine's tables rather than typing them again.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from rlsiron.core.knowledge.thresholds import NUMBERS, THRESHOLDS
from rlsiron.core.models import DiaryEntry
from rlsiron.store import (
    DIARY,
    IRON_COURSES,
    LABS,
    Database,
    IronCourseEntry,
    LabEntry,
    PersonFacts,
    create_organisation,
    create_share_code,
    delete_person,
    redeem_share_code,
    revision,
    revoke_share,
    set_facts,
)
from rlsiron.store import models as orm
from rlsiron.store.worklist import (
    FLAGS,
    Flag,
    NoteEntry,
    WorklistRow,
    add_note,
    notes_of,
    refresh_worklist,
    worklist,
)
from tests.store.helpers import make_person

TODAY = dt.date(2026, 3, 1)
NOW = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
DRAWN = dt.date(2026, 1, 10)
# A panel no rule of the adult table calls low, and no finding calls high or unsafe.
REPLETE_FERRITIN = THRESHOLDS["ferritin.iv_band_upper"].value + 1
NORMAL_TSAT = THRESHOLDS["tsat.rls_indicated"].value


def _clinic(db: Database) -> int:
    return create_organisation(db, f"Worklist clinic {make_person(db).id}").id


def _share(db: Database, clinic: int, patient: int) -> None:
    code = create_share_code(db, patient, now=NOW, lifetime=DAY)
    redeem_share_code(db, code, clinic, now=NOW)


def _patient(db: Database, clinic: int, **facts: object) -> int:
    patient = make_person(db, **facts).id
    _share(db, clinic, patient)
    return patient


def _panel(db: Database, patient: int, ferritin: float, tsat: float, day: dt.date = DRAWN) -> None:
    LABS.add_all(
        db,
        patient,
        [
            LabEntry(test="ferritin", value=ferritin, unit="ug/L", date=day),
            LabEntry(test="tsat", value=tsat, unit="%", date=day),
        ],
    )


def _rows(db: Database, clinic: int, today: dt.date = TODAY) -> dict[int, WorklistRow]:
    return {row.patient_id: row for row in worklist(db, clinic, today, per_page=200).rows}


def _flags(db: Database, clinic: int, today: dt.date = TODAY) -> dict[int, set[Flag]]:
    return {patient: set(row.flags) for patient, row in _rows(db, clinic, today).items()}


# ---------------------------------------------------------------- each flag


def test_safety_turns_on_at_the_tsat_safety_threshold_and_not_below(db: Database) -> None:
    clinic = _clinic(db)
    at, below = _patient(db, clinic), _patient(db, clinic)
    limit = THRESHOLDS["tsat.contraindicated"].value
    _panel(db, at, REPLETE_FERRITIN, limit)
    _panel(db, below, REPLETE_FERRITIN, limit - 1)
    rows = _rows(db, clinic)
    assert rows[at].flags == ("safety",)
    assert rows[at].decision == "contraindicated"
    assert rows[below].flags == ()
    assert rows[below].decision == "not_indicated"


def test_any_urgent_finding_is_a_safety_flag(db: Database) -> None:
    clinic = _clinic(db)
    patient = _patient(db, clinic)
    _panel(db, patient, REPLETE_FERRITIN, NORMAL_TSAT)
    # Haemoglobin in g/dL at a value only g/L could give: the engine's urgent unit check,
    # a finding without the safety-stop flag.
    LABS.add(db, patient, LabEntry(test="hemoglobin", value=125, unit="g/dL", date=DRAWN))
    assert _flags(db, clinic)[patient] == {"safety"}


def test_below_target_untreated_follows_the_decision_at_its_boundary(db: Database) -> None:
    clinic = _clinic(db)
    at, above = _patient(db, clinic), _patient(db, clinic)
    upper = THRESHOLDS["ferritin.iv_band_upper"].value
    _panel(db, at, upper, NORMAL_TSAT)
    _panel(db, above, upper + 1, NORMAL_TSAT)
    rows = _rows(db, clinic)
    assert (rows[at].decision, rows[at].flags) == ("indicated", ("below_target_untreated",))
    assert (rows[above].decision, rows[above].flags) == ("not_indicated", ())
    assert (rows[at].ferritin_ug_l, rows[at].tsat_percent, rows[at].latest_panel) == (
        upper,
        NORMAL_TSAT,
        DRAWN,
    )


def test_below_target_is_not_untreated_while_iron_is_under_way(db: Database) -> None:
    clinic = _clinic(db)
    tablets, infused, stopped = (_patient(db, clinic) for _ in range(3))
    low = THRESHOLDS["ferritin.rls_indicated"].value
    for patient in (tablets, infused, stopped):
        _panel(db, patient, low, NORMAL_TSAT)
    IRON_COURSES.add(db, tablets, IronCourseEntry(route="oral", started=DRAWN + DAY))
    IRON_COURSES.add(db, infused, IronCourseEntry(route="iv", started=DRAWN + DAY))
    IRON_COURSES.add(
        db, stopped, IronCourseEntry(route="oral", started=DRAWN + DAY, ended=DRAWN + 2 * DAY)
    )
    flags = _flags(db, clinic)
    assert "below_target_untreated" not in flags[tablets]
    assert "below_target_untreated" not in flags[infused]
    assert "below_target_untreated" in flags[stopped]


def test_worsening_follows_the_diary_trend_at_its_step(db: Database) -> None:
    clinic = _clinic(db)
    worse, same = _patient(db, clinic), _patient(db, clinic)
    step = int(NUMBERS["diary.trend_points"].value)
    for patient, later in ((worse, 2 + step), (same, 2)):
        _panel(db, patient, REPLETE_FERRITIN, NORMAL_TSAT)
        # Every night affected: the weekly burden is the severity itself.
        DIARY.add_all(
            db,
            patient,
            [
                DiaryEntry(date=DRAWN, nights_affected=7, severity=2),
                DiaryEntry(date=DRAWN + 7 * DAY, nights_affected=7, severity=later),
            ],
        )
    flags = _flags(db, clinic)
    assert flags[worse] == {"worsening"}
    assert flags[same] == set()


def test_awaiting_recheck_when_the_panel_came_too_soon_after_an_infusion(db: Database) -> None:
    clinic = _clinic(db)
    too_soon, in_time = _patient(db, clinic), _patient(db, clinic)
    unreliable = dt.timedelta(days=THRESHOLDS["iv.ferritin_unreliable_days"].value)
    infusion = DRAWN - unreliable
    for patient, drawn in ((too_soon, DRAWN - DAY), (in_time, DRAWN)):
        IRON_COURSES.add(db, patient, IronCourseEntry(route="iv", started=infusion))
        _panel(db, patient, REPLETE_FERRITIN, NORMAL_TSAT, drawn)
    rows = _rows(db, clinic)
    assert "awaiting_recheck" in rows[too_soon].flags
    assert rows[too_soon].decision == "test_first"
    assert "awaiting_recheck" not in rows[in_time].flags


def test_awaiting_recheck_once_the_recheck_after_starting_iron_is_due(db: Database) -> None:
    clinic = _clinic(db)
    due, not_yet = _patient(db, clinic), _patient(db, clinic)
    weeks = dt.timedelta(weeks=NUMBERS["retest.after_oral_weeks"].value)
    low = THRESHOLDS["ferritin.rls_indicated"].value
    for patient, started in ((due, TODAY - weeks), (not_yet, TODAY - weeks + DAY)):
        _panel(db, patient, low, NORMAL_TSAT, started - DAY)
        IRON_COURSES.add(db, patient, IronCourseEntry(route="oral", started=started))
    flags = _flags(db, clinic)
    assert flags[due] == {"awaiting_recheck"}
    assert flags[not_yet] == set()


def test_facts_missing_until_sex_and_birth_date_are_given(db: Database) -> None:
    clinic = _clinic(db)
    patient = _patient(db, clinic, sex=None, birth_date=None)
    _panel(db, patient, REPLETE_FERRITIN, NORMAL_TSAT)
    (row,) = _rows(db, clinic).values()
    assert (row.flags, row.decision, row.ferritin_ug_l, row.next_test_due) == (
        ("facts_missing",),
        None,
        None,
        None,
    )
    set_facts(db, patient, PersonFacts(sex="female", birth_date=dt.date(1980, 5, 1)))
    found = worklist(db, clinic, TODAY)
    assert found.refreshed == 1
    assert found.rows[0].flags == ()
    assert found.rows[0].decision == "not_indicated"


# ---------------------------------------------------------------- kept until a change


def _stored(db: Database, patient: int) -> tuple[int, dt.date]:
    with db.reading() as session:
        row = session.execute(
            select(orm.WorklistEntry.revision, orm.WorklistEntry.computed_on).where(
                orm.WorklistEntry.person_id == patient
            )
        ).one()
    return row.revision, row.computed_on


def test_a_view_recomputes_only_the_patients_whose_records_changed(db: Database) -> None:
    clinic = _clinic(db)
    patients = [_patient(db, clinic) for _ in range(3)]
    for patient in patients:
        _panel(db, patient, REPLETE_FERRITIN, NORMAL_TSAT)
    assert worklist(db, clinic, TODAY).refreshed == 3
    kept = {patient: _stored(db, patient) for patient in patients}

    later = TODAY + 10 * DAY
    assert worklist(db, clinic, later).refreshed == 0  # nothing changed: nothing assessed
    assert {patient: _stored(db, patient) for patient in patients} == kept

    changed = patients[1]
    _panel(db, changed, THRESHOLDS["ferritin.rls_indicated"].value, NORMAL_TSAT, TODAY)
    found = worklist(db, clinic, later)
    assert found.refreshed == 1
    assert _stored(db, changed) == (revision(db, changed), later)
    assert "below_target_untreated" in _flags(db, clinic, later)[changed]
    assert {p: _stored(db, p) for p in patients if p != changed} == {
        p: v for p, v in kept.items() if p != changed
    }


def test_retest_overdue_turns_on_with_the_date_alone(db: Database) -> None:
    clinic = _clinic(db)
    patient = _patient(db, clinic)
    _panel(db, patient, REPLETE_FERRITIN, NORMAL_TSAT)
    first = worklist(db, clinic, TODAY)
    due = first.rows[0].next_test_due
    assert due is not None and due > TODAY
    on_the_day = worklist(db, clinic, due)
    assert on_the_day.refreshed == 0
    assert on_the_day.rows[0].flags == ()
    after = worklist(db, clinic, due + DAY)
    assert after.refreshed == 0
    assert after.rows[0].flags == ("retest_overdue",)
    assert after.rows[0].computed_on == TODAY  # the same stored standing
    assert after.counts["retest_overdue"] == 1


def test_the_nightly_refresh_assesses_every_patient_again_as_of_the_day(db: Database) -> None:
    """A standing ages with the calendar: the nightly refresh (`every_day`) assesses the
    patients whose records did not change too, and a second run that day does nothing."""
    clinic = _clinic(db)
    patients = [_patient(db, clinic) for _ in range(2)]
    for patient in patients:
        _panel(db, patient, REPLETE_FERRITIN, NORMAL_TSAT)
    assert refresh_worklist(db, clinic, TODAY) == 2
    later = TODAY + 10 * DAY
    assert refresh_worklist(db, clinic, later) == 0  # a page view's refresh: no change
    assert refresh_worklist(db, clinic, later, every_day=True) == 2
    assert {_stored(db, p)[1] for p in patients} == {later}
    assert refresh_worklist(db, clinic, later, every_day=True) == 0


# ---------------------------------------------------------------- the list


def test_sorted_by_urgency_filtered_paginated_and_counted(db: Database) -> None:
    clinic = _clinic(db)
    replete, missing, low, unsafe = (_patient(db, clinic) for _ in range(4))
    no_facts = _patient(db, clinic, sex=None, birth_date=None)
    _panel(db, replete, REPLETE_FERRITIN, NORMAL_TSAT)
    _panel(db, low, THRESHOLDS["ferritin.rls_indicated"].value, NORMAL_TSAT)
    _panel(db, unsafe, REPLETE_FERRITIN, THRESHOLDS["tsat.contraindicated"].value)
    # Assessed today; `missing` (no results: test first) and `unsafe` are due today, so
    # overdue tomorrow.
    assert worklist(db, clinic, TODAY).refreshed == 5
    tomorrow = TODAY + DAY

    found = worklist(db, clinic, tomorrow, per_page=2)
    assert found.patients == found.matching == 5
    assert found.pages == 3
    assert [row.patient_id for row in found.rows] == [unsafe, low]
    assert found.rows[0].flags == ("safety", "retest_overdue")
    assert dict(found.counts) == {
        "safety": 1,
        "below_target_untreated": 1,
        "worsening": 0,
        "retest_overdue": 2,
        "awaiting_recheck": 0,
        "facts_missing": 1,
    }
    rest = [worklist(db, clinic, tomorrow, per_page=2, page=page) for page in (2, 3)]
    assert [row.patient_id for page in rest for row in page.rows] == [missing, no_facts, replete]
    assert worklist(db, clinic, tomorrow, per_page=2, page=4).rows == ()

    overdue = worklist(db, clinic, tomorrow, flag="retest_overdue")
    assert [row.patient_id for row in overdue.rows] == [unsafe, missing]
    assert overdue.matching == 2
    for flag in FLAGS:
        only = worklist(db, clinic, tomorrow, flag=flag)
        assert only.matching == len(only.rows) == found.counts[flag]
        assert all(flag in row.flags for row in only.rows)


def test_only_open_shares_with_this_clinic_are_listed(db: Database) -> None:
    clinic, other = _clinic(db), _clinic(db)
    stays, revokes, elsewhere = _patient(db, clinic), _patient(db, clinic), _patient(db, other)
    shared_with_both = _patient(db, other)
    _share(db, clinic, shared_with_both)
    assert set(_rows(db, clinic)) == {stays, revokes, shared_with_both}
    revoke_share(db, revokes, clinic, now=NOW)
    found = worklist(db, clinic, TODAY)
    assert {row.patient_id for row in found.rows} == {stays, shared_with_both}
    assert found.patients == 2
    assert set(_rows(db, other)) == {elsewhere, shared_with_both}


@pytest.mark.parametrize("text", ["", "   ", "with a \x00 in it"])
def test_a_note_must_be_storable_text(text: str) -> None:
    with pytest.raises(ValueError, match="text"):
        NoteEntry(text=text)


def test_notes_are_the_clinics_own_newest_first_and_outlive_their_author(db: Database) -> None:
    clinic, other = _clinic(db), _clinic(db)
    patient, author, colleague = make_person(db), make_person(db), make_person(db)
    first = add_note(db, clinic, patient.id, author.id, NoteEntry(text=" Seen today "), now=NOW)
    add_note(db, clinic, patient.id, colleague.id, NoteEntry(text="Recheck"), now=NOW + DAY)
    add_note(db, other, patient.id, colleague.id, NoteEntry(text="Elsewhere"), now=NOW)
    assert (first.text, first.author, first.created_at) == ("Seen today", author.email, NOW)
    assert [(n.text, n.author) for n in notes_of(db, clinic, patient.id)] == [
        ("Recheck", colleague.email),
        ("Seen today", author.email),
    ]
    delete_person(db, author.id)
    assert [(n.text, n.author_id, n.author) for n in notes_of(db, clinic, patient.id)][-1] == (
        "Seen today",
        None,
        None,
    )
