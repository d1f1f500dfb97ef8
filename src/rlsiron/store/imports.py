"""An accepted upload, stored in one transaction: its lab results, the medicines and the
conditions it lists, and, only when the person asks for them, the facts it gives.

One transaction because the person accepts what the preview showed as a whole: the results
stored without the medicines (or half of the results) would be a history no file gave.
What needs no stored state is checked before the transaction opens, and every problem is
reported at once at its place in the document (`labs[3].unit`, `medications[0]`,
`person.sex`); inside it, what needs the stored state (a fact the file contradicts, the
kidney status against the conditions) raises and rolls everything back.

A fact of the file never overwrites a stored one. `check_facts` tells the preview what
accepting would do with each fact the file gives: add it (`new`), nothing (`same`), refuse
it (`contradicts`, `invalid`), or nothing because the store has no place for it
(`not_kept`: an age without a birth date, an IRLS total without its day). A medicine or a
condition already stored with the same text (case aside) is not stored twice, nor a result
of the same test, day and value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from rlsiron.core.knowledge.conditions import Kidney
from rlsiron.core.models import Day, Sex
from rlsiron.core.validation import problems_of
from rlsiron.errors import ContradictionError, Problem, ProblemCollector, RlsironError
from rlsiron.store import models as orm
from rlsiron.store.database import Database
from rlsiron.store.history import pregnancy_weeks
from rlsiron.store.labs import LABS, entries_from_document
from rlsiron.store.owned import changing
from rlsiron.store.people import check_kidney, person_facts
from rlsiron.store.schemas import (
    MOST_PREGNANCY_WEEKS,
    ConditionEntry,
    ConditionRecord,
    LabRecord,
    MedicineEntry,
    MedicineRecord,
    PersonFacts,
)
from rlsiron.store.treatments import CONDITIONS, MEDICINES

FactStatus = Literal["new", "same", "contradicts", "invalid", "not_kept"]
EntryT = TypeVar("EntryT", bound=BaseModel)
RecordT = TypeVar("RecordT", bound=BaseModel)
TextT = TypeVar("TextT", MedicineEntry, ConditionEntry)

# What an import document holds (io.merge); any other key is refused, never ignored.
_DOCUMENT_KEYS: Final = frozenset(
    {"person", "labs", "medications", "rls", "provenance", "needs_review"}
)
_PERSON: Final = "person"
_CONDITIONS: Final = "conditions"
_MEDICATIONS: Final = "medications"
_NOT_KEPT: Final = {
    "person.age_years": "the app keeps a date of birth, not an age: give it in Settings",
    "rls.irls_total": "a score needs its day: enter it in the symptom diary",
}
_NOT_KEPT_OTHERWISE: Final = "an upload does not store it"
_ADDED: Final = "added to your facts if you choose to use the facts from this file"
_SAME: Final = "already stored"
_NEVER_CHANGED: Final = (
    "an upload never changes a stored fact: change it in Settings if the file is right"
)


class _FileFacts(BaseModel):
    """The facts about the person that the store keeps, as an import document spells them."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    sex: Sex | None = None
    birth_date: Day | None = None
    kidney: Kidney | None = None
    pregnancy_weeks: int | None = Field(default=None, ge=0, le=MOST_PREGNANCY_WEEKS)


KEPT_FACTS: Final = tuple(_FileFacts.model_fields)


class FactCheck(BaseModel):
    """One fact the file gives, beside the stored one, and what accepting does with it."""

    model_config = ConfigDict(frozen=True)

    location: str = Field(description='Where the document gives it: "person.sex".')
    found: Any = Field(description="As the file gives it.")
    stored: Any = Field(
        default=None,
        description="The stored fact in the document's terms (a pregnancy as its weeks "
        "today); null when none is stored or the store has no place for it.",
    )
    status: FactStatus
    note: str = Field(description="What accepting does with it, and why.")


class AcceptedImport(BaseModel):
    """What accepting stored."""

    model_config = ConfigDict(frozen=True)

    labs: list[LabRecord]
    medicines: list[MedicineRecord]
    conditions: list[ConditionRecord]
    already_stored: list[str] = Field(
        description="What the person had stored already, not stored twice: a result of the "
        "same test, day and value, a medicine or a condition of the same text."
    )
    facts: PersonFacts | None = Field(
        description="The person's facts with the file's added; null when they were not asked for."
    )


def check_facts(
    stored: PersonFacts, document: Mapping[str, Any], today: dt.date
) -> list[FactCheck]:
    """Every fact the document gives about the person (conditions aside: they are records)."""
    checks: list[FactCheck] = []
    for key, found in _mapping(document.get(_PERSON)).items():
        location = f"{_PERSON}.{key}"
        if key == _CONDITIONS or found is None:
            continue
        if key not in KEPT_FACTS:
            checks.append(_not_kept(location, found))
            continue
        try:
            value = getattr(_FileFacts.model_validate({key: found}), key)
        except ValidationError as exc:
            note = "; ".join(p.message for p in problems_of(exc))
            checks.append(FactCheck(location=location, found=found, status="invalid", note=note))
            continue
        checks.append(_compared(key, value, found, stored, today))
    rls = _mapping(document.get("rls")).items()
    return checks + [_not_kept(f"rls.{key}", found) for key, found in rls if found is not None]


def accept_import(
    db: Database,
    person_id: int,
    document: Mapping[str, Any],
    *,
    use_facts: bool,
    today: dt.date,
) -> AcceptedImport:
    """The document stored all or nothing; with `use_facts`, the file's facts added to the
    stored ones (a pregnancy's weeks counted from `today`: the document gives them for now)."""
    problems = ProblemCollector()
    problems.problems += [
        Problem(key, "is not part of an import document: store it on its own", document[key])
        for key in document
        if key not in _DOCUMENT_KEYS
    ]
    if not isinstance(document.get(_PERSON, {}), Mapping):
        problems.problems.append(Problem(_PERSON, "is not an object", document[_PERSON]))
    person = _mapping(document.get(_PERSON))
    labs = LABS.columns_of(
        problems.attempt(lambda: entries_from_document(document)) or [], problems
    )
    medicines = _entries(MedicineEntry, document.get(_MEDICATIONS), _MEDICATIONS, problems)
    conditions = _entries(ConditionEntry, person.get(_CONDITIONS), "person.conditions", problems)
    facts = _file_facts(person, problems) if use_facts else None
    problems.raise_if_any()
    with db.transaction() as session:
        row = changing(session, person_id)  # one change: the revision moves on once
        merged = None if facts is None else _merge(row, facts, today)
        labs, labs_had = _new_labs(session, person_id, labs)
        medicines, medicines_had = _not_yet_stored(session, orm.Medicine, person_id, medicines)
        conditions, conditions_had = _not_yet_stored(session, orm.Condition, person_id, conditions)
        accepted = AcceptedImport(
            labs=LABS.insert(session, person_id, labs),
            medicines=MEDICINES.insert(
                session, person_id, [MEDICINES.columns(m) for m in medicines]
            ),
            conditions=CONDITIONS.insert(
                session, person_id, [CONDITIONS.columns(c) for c in conditions]
            ),
            already_stored=labs_had + medicines_had + conditions_had,
            facts=merged,
        )
        # The kidney status and the conditions agree, whichever of them the file gave.
        given = "kidney" if facts is not None and facts.kidney is not None else _CONDITIONS
        check_kidney(session, person_id, field=f"{_PERSON}.{given}")
        return accepted


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _not_kept(location: str, found: object) -> FactCheck:
    note = _NOT_KEPT.get(location, _NOT_KEPT_OTHERWISE)
    return FactCheck(location=location, found=found, status="not_kept", note=note)


def _compared(
    key: str, value: object, found: object, stored: PersonFacts, today: dt.date
) -> FactCheck:
    """The file's fact (`value` as read, `found` as given) against the stored one."""
    known = (
        pregnancy_weeks(stored.pregnancy, today)
        if key == "pregnancy_weeks"
        else getattr(stored, key)
    )
    shown = known.isoformat() if isinstance(known, dt.date) else known
    location = f"{_PERSON}.{key}"
    if known is None:
        return FactCheck(location=location, found=found, status="new", note=_ADDED)
    if known == value:
        return FactCheck(location=location, found=found, stored=shown, status="same", note=_SAME)
    note = f"refused: your stored facts say {shown}; {_NEVER_CHANGED}"
    return FactCheck(location=location, found=found, stored=shown, status="contradicts", note=note)


def _file_facts(person: Mapping[str, Any], problems: ProblemCollector) -> _FileFacts | None:
    """The kept facts the document gives, checked; each bad one reported at its place."""
    try:
        return _FileFacts.model_validate(person)
    except ValidationError as exc:
        problems.problems += [p.at(f"{_PERSON}.{p.location}") for p in problems_of(exc)]
        return None


def _merge(row: orm.Person, facts: _FileFacts, today: dt.date) -> PersonFacts:
    """The stored facts with the file's added; a different value refused, never written."""
    stored = person_facts(row)
    given = {key: getattr(facts, key) for key in KEPT_FACTS if getattr(facts, key) is not None}
    checks = {key: _compared(key, value, value, stored, today) for key, value in given.items()}
    refused = [c for c in checks.values() if c.status == "contradicts"]
    if refused:
        raise ContradictionError(problems=[_refusal(c) for c in refused])
    added = {key: given[key] for key, check in checks.items() if check.status == "new"}
    if "pregnancy_weeks" in added:
        added["pregnancy"] = {"weeks": added.pop("pregnancy_weeks"), "on": today}
    try:
        merged = PersonFacts.model_validate({**dict(stored), **added})
    except ValidationError as exc:  # a pregnancy for a person whose sex is not female
        raise RlsironError(problems=[p.at(_PERSON) for p in problems_of(exc)]) from None
    row.sex, row.birth_date, row.kidney = merged.sex, merged.birth_date, merged.kidney
    if merged.pregnancy is not None:
        row.pregnancy_weeks, row.pregnancy_noted = merged.pregnancy.weeks, merged.pregnancy.on
    return merged


def _refusal(check: FactCheck) -> Problem:
    return Problem(
        check.location,
        f"the file says {check.found}, your stored facts say {check.stored}",
        check.found,
        hint=_NEVER_CHANGED + ", or accept without the file's facts",
        kind="contradiction",
    )


def _entries(
    model: type[TextT], texts: object, location: str, problems: ProblemCollector
) -> list[TextT]:
    """A document's list of texts (medicines, conditions) as entries; bad items reported."""
    if texts is None:
        return []
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        problems.problems.append(Problem(location, "is not a list of texts", texts))
        return []
    entries: list[TextT] = []
    for index, text in enumerate(texts):
        try:
            entries.append(model.model_validate({"text": text}))
        except ValidationError as exc:
            problems.problems += [p.at(f"{location}[{index}]") for p in problems_of(exc)]
    return entries


def _new_labs(
    session: Session, person_id: int, rows: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The results not stored yet, and those that were: the same test, day and reading as
    the core made it (io.merge's "same result", so 4 ug/L and 4 ng/mL are one), so a
    portal export that repeats last year's results adds only the new ones."""
    columns = ("canonical_test", "date", "canonical_qualifier", "canonical_value")
    query = select(*(getattr(orm.LabResult, c) for c in columns)).where(
        orm.LabResult.person_id == person_id
    )
    had = {tuple(row) for row in session.execute(query)}
    new: list[dict[str, Any]] = []
    again: list[str] = []
    for row in rows:
        key = tuple(row[c] for c in columns)
        if key in had:
            printed = (row["test"], row["value"], row["unit"])
            again.append(f"{' '.join(p for p in printed if p)} on {row['date']}")
        else:
            new.append(row)
            had.add(key)
    return new, again


def _not_yet_stored(
    session: Session,
    table: type[orm.Medicine] | type[orm.Condition],
    person_id: int,
    entries: Sequence[TextT],
) -> tuple[list[TextT], list[str]]:
    """The entries whose text is not stored yet, and the texts that were."""
    query = select(table.text).where(table.person_id == person_id)
    had = {text.casefold() for text in session.scalars(query)}
    new: list[TextT] = []
    again: list[str] = []
    for entry in entries:
        key = entry.text.casefold()
        if key in had:
            again.append(entry.text)
        else:
            new.append(entry)
            had.add(key)  # a document listing one twice stores it once
    return new, again
