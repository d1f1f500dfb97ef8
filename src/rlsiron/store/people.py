"""Accounts: create, find for signing in, read, change facts and settings, delete.

An email address is kept lower-cased and unique, so "Anna@Example.org" and
"anna@example.org" are one account on SQLite and PostgreSQL alike (the database's own
lower() differs between them beyond ASCII). The password hash is stored as the app made it
and is returned only by `find_account`, for signing in.
"""

from __future__ import annotations

import re
from typing import Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rlsiron.core.knowledge.conditions import read_conditions, reconcile_kidney
from rlsiron.core.models import RlsCriteria
from rlsiron.errors import RlsironError
from rlsiron.store import models as orm
from rlsiron.store.database import Database
from rlsiron.store.errors import EmailTakenError, NotFoundError
from rlsiron.store.owned import changing, require_person
from rlsiron.store.schemas import (
    Account,
    DisplaySettings,
    PersonFacts,
    PersonRecord,
    Pregnancy,
    storable,
)

_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+")
_CRITERIA: Final = tuple(RlsCriteria.model_fields)  # stored as rls_urge, rls_rest, ...


def _email_key(email: str) -> str:
    return email.strip().lower()


def create_person(
    db: Database, email: str, password_hash: str, settings: DisplaySettings | None = None
) -> PersonRecord:
    """A new account with no facts yet; `EmailTakenError` when the address has one."""
    key = _email_key(email)
    if not _EMAIL.fullmatch(key) or not storable(key):
        raise RlsironError("is not an email address", field="email", value=email)
    chosen = settings or DisplaySettings()
    try:
        with db.transaction() as session:
            row = orm.Person(
                email=key,
                password_hash=password_hash,
                iron_symptoms=[],
                **chosen.model_dump(),
            )
            session.add(row)
            session.flush()
            return person_record(row)
    except IntegrityError as exc:  # the unique email: the only constraint a valid row can break
        raise EmailTakenError("is already registered", field="email", value=email) from exc


def find_account(db: Database, email: str) -> Account | None:
    key = _email_key(email)
    if not storable(key):  # no account has it, and no database could be asked
        return None
    with db.reading() as session:
        row = session.scalars(select(orm.Person).where(orm.Person.email == key)).first()
        if row is None:
            return None
        return Account(id=row.id, email=row.email, password_hash=row.password_hash)


def get_person(db: Database, person_id: int) -> PersonRecord:
    with db.reading() as session:
        return person_record(require_person(session, person_id))


def set_facts(db: Database, person_id: int, facts: PersonFacts) -> PersonRecord:
    """The person's facts replaced; a kidney status the conditions contradict is refused."""
    with db.transaction() as session:
        row = changing(session, person_id)
        criteria = facts.rls_criteria
        row.sex, row.birth_date = facts.sex, facts.birth_date
        row.pregnancy_weeks = facts.pregnancy.weeks if facts.pregnancy else None
        row.pregnancy_noted = facts.pregnancy.on if facts.pregnancy else None
        row.postmenopausal, row.kidney, row.diet = facts.postmenopausal, facts.kidney, facts.diet
        row.iron_symptoms = list(facts.symptoms)
        for name in _CRITERIA:
            setattr(row, f"rls_{name}", getattr(criteria, name))
        check_kidney(session, person_id, field="kidney")
        return person_record(row)


def set_settings(db: Database, person_id: int, settings: DisplaySettings) -> PersonRecord:
    with db.transaction() as session:
        row = changing(session, person_id)
        row.units, row.profile = settings.units, settings.profile
        return person_record(row)


def revision(db: Database, person_id: int) -> int:
    """How many times what the engine reads about the person has changed (see `changing`);
    one small query, so a page can tell whether what it kept still stands."""
    with db.reading() as session:
        found = session.scalar(select(orm.Person.revision).where(orm.Person.id == person_id))
    if found is None:
        raise NotFoundError("person", person_id)
    return found


def set_password_hash(db: Database, person_id: int, password_hash: str) -> None:
    with db.transaction() as session:
        require_person(session, person_id, lock=True).password_hash = password_hash


def delete_person(db: Database, person_id: int) -> None:
    """The account and, by ON DELETE CASCADE, every record of it."""
    with db.transaction() as session:
        session.delete(require_person(session, person_id, lock=True))


def check_kidney(session: Session, person_id: int, *, field: str) -> None:
    """The kidney status and the conditions must agree, as the engine requires (they are
    synonyms: "on dialysis" with kidney "normal" is refused when stored, not at assessment)."""
    person = require_person(session, person_id)
    texts = session.scalars(
        select(orm.Condition.text)
        .where(orm.Condition.person_id == person_id)
        .order_by(orm.Condition.id)
    ).all()
    reconcile_kidney(person.kidney, read_conditions(texts), field=field)


def person_facts(row: orm.Person) -> PersonFacts:
    pregnancy = None
    if row.pregnancy_weeks is not None and row.pregnancy_noted is not None:
        pregnancy = Pregnancy(weeks=row.pregnancy_weeks, on=row.pregnancy_noted)
    return PersonFacts.model_validate(
        {
            "sex": row.sex,
            "birth_date": row.birth_date,
            "pregnancy": pregnancy,
            "postmenopausal": row.postmenopausal,
            "kidney": row.kidney,
            "diet": row.diet,
            "symptoms": row.iron_symptoms,
            "rls_criteria": {name: getattr(row, f"rls_{name}") for name in _CRITERIA},
        }
    )


def person_record(row: orm.Person) -> PersonRecord:
    return PersonRecord(
        id=row.id,
        email=row.email,
        created_at=row.created_at,
        settings=DisplaySettings.model_validate({"units": row.units, "profile": row.profile}),
        facts=person_facts(row),
    )
