"""Storage for the personal app: one person's account, records and saved assessments.

An adapter like the others: it depends on the core (lab rows are read by the core before
they are stored, the history is given back as the contract's input document) and nothing
in the core imports it. SQLite in a file by default, PostgreSQL by URL; the same schema
and the same Alembic migrations for both.

    from rlsiron.store import Database, migrate, create_person, LABS, as_input
    migrate(url)                                  # on start: the schema at head
    db = Database.open(url)                       # a URL, or a SQLite file path
    me = create_person(db, "anna@example.org", argon2_hash)
    LABS.add(db, me.id, LabEntry(test="ferritin", value=38, unit="ug/L", date=day))
    assess(as_input(db, me.id, day), as_of=day)   # the decision on any day

Every function takes the `Database` and the person's id; a record id of another person is
`NotFoundError`, as a missing one is (the API's 404). Each write is one transaction.

- people.py       create_person, find_account, get_person, set_facts, set_settings,
                  set_password_hash, delete_person (ON DELETE CASCADE takes every record),
                  revision (moves on with every change the engine would see)
- labs.py         LABS (add, add_all, get, all, update, delete), add_labs (an upload),
                  entries_from_document (an import's document -> rows with origins)
- imports.py      accept_import (an upload's results, medicines, conditions and, when
                  asked, facts: one transaction), check_facts (the file's facts beside
                  the stored ones, for the preview)
- symptoms.py     IRLS and DIARY;  treatments.py  MEDICINES, CONDITIONS, IRON_COURSES
- assessments.py  ASSESSMENTS (saved outputs with their engine version)
- clinic.py       organisations, members (acting for a clinic is checked in the act's
                  transaction), staff invitations; share codes, shares and revocation
                  (audited); clinic_of (who may see a patient: nowhere else); reset_password
- feed.py         a clinic's identifiers of its patients, matching a lab feed, storing a
                  patient's results (one transaction each)
- worklist.py     the clinic's worklist: each patient's standing stored at their revision
- audit.py        the append-only audit log: append (the caller's transaction), record,
                  patient_log, clinic_log, whole_log, csv_lines; before_commits, created
- recreate.py     recreate_person (an export as a new account, one transaction)
- backup.py       backup and restore (SQLite's backup API; pg_dump / pg_restore)
- token_ids.py    DatabaseReplayGuard: a CDS client's token id used once, in any process
- sessions.py     the web app's sign-in sessions: start_session, session_person,
                  end_session, end_sessions (only a hash of each token is stored)
- history.py      as_input (the contract document on a day), history_document(s) (one
                  reading, several days: a replay), export
- owned.py        RecordType: the one implementation of per-person records
- schemas.py      what goes in and comes out (pydantic, on the contract's models)
- models.py       the tables (column_types.py: UTC timestamps, CHECK vocabularies)
- database.py     engines, sessions, transactions
- migrate.py      migrate, downgrade (Alembic, configured from code; scripts in migrations/)
"""

from __future__ import annotations

from rlsiron.store.assessments import ASSESSMENTS
from rlsiron.store.clinic import (
    CodeError,
    add_member,
    clinic_of,
    create_organisation,
    create_share_code,
    invite_staff,
    join_with_code,
    redeem_share_code,
    revoke_share,
    role_in,
    shares_of,
)
from rlsiron.store.database import Database, engine_for
from rlsiron.store.errors import EmailTakenError, NotFoundError
from rlsiron.store.history import as_input, export, history_document, history_documents
from rlsiron.store.imports import KEPT_FACTS, AcceptedImport, FactCheck, accept_import, check_facts
from rlsiron.store.labs import LABS, add_labs, entries_from_document
from rlsiron.store.migrate import downgrade, migrate
from rlsiron.store.owned import RecordType
from rlsiron.store.people import (
    create_person,
    delete_person,
    find_account,
    get_person,
    revision,
    set_facts,
    set_password_hash,
    set_settings,
)
from rlsiron.store.schemas import (
    Account,
    AssessmentRecord,
    Canonical,
    ConditionEntry,
    ConditionRecord,
    DiaryRecord,
    DisplaySettings,
    Export,
    IrlsEntry,
    IrlsRecord,
    IronCourseEntry,
    IronCourseRecord,
    LabEntry,
    LabRecord,
    MedicineEntry,
    MedicineRecord,
    MembershipRecord,
    OrganisationRecord,
    PersonFacts,
    PersonRecord,
    Pregnancy,
    Records,
    ShareRecord,
)
from rlsiron.store.sessions import end_session, end_sessions, session_person, start_session
from rlsiron.store.symptoms import DIARY, IRLS
from rlsiron.store.treatments import CONDITIONS, IRON_COURSES, MEDICINES

__all__ = [
    "ASSESSMENTS",
    "CONDITIONS",
    "DIARY",
    "IRLS",
    "IRON_COURSES",
    "KEPT_FACTS",
    "LABS",
    "MEDICINES",
    "AcceptedImport",
    "Account",
    "AssessmentRecord",
    "Canonical",
    "CodeError",
    "ConditionEntry",
    "ConditionRecord",
    "Database",
    "DiaryRecord",
    "DisplaySettings",
    "EmailTakenError",
    "Export",
    "FactCheck",
    "IrlsEntry",
    "IrlsRecord",
    "IronCourseEntry",
    "IronCourseRecord",
    "LabEntry",
    "LabRecord",
    "MedicineEntry",
    "MedicineRecord",
    "MembershipRecord",
    "NotFoundError",
    "OrganisationRecord",
    "PersonFacts",
    "PersonRecord",
    "Pregnancy",
    "RecordType",
    "Records",
    "ShareRecord",
    "accept_import",
    "add_labs",
    "add_member",
    "as_input",
    "check_facts",
    "clinic_of",
    "create_organisation",
    "create_person",
    "create_share_code",
    "delete_person",
    "downgrade",
    "end_session",
    "end_sessions",
    "engine_for",
    "entries_from_document",
    "export",
    "find_account",
    "get_person",
    "history_document",
    "history_documents",
    "invite_staff",
    "join_with_code",
    "migrate",
    "redeem_share_code",
    "revision",
    "revoke_share",
    "role_in",
    "session_person",
    "set_facts",
    "set_password_hash",
    "set_settings",
    "shares_of",
    "start_session",
]
