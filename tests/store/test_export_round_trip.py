"""Export -> delete -> import round-trips every record of a person (issue 8's "Must show").

A person with every kind of record is exported (as `GET /api/v1/me/export` gives it, through
JSON), deleted, recreated from the export and exported again: the two exports are equal but
for what must differ (record ids, the account's id and creation time); the password hash is
the new one. Recreating is one transaction: a record the core cannot read, facts the
conditions contradict, or an email that has an account leave nothing behind.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import pytest
from sqlalchemy import func, select

from rlsiron import assess
from rlsiron.core.models import DiaryEntry, Origin, Quantity
from rlsiron.errors import ContradictionError, RlsironError
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
    DisplaySettings,
    EmailTakenError,
    Export,
    IrlsEntry,
    IronCourseEntry,
    LabEntry,
    MedicineEntry,
    PersonFacts,
    as_input,
    create_person,
    delete_person,
    export,
    find_account,
    set_facts,
    set_settings,
)
from rlsiron.store import models as orm
from rlsiron.store.recreate import recreate_person
from tests.store.helpers import make_person

D = dt.date
AS_OF: Final = D(2026, 3, 1)
PORTAL: Final = Origin(file="portal.json", at="entry 4 (Observation/f1)", text="Ferritin", note="n")
NEW_HASH: Final = "argon2-new-hash"


def _rich_person(db: Database) -> int:
    """A person with every kind of record, in each shape a record can take."""
    person = make_person(db)
    facts = {
        "sex": "female",
        "birth_date": D(1984, 2, 29),
        "pregnancy": {"weeks": 12, "on": D(2026, 2, 1)},
        "postmenopausal": False,
        "kidney": "ckd",
        "diet": "vegetarian",
        "symptoms": ("chronic_fatigue", "pale_skin"),
        "rls_criteria": {"urge": True, "rest": True, "movement_relief": False, "evening": True},
    }
    set_facts(db, person.id, PersonFacts.model_validate(facts))
    set_settings(db, person.id, DisplaySettings(units="si", profile="ferritin-50"))
    LABS.add_all(
        db,
        person.id,
        [
            LabEntry(test="Ferritin", value=38, unit="ug/L", date=D(2025, 1, 10), origin=PORTAL),
            LabEntry(
                test="ferritin",
                value=38.0,
                unit="ng/mL",
                date=D(2025, 6, 1),
                reference_range="15-150",
                flag="N",
                assay="roche",
            ),
            LabEntry(test="ferritin", value="<5", unit="ug/L", date=D(2025, 9, 1)),
            LabEntry(
                test="2502-3",
                value=Quantity(value=5, comparator="<"),
                unit="%",
                date=D(2025, 9, 1),
                reference_range={"low": 20, "high": 45},
            ),
            LabEntry(test="hemoglobin", value=11.9, unit="g/dL", date=D(2025, 9, 1), flag="L"),
        ],
    )
    IRLS.add_all(
        db,
        person.id,
        [
            IrlsEntry(date=D(2025, 1, 12), irls_total=24),
            IrlsEntry(date=D(2025, 9, 3), irls_items=(2, 3, 1, 2, 0, 3, 2, 1, 2, 1)),
        ],
    )
    DIARY.add(db, person.id, DiaryEntry(date=D(2025, 9, 7), nights_affected=4, severity=6))
    MEDICINES.add_all(
        db,
        person.id,
        [
            MedicineEntry(text="omeprazole"),
            MedicineEntry(text="sertraline", started=D(2024, 1, 1), ended=D(2025, 4, 30)),
            MedicineEntry(text="pramipexole", started=D(2025, 5, 1)),
        ],
    )
    CONDITIONS.add_all(
        db,
        person.id,
        [ConditionEntry(text="chronic kidney disease"), ConditionEntry(text="coeliac disease")],
    )
    IRON_COURSES.add_all(
        db,
        person.id,
        [
            IronCourseEntry(
                route="oral", product="ferrous sulfate", started=D(2025, 2, 1), ended=D(2025, 7, 1)
            ),
            IronCourseEntry(route="iv", product="ferric carboxymaltose", started=D(2025, 10, 2)),
        ],
    )
    for day in (D(2025, 9, 2), AS_OF):
        ASSESSMENTS.add(db, person.id, assess(as_input(db, person.id, day), as_of=day))
    return person.id


def _as_sent(exported: Export) -> Export:
    """The export as a file holds it: through JSON, as the API gives it and a CLI reads it."""
    return Export.model_validate_json(exported.model_dump_json())


def _without_new(exported: Export) -> dict[str, Any]:
    """The export without what a new account must change: ids, its creation time."""
    dumped = exported.model_dump(mode="json")
    for key in ("id", "created_at"):
        dumped["person"].pop(key)
    for records in dumped["records"].values():
        for record in records:
            record.pop("id")
    return dumped


def _ids(exported: Export) -> set[tuple[str, int]]:
    """Every record's (kind, id): ids are per table."""
    dumped = exported.model_dump()["records"]
    return {(kind, record["id"]) for kind, records in dumped.items() for record in records}


def test_export_delete_import_round_trips_every_record(db: Database) -> None:
    person_id = _rich_person(db)
    before = _as_sent(export(db, person_id, AS_OF))
    assert len(before.records.labs) == 5 and len(before.records.assessments) == 2
    delete_person(db, person_id)
    assert find_account(db, before.person.email) is None

    recreated = recreate_person(db, before, email=before.person.email, password_hash=NEW_HASH)
    after = export(db, recreated.id, AS_OF)

    assert _without_new(after) == _without_new(before)
    assert after.person.id != person_id
    assert after.person.created_at > before.person.created_at
    assert _ids(after).isdisjoint(_ids(before))
    account = find_account(db, before.person.email)
    assert account is not None and (account.id, account.password_hash) == (recreated.id, NEW_HASH)


def _people(db: Database) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(orm.Person)) or 0


def _edited(exported: Export, **records: Any) -> Export:
    dumped = exported.model_dump(mode="json")
    dumped["records"].update(records)
    return Export.model_validate(dumped)


def test_a_record_the_core_cannot_read_is_located_and_nothing_is_written(db: Database) -> None:
    exported = export(db, _rich_person(db), AS_OF)
    labs = exported.model_dump(mode="json")["records"]["labs"]
    labs[2]["unit"] = "furlongs"
    email = "nobody-yet@example.org"
    with pytest.raises(RlsironError) as raised:
        recreate_person(db, _edited(exported, labs=labs), email=email, password_hash=NEW_HASH)
    assert [p.location for p in raised.value.problems] == ["records.labs[2].unit"]
    assert find_account(db, email) is None


def test_a_failure_after_the_first_writes_leaves_nothing_behind(db: Database) -> None:
    """The kidney status is checked last, after the account and its records are written:
    the contradiction rolls every one of them back."""
    exported = export(db, _rich_person(db), AS_OF)
    conditions = [*exported.model_dump(mode="json")["records"]["conditions"]]
    conditions.append({"id": 0, "text": "haemodialysis"})
    people = _people(db)
    email = "half-written@example.org"
    with pytest.raises(ContradictionError):
        recreate_person(
            db, _edited(exported, conditions=conditions), email=email, password_hash=NEW_HASH
        )
    assert find_account(db, email) is None and _people(db) == people


def test_an_email_with_an_account_is_refused_and_nothing_is_written(db: Database) -> None:
    exported = export(db, _rich_person(db), AS_OF)
    people = _people(db)
    with pytest.raises(EmailTakenError):
        recreate_person(db, exported, email=exported.person.email, password_hash=NEW_HASH)
    assert _people(db) == people
    other = create_person(db, "Someone.Else@Example.org", "hash")
    with pytest.raises(EmailTakenError):
        recreate_person(db, exported, email=" someone.else@example.org ", password_hash="x")
    assert _people(db) == people + 1 and other.email == "someone.else@example.org"
