"""Accounts: sign-up, sign-in lookup, facts, settings, and what they may not contradict."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from rlsiron.errors import ContradictionError, RlsironError
from rlsiron.store import (
    CONDITIONS,
    ConditionEntry,
    Database,
    DisplaySettings,
    EmailTakenError,
    NotFoundError,
    PersonFacts,
    Pregnancy,
    create_person,
    delete_person,
    find_account,
    get_person,
    revision,
    set_facts,
    set_password_hash,
    set_settings,
)
from tests.store.helpers import make_person


def _email() -> str:
    return f"Anna.{uuid.uuid4().hex}@Example.org"


def test_an_account_is_found_by_its_email_in_any_case(db: Database) -> None:
    email = _email()
    person = create_person(db, f"  {email} ", "argon2-hash")
    assert person.email == email.lower()
    assert person.facts == PersonFacts() and person.settings == DisplaySettings()
    account = find_account(db, email.upper())
    assert account is not None
    assert (account.id, account.password_hash) == (person.id, "argon2-hash")
    assert "password_hash" not in get_person(db, person.id).model_dump()
    assert find_account(db, "nobody@example.org") is None
    assert find_account(db, "\ud800@example.org") is None


def test_an_email_is_one_account_whatever_its_case(db: Database) -> None:
    email = _email()
    create_person(db, email, "h1")
    with pytest.raises(EmailTakenError) as caught:
        create_person(db, email.swapcase(), "h2")
    assert caught.value.field == "email"


@pytest.mark.parametrize(
    "email", ["", "anna", "anna@", "an na@example.org", "a\x00@b.c", "\ud800@b.c"]
)
def test_what_is_not_an_email_address_is_refused_at_email(db: Database, email: str) -> None:
    with pytest.raises(RlsironError) as caught:
        create_person(db, email, "h")
    assert caught.value.field == "email"


def test_facts_settings_and_password_are_replaced(db: Database) -> None:
    person = make_person(db)
    facts = PersonFacts(
        sex="female",
        birth_date=dt.date(1990, 2, 3),
        pregnancy=Pregnancy(weeks=14, on=dt.date(2025, 4, 1)),
        kidney="ckd",
        diet="vegetarian",
        symptoms=("chronic_fatigue", "cold_extremities"),
        rls_criteria={"urge": True, "rest": True, "evening": False},
    )
    start = revision(db, person.id)
    assert set_facts(db, person.id, facts).facts == facts
    settings = DisplaySettings(units="si", profile="ferritin-50")
    assert set_settings(db, person.id, settings).settings == settings
    assert revision(db, person.id) == start + 2  # facts and settings change the assessment
    set_password_hash(db, person.id, "new-hash")
    assert revision(db, person.id) == start + 2  # the password does not
    account = find_account(db, person.email)
    assert account is not None and account.password_hash == "new-hash"
    assert get_person(db, person.id).model_dump() == {
        **person.model_dump(),
        "facts": facts.model_dump(),
        "settings": settings.model_dump(),
    }


def test_a_pregnancy_needs_a_woman() -> None:
    with pytest.raises(ValueError, match="not female"):
        PersonFacts(sex="male", pregnancy=Pregnancy(weeks=10, on=dt.date(2025, 1, 1)))


def test_a_kidney_status_the_conditions_contradict_is_refused(db: Database) -> None:
    person = make_person(db)
    CONDITIONS.add(db, person.id, ConditionEntry(text="on haemodialysis"))
    normal = person.facts.model_copy(update={"kidney": "normal"})
    with pytest.raises(ContradictionError) as caught:
        set_facts(db, person.id, normal)
    assert caught.value.field == "kidney"
    assert get_person(db, person.id).facts.kidney is None  # nothing changed


def test_a_condition_that_contradicts_the_kidney_status_is_not_stored(db: Database) -> None:
    person = make_person(db, kidney="normal")
    with pytest.raises(ContradictionError) as caught:
        CONDITIONS.add(db, person.id, ConditionEntry(text="CKD stage 3"))
    assert caught.value.field == "text"
    coeliac, dialysis = ConditionEntry(text="coeliac disease"), ConditionEntry(text="dialysis")
    with pytest.raises(ContradictionError):  # the whole batch, not the rows before it
        CONDITIONS.add_all(db, person.id, [coeliac, dialysis])
    assert CONDITIONS.all(db, person.id) == []
    stored = CONDITIONS.add(db, person.id, coeliac)
    with pytest.raises(ContradictionError):
        CONDITIONS.update(db, person.id, stored.id, dialysis)
    assert CONDITIONS.all(db, person.id) == [stored]


def test_an_unknown_person_is_not_found(db: Database) -> None:
    person = make_person(db)
    delete_person(db, person.id)
    with pytest.raises(NotFoundError):
        get_person(db, person.id)
    with pytest.raises(NotFoundError):
        revision(db, person.id)
    with pytest.raises(NotFoundError):
        set_facts(db, person.id, PersonFacts())
    with pytest.raises(NotFoundError):
        delete_person(db, person.id)
    assert find_account(db, person.email) is None
