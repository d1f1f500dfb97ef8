"""Clinics, members and shares: who may see a patient, and codes that work once."""

from __future__ import annotations

import datetime as dt

import pytest

from rlsiron.errors import RlsironError
from rlsiron.store import (
    CodeError,
    Database,
    NotFoundError,
    add_member,
    clinic_of,
    create_organisation,
    create_share_code,
    invite_staff,
    join_with_code,
    linked_patients,
    memberships_of,
    redeem_share_code,
    revoke_share,
    role_in,
    shares_of,
)
from tests.store.helpers import make_person

NOW = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _clinic(db: Database, name: str) -> int:
    return create_organisation(db, f"{name} {make_person(db).id}").id  # unique per test run


def test_a_patient_shares_by_code_and_only_that_clinics_members_see_them(db: Database) -> None:
    patient, doctor, stranger = make_person(db), make_person(db), make_person(db)
    sleep_clinic, other_clinic = _clinic(db, "Sleep clinic"), _clinic(db, "Other clinic")
    add_member(db, sleep_clinic, doctor.id, "clinician")
    add_member(db, other_clinic, stranger.id, "clinician")
    with pytest.raises(NotFoundError):
        clinic_of(db, doctor.id, patient.id)  # nothing shared yet

    code = create_share_code(db, patient.id, now=NOW, lifetime=DAY)
    share = redeem_share_code(db, code, sleep_clinic, now=NOW)
    assert (share.patient_id, share.organisation_id, share.revoked_at) == (
        patient.id,
        sleep_clinic,
        None,
    )
    assert clinic_of(db, doctor.id, patient.id) == sleep_clinic
    assert linked_patients(db, sleep_clinic) == [patient.id]
    with pytest.raises(NotFoundError):
        clinic_of(db, stranger.id, patient.id)  # a clinician of another clinic
    assert linked_patients(db, other_clinic) == []

    revoke_share(db, patient.id, sleep_clinic, now=NOW + DAY)
    with pytest.raises(NotFoundError):
        clinic_of(db, doctor.id, patient.id)  # at once, on the next request
    (ended,) = shares_of(db, patient.id)
    assert ended.revoked_at == NOW + DAY and ended.organisation.startswith("Sleep clinic")
    with pytest.raises(NotFoundError):
        revoke_share(db, patient.id, sleep_clinic, now=NOW + DAY)  # nothing open to revoke

    again = create_share_code(db, patient.id, now=NOW + 2 * DAY, lifetime=DAY)
    assert redeem_share_code(db, again, sleep_clinic, now=NOW + 2 * DAY).revoked_at is None
    assert clinic_of(db, doctor.id, patient.id) == sleep_clinic
    assert len(shares_of(db, patient.id)) == 1  # the same share, opened again


@pytest.mark.parametrize(
    ("later", "why"),
    [(DAY, "expired"), (DAY - dt.timedelta(seconds=1), "used")],
)
def test_a_share_code_works_once_and_not_after_it_expires(
    db: Database, later: dt.timedelta, why: str
) -> None:
    patient = make_person(db)
    clinic = _clinic(db, "Clinic")
    code = create_share_code(db, patient.id, now=NOW, lifetime=DAY)
    if why == "used":
        redeem_share_code(db, code, clinic, now=NOW)
    with pytest.raises(CodeError) as caught:
        redeem_share_code(db, code, _clinic(db, "Another"), now=NOW + later)
    assert caught.value.why == why and caught.value.field == "code"
    with pytest.raises(CodeError) as unknown:
        redeem_share_code(db, "not-a-code", clinic, now=NOW)
    assert unknown.value.why == "unknown"


def test_an_invitation_makes_a_member_once(db: Database) -> None:
    clinic = _clinic(db, "Clinic")
    admin, newcomer, latecomer = make_person(db), make_person(db), make_person(db)
    add_member(db, clinic, admin.id, "admin")
    code = invite_staff(db, clinic, "clinician", created_by=admin.id, now=NOW, lifetime=DAY)
    joined = join_with_code(db, code, newcomer.id, now=NOW)
    assert (joined.organisation_id, joined.role) == (clinic, "clinician")
    assert role_in(db, newcomer.id, clinic) == "clinician"
    assert [m.organisation_id for m in memberships_of(db, newcomer.id)] == [clinic]
    with pytest.raises(CodeError):
        join_with_code(db, code, latecomer.id, now=NOW)
    assert memberships_of(db, latecomer.id) == []
    assert role_in(db, latecomer.id, clinic) is None


def test_a_clinic_name_is_taken_once(db: Database) -> None:
    name = f"Clinic {make_person(db).id}"
    create_organisation(db, name)
    with pytest.raises(RlsironError) as caught:
        create_organisation(db, name)
    assert caught.value.field == "name"
