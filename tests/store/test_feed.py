"""The lab feed in the store: a clinic's identifiers for its linked patients, matching a
feed's patients to them, and storing one patient's results in one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import pytest
from sqlalchemy import select

from rlsiron.errors import RlsironError
from rlsiron.store import (
    LABS,
    Database,
    NotFoundError,
    add_member,
    create_organisation,
    create_share_code,
    redeem_share_code,
    revision,
    revoke_share,
)
from rlsiron.store import models as orm
from rlsiron.store.feed import (
    FeedMatch,
    IdentifierEntry,
    Staff,
    add_identifier,
    identifiers_of,
    match_feed,
    remove_identifier,
    store_feed_results,
)
from tests.store.helpers import make_person

NOW: Final = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
TODAY: Final = NOW.date()
DAY: Final = dt.timedelta(days=1)
MRN: Final = "urn:oid:1.2.36.146.595.217.0.1"
ADDRESS: Final = "192.0.2.7"
ORIGIN: Final = {"file": "batch.hl7", "at": "OBX 1 of message 2", "text": "OBX|1|NM|2276-4"}


def _clinic(db: Database, role: orm.Role = "clinician") -> Staff:
    """A new clinic with one member, who acts for it."""
    member = make_person(db)
    clinic = create_organisation(db, f"Sleep clinic {member.id}").id
    add_member(db, clinic, member.id, role)
    return Staff(member.id, clinic, address=ADDRESS, at=NOW)


def _linked(db: Database, staff: Staff) -> int:
    """A new patient who shared their record with the staff's clinic."""
    patient = make_person(db)
    code = create_share_code(db, patient.id, now=NOW, lifetime=DAY)
    redeem_share_code(db, code, staff.organisation_id, now=NOW)
    return patient.id


def _mrn(value: str) -> IdentifierEntry:
    return IdentifierEntry(system=MRN, value=value)


def _events(db: Database, patient_id: int) -> list[tuple[Any, ...]]:
    """The audit log's events about the patient's record (sharing aside)."""
    with db.reading() as session:
        rows = session.scalars(
            select(orm.AuditEvent)
            .where(orm.AuditEvent.subject_id == patient_id, orm.AuditEvent.record != "shares")
            .order_by(orm.AuditEvent.id)
        )
        return [
            (e.actor_id, e.actor_role, e.organisation_id, e.action, e.record, e.address, e.at)
            for e in rows
        ]


# ---------------------------------------------------------------- identifiers


def test_a_member_adds_lists_and_removes_a_linked_patients_identifiers(db: Database) -> None:
    staff = _clinic(db, "admin")
    patient = _linked(db, staff)
    added = add_identifier(db, staff, patient, _mrn(" MRN-1 "))
    national = add_identifier(db, staff, patient, IdentifierEntry(system="NHS", value="943"))
    assert (added.patient_id, added.system, added.value) == (patient, MRN, "MRN-1")
    assert identifiers_of(db, staff, patient) == [national, added]  # by system, then value
    remove_identifier(db, staff, patient, added.id)
    assert identifiers_of(db, staff, patient) == [national]
    with pytest.raises(NotFoundError):
        remove_identifier(db, staff, patient, added.id)  # gone already


def test_an_identifier_names_one_patient_in_a_clinic(db: Database) -> None:
    staff = _clinic(db)
    first, second = _linked(db, staff), _linked(db, staff)
    add_identifier(db, staff, first, _mrn("MRN-7"))
    for patient in (first, second):
        with pytest.raises(RlsironError) as refused:
            add_identifier(db, staff, patient, _mrn("MRN-7"))
        assert refused.value.field == "value" and refused.value.value == "MRN-7"
    add_identifier(
        db, staff, second, IdentifierEntry(system="NHS", value="MRN-7")
    )  # another system
    other_clinic = _clinic(db)
    elsewhere = _linked(db, other_clinic)
    add_identifier(db, other_clinic, elsewhere, _mrn("MRN-7"))  # another clinic's numbering
    assert [i.value for i in identifiers_of(db, staff, second)] == ["MRN-7"]


def test_who_is_not_a_member_or_whose_patient_is_not_linked_finds_nothing(db: Database) -> None:
    staff = _clinic(db)
    patient = _linked(db, staff)
    known = add_identifier(db, staff, patient, _mrn("MRN-9"))
    stranger = Staff(make_person(db).id, staff.organisation_id)
    other_clinics = _clinic(db, "admin")
    outsider = Staff(other_clinics.person_id, staff.organisation_id)  # claims the wrong clinic
    unlinked = make_person(db).id
    attempts = [
        (staff, unlinked),
        (stranger, patient),
        (outsider, patient),
        (Staff(staff.person_id, 2**40), patient),
        (staff, 2**40),
    ]
    for who, whom in attempts:
        with pytest.raises(NotFoundError):
            identifiers_of(db, who, whom)
        with pytest.raises(NotFoundError):
            add_identifier(db, who, whom, _mrn("MRN-10"))
        with pytest.raises(NotFoundError):
            remove_identifier(db, who, whom, known.id)
    with pytest.raises(NotFoundError):
        remove_identifier(db, staff, patient, 2**40)
    revoke_share(db, patient, staff.organisation_id, now=NOW + DAY)
    with pytest.raises(NotFoundError):
        identifiers_of(db, staff, patient)  # at once, on the next call
    assert identifiers_of(db, staff, _linked(db, staff)) == []


# ---------------------------------------------------------------- matching


def test_a_feeds_patients_are_matched_by_identifier_and_only_to_linked_patients(
    db: Database,
) -> None:
    staff = _clinic(db)
    anna, bert, revoked = _linked(db, staff), _linked(db, staff), _linked(db, staff)
    add_identifier(db, staff, anna, _mrn("A-1"))
    add_identifier(db, staff, anna, IdentifierEntry(system="NHS", value="111"))
    add_identifier(db, staff, bert, _mrn("B-2"))
    add_identifier(db, staff, revoked, _mrn("R-3"))
    revoke_share(db, revoked, staff.organisation_id, now=NOW + DAY)
    found = match_feed(
        db,
        staff,
        [
            {(MRN, "A-1")},
            {(MRN, "A-1"), ("NHS", "111"), ("SSN", "999-00")},  # one unknown beside two of anna's
            {(MRN, "B-2")},
            {(MRN, "Z-9")},
            set(),
            {(MRN, "R-3")},
            {(MRN, "A-1"), (MRN, "B-2")},
            {("NHS", "B-2")},  # bert's value in another system
        ],
    )
    assert found == [
        FeedMatch(anna, ((MRN, "A-1"),)),
        FeedMatch(anna, (("NHS", "111"), (MRN, "A-1"))),
        FeedMatch(bert, ((MRN, "B-2"),)),
        FeedMatch(None, unmatched="unknown"),
        FeedMatch(None, unmatched="no_identifier"),
        FeedMatch(None, unmatched="unknown"),  # revoked reads as unknown
        FeedMatch(None, unmatched="several_patients"),
        FeedMatch(None, unmatched="unknown"),
    ]
    with pytest.raises(NotFoundError):
        match_feed(db, Staff(make_person(db).id, staff.organisation_id), [{(MRN, "A-1")}])


# ---------------------------------------------------------------- storing


def _document(*rows: dict[str, Any]) -> dict[str, Any]:
    return {
        "labs": list(rows),
        "provenance": {f"labs[{i}]": [ORIGIN] for i in range(len(rows))},
    }


FERRITIN: Final = {"test": "ferritin", "value": 33, "unit": "ug/L", "date": "2025-07-31"}
TSAT: Final = {"test": "tsat", "value": 16, "unit": "%", "date": "2025-07-31"}


def test_a_patients_results_are_stored_once_with_their_origin_and_audited(db: Database) -> None:
    staff = _clinic(db)
    patient = _linked(db, staff)
    before = revision(db, patient)
    stored = store_feed_results(db, staff, patient, _document(FERRITIN, TSAT), today=TODAY)
    assert [r.canonical.test for r in stored.labs] == ["ferritin", "tsat"]
    assert stored.already_stored == []
    assert [r.origin.at if r.origin else None for r in LABS.all(db, patient)] == [ORIGIN["at"]] * 2
    assert revision(db, patient) > before
    again = store_feed_results(db, staff, patient, _document(FERRITIN, TSAT), today=TODAY)
    assert again.labs == [] and len(again.already_stored) == 2
    assert len(LABS.all(db, patient)) == 2
    import_event = (staff.person_id, "clinician", staff.organisation_id, "import", "labs")
    assert _events(db, patient) == [(*import_event, ADDRESS, NOW)] * 2


def test_a_bad_row_stores_none_of_the_patients_results(db: Database) -> None:
    staff = _clinic(db)
    patient = _linked(db, staff)
    before = revision(db, patient)
    bad = {**TSAT, "unit": "furlongs"}
    with pytest.raises(RlsironError) as refused:
        store_feed_results(db, staff, patient, _document(FERRITIN, bad), today=TODAY)
    assert [p.location for p in refused.value.problems] == ["labs[1].unit"]
    assert LABS.all(db, patient) == [] and revision(db, patient) == before
    assert _events(db, patient) == []


def test_a_feed_stores_results_only(db: Database) -> None:
    staff = _clinic(db)
    patient = _linked(db, staff)
    document = {**_document(FERRITIN), "medications": ["ferrous sulfate"], "person": {}}
    with pytest.raises(RlsironError) as refused:
        store_feed_results(db, staff, patient, document, today=TODAY)
    assert [p.location for p in refused.value.problems] == ["medications", "person"]
    assert LABS.all(db, patient) == []


def test_nothing_is_stored_for_a_patient_who_revoked_or_by_a_non_member(db: Database) -> None:
    staff = _clinic(db)
    patient = _linked(db, staff)
    revoke_share(db, patient, staff.organisation_id, now=NOW + DAY)
    stranger = Staff(make_person(db).id, staff.organisation_id)
    for who, whom in ((staff, patient), (stranger, _linked(db, staff)), (staff, 2**40)):
        with pytest.raises(NotFoundError):
            store_feed_results(db, who, whom, _document(FERRITIN), today=TODAY)
        if whom != 2**40:
            assert LABS.all(db, whom) == [] and _events(db, whom) == []
