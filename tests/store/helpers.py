"""What the storage tests share besides fixtures."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any, Final

from rlsiron.store import Database, PersonFacts, PersonRecord, create_person, set_facts

REPO = Path(__file__).resolve().parents[2]

# Tables whose rows belong to no one person, and why deleting an account leaves them.
NOT_A_PERSONS: Final[dict[str, str]] = {
    "organisations": "a clinic outlives any one of its members",
    "staff_invitations": "the clinic's; who made or used one becomes null",
    "audit_events": "append-only; ids and addresses, no personal data, outlive the account",
    "cds_token_ids": "the EHR's token ids, no person's",
}


# Tables of the clinic: a person has rows in them only as a member or a linked patient.
CLINIC_TABLES: Final = frozenset(
    {"memberships", "share_codes", "shares", "patient_identifiers", "clinician_notes", "worklist"}
)


def make_person(db: Database, **facts: Any) -> PersonRecord:
    """A new account (a unique email) with the given facts; female, born 1980 by default."""
    person = create_person(db, f"{uuid.uuid4().hex}@example.org", "argon2-hash")
    given = {"sex": "female", "birth_date": dt.date(1980, 5, 1), **facts}
    return set_facts(db, person.id, PersonFacts.model_validate(given))
