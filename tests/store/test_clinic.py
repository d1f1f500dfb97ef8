"""Clinics, members and shares: who may see a patient, and codes that work once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from rlsiron.errors import RlsironError
from rlsiron.store import (
    CodeError,
    Database,
    NotFoundError,
    add_member,
    clinic_of,
    create_organisation,
    create_share_code,
    delete_person,
    find_account,
    invite_staff,
    join_with_code,
    redeem_share_code,
    revoke_share,
    role_in,
    session_person,
    shares_of,
    start_session,
)
from rlsiron.store import models as orm
from rlsiron.store.clinic import (
    clinics_of,
    members_of,
    membership,
    organisation_named,
    reset_password,
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
    with pytest.raises(NotFoundError):
        clinic_of(db, stranger.id, patient.id)  # a clinician of another clinic

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
    assert [m.organisation_id for m in clinics_of(db, newcomer.id)] == [clinic]
    with pytest.raises(CodeError):
        join_with_code(db, code, latecomer.id, now=NOW)
    assert clinics_of(db, latecomer.id) == []
    assert role_in(db, latecomer.id, clinic) is None


def test_a_clinic_name_is_taken_once(db: Database) -> None:
    name = f"Clinic {make_person(db).id}"
    create_organisation(db, name)
    with pytest.raises(RlsironError) as caught:
        create_organisation(db, name)
    assert caught.value.field == "name"


# ---------------------------------------------------------------- acting for a clinic


def snapshot(db: Database) -> dict[str, int]:
    """What an act for a clinic could write: clinics, members, invitations (and those used),
    share codes (and those used), open shares, audit events. The web and CLI tests use it."""
    counts = {
        "clinics": select(func.count()).select_from(orm.Organisation),
        "memberships": select(func.count()).select_from(orm.Membership),
        "invitations": select(func.count()).select_from(orm.StaffInvitation),
        "invitations used": select(func.count()).where(orm.StaffInvitation.used_at.is_not(None)),
        "share codes": select(func.count()).select_from(orm.ShareCode),
        "share codes used": select(func.count()).where(orm.ShareCode.used_at.is_not(None)),
        "open shares": select(func.count()).where(orm.Share.revoked_at.is_(None)),
        "audit events": select(func.count()).select_from(orm.AuditEvent),
    }
    with db.reading() as session:
        return {name: session.scalar(query) or 0 for name, query in counts.items()}


def test_a_clinic_is_made_with_its_first_administrator(db: Database) -> None:
    first = make_person(db)
    name = f"Sleep clinic {first.id}"
    clinic = create_organisation(db, f"  {name} ", first_admin=first.id)
    assert clinic.name == name
    assert organisation_named(db, name) == clinic
    assert organisation_named(db, f"{name} and more") is None
    (joined,) = clinics_of(db, first.id)
    assert (joined.organisation_id, joined.organisation, joined.role) == (clinic.id, name, "admin")
    assert [m.email for m in members_of(db, clinic.id, by=first.id)] == [first.email]


def test_a_clinic_without_a_name_or_with_a_taken_one_writes_nothing(db: Database) -> None:
    first = make_person(db)
    create_organisation(db, f"Taken {first.id}")
    before = snapshot(db)
    for name in ("   ", f"Taken {first.id}"):
        with pytest.raises(RlsironError) as caught:
            create_organisation(db, name, first_admin=first.id)
        assert caught.value.field == "name"
    assert snapshot(db) == before
    assert clinics_of(db, first.id) == []


def test_only_administrators_list_members_and_invite(db: Database) -> None:
    admin, clinician, patient, other_admin = (make_person(db) for _ in range(4))
    clinic = create_organisation(db, f"Clinic {admin.id}", first_admin=admin.id).id
    other = create_organisation(db, f"Other {admin.id}", first_admin=other_admin.id).id
    add_member(db, clinic, clinician.id, "clinician")
    assert [m.role for m in members_of(db, clinic, by=admin.id)] == ["admin", "clinician"]
    before = snapshot(db)
    for outsider in (clinician.id, patient.id, other_admin.id):
        with pytest.raises(NotFoundError):
            members_of(db, clinic, by=outsider)
        with pytest.raises(NotFoundError):
            invite_staff(db, clinic, "clinician", created_by=outsider, now=NOW, lifetime=DAY)
    with pytest.raises(NotFoundError):
        invite_staff(db, 2**63, "clinician", created_by=None, now=NOW, lifetime=DAY)
    assert snapshot(db) == before
    assert membership(db, other, other_admin.id).role == "admin"
    with pytest.raises(NotFoundError):
        membership(db, clinic, clinician.id, roles=("admin",))


def test_an_invitation_never_lowers_a_role_and_stays_unused(db: Database) -> None:
    admin, newcomer = make_person(db), make_person(db)
    clinic = create_organisation(db, f"Clinic {admin.id}", first_admin=admin.id).id
    code = invite_staff(db, clinic, "clinician", created_by=admin.id, now=NOW, lifetime=DAY)
    with pytest.raises(RlsironError) as caught:
        join_with_code(db, code, admin.id, now=NOW)
    assert caught.value.field == "code"
    assert role_in(db, admin.id, clinic) == "admin"
    assert join_with_code(db, code, newcomer.id, now=NOW).role == "clinician"  # still good
    promotion = invite_staff(db, clinic, "admin", created_by=admin.id, now=NOW, lifetime=DAY)
    assert join_with_code(db, promotion, newcomer.id, now=NOW).role == "admin"


def test_only_a_member_redeems_a_code_for_the_clinic_and_it_is_logged(db: Database) -> None:
    patient, doctor, stranger = make_person(db), make_person(db), make_person(db)
    clinic = create_organisation(db, f"Clinic {patient.id}", first_admin=doctor.id).id
    code = create_share_code(db, patient.id, now=NOW, lifetime=DAY)
    before = snapshot(db)
    with pytest.raises(NotFoundError):
        redeem_share_code(db, code, clinic, now=NOW, by=stranger.id)
    assert snapshot(db) == before  # the code is not used up by a refused attempt
    redeem_share_code(db, code, clinic, now=NOW, by=doctor.id, address="192.0.2.7")
    revoke_share(db, patient.id, clinic, now=NOW + DAY, address="198.51.100.1")
    with db.reading() as session:
        logged = session.execute(
            select(
                orm.AuditEvent.action,
                orm.AuditEvent.actor_id,
                orm.AuditEvent.actor_role,
                orm.AuditEvent.organisation_id,
                orm.AuditEvent.address,
                orm.AuditEvent.at,
            )
            .where(orm.AuditEvent.subject_id == patient.id)
            .order_by(orm.AuditEvent.id)
        ).all()
    assert [tuple(row) for row in logged] == [
        ("share", doctor.id, "admin", clinic, "192.0.2.7", NOW),
        ("revoke", patient.id, "patient", clinic, "198.51.100.1", NOW + DAY),
    ]
    for beyond in (2**31, 2**64):  # ids no Integer column holds: not found, not an error
        with pytest.raises(NotFoundError):
            revoke_share(db, patient.id, beyond, now=NOW)
        with pytest.raises(NotFoundError):
            clinic_of(db, doctor.id, beyond)
        with pytest.raises(NotFoundError):
            membership(db, beyond, doctor.id)


def test_a_code_that_could_not_be_one_is_unknown(db: Database) -> None:
    clinic = _clinic(db, "Clinic")
    for text in ("", "\udcff", "ÄÖÜ"):
        with pytest.raises(CodeError) as caught:
            redeem_share_code(db, text, clinic, now=NOW)
        assert caught.value.why == "unknown"


def test_a_password_reset_replaces_the_hash_and_ends_every_session(db: Database) -> None:
    person, other = make_person(db), make_person(db)
    for token, who in (("one", person), ("two", person), ("three", other)):
        start_session(db, who.id, f"{token}-{who.id}", now=NOW, expires_at=NOW + DAY)
    reset_password(db, person.id, "new-argon2-hash")
    account = find_account(db, person.email)
    assert account is not None and account.password_hash == "new-argon2-hash"
    assert session_person(db, f"one-{person.id}", now=NOW) is None
    assert session_person(db, f"two-{person.id}", now=NOW) is None
    assert session_person(db, f"three-{other.id}", now=NOW) == other.id
    delete_person(db, other.id)
    with pytest.raises(NotFoundError):
        reset_password(db, other.id, "hash")
