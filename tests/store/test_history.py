"""The stored history as the engine's input on any day; the export; deleting an account."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from rlsiron import assess, parse_input
from rlsiron.core.models import DiaryEntry
from rlsiron.errors import RlsironError
from rlsiron.store import (
    ASSESSMENTS,
    CONDITIONS,
    DIARY,
    IRLS,
    IRON_COURSES,
    LABS,
    MEDICINES,
    ConditionEntry,
    Database,
    Export,
    IrlsEntry,
    IronCourseEntry,
    LabEntry,
    MedicineEntry,
    PersonRecord,
    Pregnancy,
    add_labs,
    add_member,
    as_input,
    create_organisation,
    create_person,
    create_share_code,
    delete_person,
    export,
    history_document,
    redeem_share_code,
    start_session,
)
from rlsiron.store import models as orm
from rlsiron.store.history import pregnancy_weeks
from tests.store.helpers import NOT_A_PERSONS, make_person

D = dt.date
REPORT = {"file": "panel-2025-01.pdf", "at": "line 12", "text": "Ferritin 30 ug/L"}


def _panel(day: dt.date, ferritin: float, tsat: float, **ferritin_more: Any) -> list[LabEntry]:
    return [
        LabEntry(test="Ferritin", value=ferritin, unit="ug/L", date=day, **ferritin_more),
        LabEntry(test="TSAT", value=tsat, unit="%", date=day),
    ]


def _history(db: Database) -> PersonRecord:
    """Low iron in January 2025, oral iron from March to August, replete in September."""
    person = make_person(db, birth_date=D(1980, 5, 1))
    add_labs(db, person.id, _panel(D(2025, 1, 10), 30, 15, origin=REPORT))
    add_labs(db, person.id, _panel(D(2025, 9, 1), 150, 30))
    IRON_COURSES.add(
        db,
        person.id,
        IronCourseEntry(
            route="oral", product="ferrous sulfate", started=D(2025, 3, 1), ended=D(2025, 8, 1)
        ),
    )
    return person


def _document(age: int, labs: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    return {"person": {"sex": "female", "age_years": age}, "labs": labs, **more}


def _row(test: str, value: float, unit: str, day: str) -> dict[str, Any]:
    return {"test": test, "value": value, "unit": unit, "date": day}


JANUARY = [_row("Ferritin", 30, "ug/L", "2025-01-10"), _row("TSAT", 15, "%", "2025-01-10")]
SEPTEMBER = [_row("Ferritin", 150, "ug/L", "2025-09-01"), _row("TSAT", 30, "%", "2025-09-01")]
OCTOBER_COURSE = {"route": "oral", "product": "ferrous sulfate", "started": "2025-03-01"}


@pytest.mark.parametrize(
    ("day", "decision", "document"),
    [
        (D(2025, 2, 1), "indicated", _document(44, JANUARY)),
        (
            D(2025, 10, 1),
            "not_indicated",
            _document(
                45,
                JANUARY + SEPTEMBER,
                iron_therapy=[{**OCTOBER_COURSE, "ended": "2025-08-01"}],
            ),
        ),
    ],
)
def test_the_history_replayed_on_two_days_gives_the_engines_two_decisions(
    db: Database, day: dt.date, decision: str, document: dict[str, Any]
) -> None:
    person = _history(db)
    replayed = assess(as_input(db, person.id, day), as_of=day)
    assert replayed.iron_therapy.decision == decision
    by_hand = assess(parse_input(document), as_of=day)
    assert replayed.model_dump() == by_hand.model_dump()


def test_a_day_sees_only_what_was_known_on_it(db: Database) -> None:
    person = _history(db)
    pid, day = person.id, D(2025, 6, 1)
    IRLS.add(db, pid, IrlsEntry(date=D(2025, 1, 5), irls_total=24))
    IRLS.add(db, pid, IrlsEntry(date=D(2025, 5, 5), irls_total=15))
    IRLS.add(db, pid, IrlsEntry(date=D(2025, 7, 5), irls_total=8))
    DIARY.add(db, pid, DiaryEntry(date=D(2025, 5, 31), nights_affected=4, severity=6))
    DIARY.add(db, pid, DiaryEntry(date=D(2025, 6, 7), nights_affected=2, severity=3))
    MEDICINES.add(db, pid, MedicineEntry(text="omeprazole", started=D(2024, 1, 1)))
    MEDICINES.add(db, pid, MedicineEntry(text="sertraline", ended=D(2025, 5, 1)))
    MEDICINES.add(db, pid, MedicineEntry(text="cetirizine", started=D(2025, 7, 1)))
    CONDITIONS.add(db, pid, ConditionEntry(text="coeliac disease"))
    IRON_COURSES.add(db, pid, IronCourseEntry(route="iv", started=D(2025, 9, 20)))

    document = history_document(db, pid, day)
    assert document["labs"] == JANUARY
    assert document["provenance"] == {"labs[0]": [REPORT]}
    assert document["rls"] == {
        "irls_total": 15,
        "diary": [{"date": "2025-05-31", "nights_affected": 4, "severity": 6}],
    }
    assert document["medications"] == ["omeprazole"]
    assert document["person"]["conditions"] == ["coeliac disease"]
    assert document["iron_therapy"] == [OCTOBER_COURSE]  # ends after the day: still going on
    assert as_input(db, pid, day).person.age_years == 45


@pytest.mark.parametrize(
    ("day", "weeks"),
    [
        (D(2025, 3, 1), 10),
        (D(2025, 3, 15), 12),
        (D(2025, 2, 20), 8),  # 8 weeks and 5 days
        (D(2024, 12, 1), None),  # before the pregnancy
        (D(2025, 12, 6), None),  # 50 weeks: no longer pregnant
    ],
)
def test_pregnancy_weeks_are_counted_from_the_day_they_were_given(
    day: dt.date, weeks: int | None
) -> None:
    assert pregnancy_weeks(Pregnancy(weeks=10, on=D(2025, 3, 1)), day) == weeks


def test_a_pregnancy_reaches_the_document_in_the_weeks_of_its_day(db: Database) -> None:
    person = make_person(db, pregnancy=Pregnancy(weeks=10, on=D(2025, 3, 1)))
    assert as_input(db, person.id, D(2025, 4, 26)).person.pregnancy_weeks == 18
    assert as_input(db, person.id, D(2024, 4, 26)).person.pregnancy_weeks is None


def test_facts_the_engine_needs_but_lacks_are_its_own_problems(db: Database) -> None:
    person = create_person(db, f"new-{make_person(db).id}@example.org", "h")
    with pytest.raises(RlsironError) as caught:
        as_input(db, person.id, D(2025, 1, 1))
    assert {p.location for p in caught.value.problems} >= {"person.sex", "person.age_years"}


def test_the_export_holds_everything_and_its_input_is_the_contracts(db: Database) -> None:
    person = _history(db)
    day = D(2025, 10, 1)
    IRLS.add(db, person.id, IrlsEntry(date=D(2025, 5, 5), irls_total=15))
    MEDICINES.add(db, person.id, MedicineEntry(text="sertraline", ended=D(2025, 5, 1)))
    saved = ASSESSMENTS.add(db, person.id, assess(as_input(db, person.id, day), as_of=day))

    exported = export(db, person.id, day)
    assert exported.person.id == person.id
    assert exported.input == history_document(db, person.id, day)
    assert exported.records.labs == tuple(LABS.all(db, person.id))
    assert [m.text for m in exported.records.medicines] == ["sertraline"]  # ended: kept here
    assert "medications" not in exported.input  # ...but not taken on the day
    assert exported.records.assessments == (saved,)
    assert Export.model_validate_json(exported.model_dump_json()) == exported
    again = assess(parse_input(exported.input, as_of=day), as_of=day)
    assert again.model_dump() == saved.output.model_dump()


def _clinic_rows(db: Database, person_id: int) -> None:
    """A row of the person in every table of the clinic: a member of a clinic, and a
    patient who shared with it (a code, the share, an identifier, a note, the worklist)."""
    clinic = create_organisation(db, f"Clinic of {person_id}").id
    add_member(db, clinic, person_id, "clinician")
    now = dt.datetime(2025, 10, 1, tzinfo=dt.UTC)
    code = create_share_code(db, person_id, now=now, lifetime=dt.timedelta(days=1))
    redeem_share_code(db, code, clinic, now=now)
    with db.transaction() as session:
        session.add_all(
            [
                orm.PatientIdentifier(
                    person_id=person_id, organisation_id=clinic, system="mrn", value="1"
                ),
                orm.ClinicianNote(person_id=person_id, organisation_id=clinic, text="seen"),
                orm.WorklistEntry(
                    person_id=person_id,
                    revision=0,
                    computed_on=D(2025, 10, 1),
                    urgency=0,
                    flags=[],
                ),
            ]
        )


def _rows_of(db: Database, person_id: int) -> dict[str, int]:
    """How many rows of each table belong to the person (people: the person's own)."""
    owners = {
        orm.Person: orm.Person.id,
        orm.Membership: orm.Membership.person_id,
        **{t: t.person_id for t in orm.Owned.__subclasses__()},
    }
    with db.reading() as session:
        return {
            table.__tablename__: session.scalar(
                select(func.count()).select_from(table).where(owner == person_id)
            )
            or 0
            for table, owner in owners.items()
        }


def test_deleting_an_account_removes_every_row_of_it_and_only_of_it(db: Database) -> None:
    gone, stays = _history(db), _history(db)
    for person in (gone, stays):
        IRLS.add(db, person.id, IrlsEntry(date=D(2025, 5, 5), irls_total=15))
        MEDICINES.add(db, person.id, MedicineEntry(text="omeprazole"))
        CONDITIONS.add(db, person.id, ConditionEntry(text="coeliac disease"))
        day = D(2025, 10, 1)
        ASSESSMENTS.add(db, person.id, assess(as_input(db, person.id, day), as_of=day))
        signed_in = dt.datetime(2025, 10, 1, tzinfo=dt.UTC)
        start_session(
            db,
            person.id,
            f"token of {person.id}",
            now=signed_in,
            expires_at=signed_in + dt.timedelta(weeks=2),
        )
        _clinic_rows(db, person.id)
    before = _rows_of(db, stays.id)
    assert set(before) | set(NOT_A_PERSONS) == set(orm.Base.metadata.tables)  # all looked at
    assert all(before.values())

    delete_person(db, gone.id)
    assert set(_rows_of(db, gone.id).values()) == {0}
    assert _rows_of(db, stays.id) == before
