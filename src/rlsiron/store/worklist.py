"""The clinic's worklist: each linked patient's standing, computed when their records change.

A clinic with 10,000 patients cannot assess every one of them on each view of its list, and
it need not: a patient's standing changes only when what the engine reads about them
changes, which moves `people.revision` on (`store.owned.changing`). So each patient's
standing is kept in the `worklist` table with the revision it was computed at, and a view
first recomputes only the entries whose revision is not the person's (or that are
missing), then sorts, filters, counts and pages in SQL. A view between changes computes
nothing.

Every flag is read from the engine's own output (`assess(..., plan=False)` of
`as_input`), never from a threshold typed again here:

- `safety`: a finding whose definition (findings.toml) carries the `safety_stop` flag (a
  TSAT at or above the safety threshold, an overload pattern, ferritin too high on iron),
  or any urgent finding;
- `below_target_untreated`: the decision is `indicated` and no iron is under way (no oral
  course going on that day, no infusion since the panel, no recheck awaited);
- `worsening`: the symptom diary's trend, as the assessment reports it, is "worse";
- `retest_overdue`: the earliest of the engine's next tests is due before the day viewed,
  compared in the query, so it turns on as days pass with nothing recomputed;
- `awaiting_recheck`: the engine says a panel was drawn too soon after an infusion
  (`labs.after_iv_iron`) or that a recheck after starting iron is due and no panel came
  since (`therapy.retest_due`);
- `facts_missing`: no assessment at all, because sex or birth date is not given.

Urgency is the order of `FLAGS`: a patient with a more urgent flag comes first, whatever
the less urgent ones (the stored `urgency` is the flags as a bit set, the most urgent the
highest bit, and the query adds the date-dependent `retest_overdue` bit). The stored
standing is the one of the day it was computed (`computed_on`); only `retest_overdue`
follows the calendar without a change to the records.

The clinicians' notes on a patient live here too: like the worklist, they are the clinic's
own view of a patient, not the patient's records, so adding one does not move the
revision on. Who may see a patient is decided by `store.clinic.clinic_of`, never here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import StringConstraints, computed_field
from sqlalchemy import ColumnElement, RowMapping, Select, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rlsiron.core.assessment.assess import assess
from rlsiron.core.assessment.context import ongoing
from rlsiron.core.knowledge.codes import FindingCode
from rlsiron.core.knowledge.findings import FINDINGS
from rlsiron.core.models import Assessment, AssessmentInput, Decision
from rlsiron.errors import RlsironError
from rlsiron.store import models as orm
from rlsiron.store.database import Database
from rlsiron.store.errors import NotFoundError
from rlsiron.store.history import as_input
from rlsiron.store.schemas import _Model, _Text

Flag = Literal[
    "safety",
    "below_target_untreated",
    "worsening",
    "retest_overdue",
    "awaiting_recheck",
    "facts_missing",
]
FLAGS: Final[tuple[Flag, ...]] = get_args(Flag)
"""Every flag, the most urgent first: the worklist's order."""

_BIT: Final[Mapping[Flag, int]] = {flag: 1 << (len(FLAGS) - 1 - i) for i, flag in enumerate(FLAGS)}
_IRON_PANEL: Final = frozenset({"ferritin", "tsat"})
_RECHECK: Final = frozenset({FindingCode.LABS_AFTER_IV_IRON, FindingCode.THERAPY_RETEST_DUE})
NOTE_LONGEST: Final = 10_000  # characters: a long clinical note, not a document
PER_PAGE: Final = 25  # patients a page of the worklist lists unless asked otherwise


# ---------------------------------------------------------------- one patient's standing


@dataclass(frozen=True, slots=True)
class WorklistStanding:
    """What the worklist keeps of one patient's assessment (`decision` None: no assessment)."""

    decision: Decision | None
    flags: frozenset[Flag]  # without retest_overdue, which the query compares by date
    ferritin: float | None
    tsat: float | None
    latest_panel: dt.date | None
    next_test_due: dt.date | None


NO_ASSESSMENT: Final = WorklistStanding(None, frozenset({"facts_missing"}), None, None, None, None)


def standing_of(inp: AssessmentInput, a: Assessment) -> WorklistStanding:
    """The worklist's standing of an assessment (`inp` is what it assessed: its courses)."""
    drawn = [lab.date for lab in a.labs if lab.test in _IRON_PANEL]
    latest_panel = max(drawn, default=None)
    awaiting = any(f.code in _RECHECK for f in a.findings)
    held: dict[Flag, bool] = {
        "safety": any(
            f.severity == "urgent" or "safety_stop" in FINDINGS[f.code].flags for f in a.findings
        ),
        "below_target_untreated": a.iron_therapy.decision == "indicated"
        and not (awaiting or _iron_under_way(inp, a.as_of, latest_panel)),
        "worsening": a.rls.diary is not None and a.rls.diary.trend == "worse",
        "awaiting_recheck": awaiting,
    }
    return WorklistStanding(
        decision=a.iron_therapy.decision,
        flags=frozenset(flag for flag, on in held.items() if on),
        ferritin=a.values.ferritin_ug_l,
        tsat=a.values.tsat_percent,
        latest_panel=latest_panel,
        next_test_due=min((n.due for n in a.next_tests), default=None),
    )


def _iron_under_way(inp: AssessmentInput, day: dt.date, panel: dt.date | None) -> bool:
    """An oral course going on that day (as the engine reads a course), or an infusion
    given after the latest panel was drawn (that panel predates the treatment)."""
    return any(
        ongoing(course, day)
        if course.route == "oral"
        else course.started <= day and (panel is None or course.started > panel)
        for course in inp.iron_therapy
    )


def assess_patient(db: Database, person_id: int, day: dt.date) -> WorklistStanding:
    """The patient's standing on `day` from their stored history (one engine call)."""
    try:
        inp = as_input(db, person_id, day)
    except RlsironError:
        return NO_ASSESSMENT  # the engine names what is missing: sex or birth date
    return standing_of(inp, assess(inp, as_of=day, plan=False))


# ---------------------------------------------------------------- keeping it


def _urgency(flags: frozenset[Flag]) -> int:
    return sum(_BIT[flag] for flag in flags)


def _standings(organisation_id: int) -> Select[tuple[()]]:
    """The clinic's linked patients with their stored entries (none yet: nulls)."""
    return (
        select()
        .select_from(orm.Share)
        .join(orm.Person, orm.Person.id == orm.Share.person_id)
        .outerjoin(orm.WorklistEntry, orm.WorklistEntry.person_id == orm.Share.person_id)
        .where(orm.Share.organisation_id == organisation_id, orm.Share.revoked_at.is_(None))
    )


# An entry to compute again: none yet, or one of another revision of the records.
_STALE: Final = or_(
    orm.WorklistEntry.id.is_(None), orm.WorklistEntry.revision != orm.Person.revision
)


def refresh_worklist(
    db: Database, organisation_id: int, today: dt.date, *, every_day: bool = False
) -> int:
    """Recompute the entries of the clinic's linked patients whose records changed since
    (or that have none yet); how many were recomputed. One transaction writes them all.

    `every_day` also recomputes entries assessed before `today`: a standing ages with the
    calendar (a panel passing a year, a recheck falling due), which a page view only sees
    through the next test's date; run nightly (`rlsiron admin refresh-worklist`).

    The revision is read before the history: a change in between makes the entry look
    stale at the next view (one needless recomputation), never fresh when it is not. An
    entry is never replaced by one computed at an older revision (two views at once).
    """
    with db.reading() as session:
        stale = session.execute(
            _standings(organisation_id)
            .add_columns(orm.Person.id, orm.Person.revision)
            .where(or_(_STALE, orm.WorklistEntry.computed_on < today) if every_day else _STALE)
        ).all()
    rows = []
    for person_id, revision in stale:
        try:
            found = assess_patient(db, person_id, today)
        except NotFoundError:
            continue  # the account was deleted meanwhile: its share went with it
        rows.append(_row(person_id, revision, today, found))
    if rows:
        with db.transaction() as session:
            _upsert(session, rows)
    return len(rows)


def _row(person_id: int, revision: int, day: dt.date, found: WorklistStanding) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "revision": revision,
        "computed_on": day,
        "decision": found.decision,
        "urgency": _urgency(found.flags),
        "flags": [flag for flag in FLAGS if flag in found.flags],
        "ferritin": found.ferritin,
        "tsat": found.tsat,
        "latest_panel": found.latest_panel,
        "next_test_due": found.next_test_due,
    }


def _upsert(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert or replace each patient's entry: the dialect's INSERT ... ON CONFLICT, so two
    workers refreshing one patient at once do not collide on the unique person_id."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(orm.WorklistEntry)
    entry = orm.WorklistEntry
    statement = statement.on_conflict_do_update(
        index_elements=[entry.person_id],
        set_={name: statement.excluded[name] for name in rows[0] if name != "person_id"},
        where=entry.revision <= statement.excluded.revision,
    )
    session.execute(statement, list(rows))


# ---------------------------------------------------------------- the list


class WorklistRow(_Model):
    """One linked patient as the worklist lists them."""

    patient_id: int
    email: str
    decision: Decision | None  # None: no assessment yet (facts_missing)
    flags: tuple[Flag, ...]  # the most urgent first
    ferritin_ug_l: float | None
    tsat_percent: float | None
    latest_panel: dt.date | None
    next_test_due: dt.date | None
    computed_on: dt.date  # the day the standing was assessed, at the last change


class Worklist(_Model):
    """One page of a clinic's worklist, with the counts of the whole list."""

    rows: tuple[WorklistRow, ...]
    patients: int  # every linked patient
    counts: dict[Flag, int]  # linked patients with each flag
    matching: int  # linked patients the filter keeps (all of them without one)
    page: int
    per_page: int
    refreshed: int  # entries this view recomputed (none when nothing changed)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pages(self) -> int:
        return max(1, -(-self.matching // self.per_page))


# The columns of an entry the list shows besides its urgency, named as `WorklistRow`.
_SHOWN: Final = (
    orm.WorklistEntry.decision,
    orm.WorklistEntry.ferritin.label("ferritin_ug_l"),
    orm.WorklistEntry.tsat.label("tsat_percent"),
    orm.WorklistEntry.latest_panel,
    orm.WorklistEntry.next_test_due,
    orm.WorklistEntry.computed_on,
)


def worklist(
    db: Database,
    organisation_id: int,
    today: dt.date,
    *,
    flag: Flag | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Worklist:
    """The clinic's linked patients, most urgent first, `per_page` from page `page` (from
    1), only those with `flag` when given; stale entries are recomputed first.

    Between changes a view is two queries: the counts, which also count the stale
    entries (none: nothing to recompute), and the page, sorted on the entries alone and
    joined to the patients' emails for its own rows only.
    """
    entry = orm.WorklistEntry
    overdue = entry.next_test_due < today
    urgency = (entry.urgency + case((overdue, _BIT["retest_overdue"]), else_=0)).label("urgency")
    has = {name: _has(name, overdue) for name in FLAGS}
    counting = _standings(organisation_id).add_columns(
        func.count(), func.count().filter(_STALE), *(func.count().filter(has[f]) for f in FLAGS)
    )
    shown = (
        select(orm.Share.person_id, urgency, *_SHOWN)
        .join(entry, entry.person_id == orm.Share.person_id)
        .where(orm.Share.organisation_id == organisation_id, orm.Share.revoked_at.is_(None))
        .where(*(() if flag is None else (has[flag],)))
        .order_by(urgency.desc(), entry.next_test_due.asc().nulls_last(), orm.Share.person_id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .subquery()
    )
    listing = (
        select(
            shown.c.person_id.label("patient_id"),
            orm.Person.email,
            shown.c.urgency,
            *(shown.c[c.key] for c in _SHOWN),
        )
        .join(orm.Person, orm.Person.id == shown.c.person_id)
        .order_by(
            shown.c.urgency.desc(), shown.c.next_test_due.asc().nulls_last(), shown.c.person_id
        )
    )
    refreshed = 0
    (patients, stale, *per_flag), listed = _read(db, counting, listing)
    if stale:  # recompute those, then read again (the page read first is discarded)
        refreshed = refresh_worklist(db, organisation_id, today)
        (patients, _, *per_flag), listed = _read(db, counting, listing)
    counts = dict(zip(FLAGS, per_flag, strict=True))
    return Worklist(
        rows=tuple(_row_of(dict(row)) for row in listed),
        patients=patients,
        counts=counts,
        matching=patients if flag is None else counts[flag],
        page=page,
        per_page=per_page,
        refreshed=refreshed,
    )


def _read(
    db: Database, counting: Select[Any], listing: Select[Any]
) -> tuple[tuple[int, ...], Sequence[RowMapping]]:
    """The counts and the page, from one snapshot."""
    with db.reading() as session:
        counted = tuple(session.execute(counting).one())
        return counted, session.execute(listing).mappings().all()


def _has(flag: Flag, overdue: ColumnElement[bool]) -> ColumnElement[bool]:
    """The SQL test for one flag: a bit of the stored urgency, or the date comparison."""
    if flag == "retest_overdue":
        return overdue
    return orm.WorklistEntry.urgency.op("&")(_BIT[flag]) != 0


def _row_of(columns: dict[str, Any]) -> WorklistRow:
    """A row of the listing query: its columns, and the flags of its urgency."""
    urgency = columns.pop("urgency")
    return WorklistRow(**columns, flags=tuple(flag for flag in FLAGS if urgency & _BIT[flag]))


# ---------------------------------------------------------------- clinicians' notes

NoteText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NOTE_LONGEST)
]


class NoteEntry(_Text, _Model):
    """A note as a clinician writes it."""

    text: NoteText


class NoteRecord(NoteEntry):
    """A stored note: who wrote it (None once their account is gone) and when."""

    id: int
    author_id: int | None
    author: str | None  # the author's email, as colleagues know them
    created_at: dt.datetime


def add_note(
    db: Database,
    organisation_id: int,
    patient_id: int,
    author_id: int,
    entry: NoteEntry,
    *,
    now: dt.datetime,
) -> NoteRecord:
    """The clinician's note on the patient, kept for the clinic (the caller has checked,
    by `clinic_of`, that the author may see the patient through this clinic)."""
    with db.transaction() as session:
        row = orm.ClinicianNote(
            person_id=patient_id,
            organisation_id=organisation_id,
            author_id=author_id,
            text=entry.text,
            created_at=now,
        )
        session.add(row)
        session.flush()
        author = session.scalar(select(orm.Person.email).where(orm.Person.id == author_id))
        return _note(row, author)


def notes_of(db: Database, organisation_id: int, patient_id: int) -> list[NoteRecord]:
    """The clinic's notes on the patient, newest first (another clinic's are not listed)."""
    with db.reading() as session:
        rows = session.execute(
            select(orm.ClinicianNote, orm.Person.email)
            .outerjoin(orm.Person, orm.Person.id == orm.ClinicianNote.author_id)
            .where(
                orm.ClinicianNote.person_id == patient_id,
                orm.ClinicianNote.organisation_id == organisation_id,
            )
            .order_by(orm.ClinicianNote.created_at.desc(), orm.ClinicianNote.id.desc())
        ).all()
        return [_note(note, author) for note, author in rows]


def _note(row: orm.ClinicianNote, author: str | None) -> NoteRecord:
    return NoteRecord(
        id=row.id,
        author_id=row.author_id,
        author=author,
        text=row.text,
        created_at=row.created_at,
    )
