"""What the storage tests share besides fixtures."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from rlsiron.store import Database, PersonFacts, PersonRecord, create_person, set_facts

REPO = Path(__file__).resolve().parents[2]


def make_person(db: Database, **facts: Any) -> PersonRecord:
    """A new account (a unique email) with the given facts; female, born 1980 by default."""
    person = create_person(db, f"{uuid.uuid4().hex}@example.org", "argon2-hash")
    given = {"sex": "female", "birth_date": dt.date(1980, 5, 1), **facts}
    return set_facts(db, person.id, PersonFacts.model_validate(given))
