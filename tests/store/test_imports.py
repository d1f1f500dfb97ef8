"""Accepting an upload: results, medicines, conditions and (when asked) facts in one
transaction; a problem anywhere and nothing at all is stored. Real files from
/work/shared/data (see the PROVENANCE.md of each folder), read by the real importers."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any, Final

import pytest

from rlsiron.errors import ContradictionError, RlsironError
from rlsiron.io.importer import import_files
from rlsiron.store import (
    CONDITIONS,
    LABS,
    MEDICINES,
    ConditionEntry,
    Database,
    MedicineEntry,
    PersonFacts,
    Pregnancy,
    accept_import,
    check_facts,
    create_person,
    get_person,
)
from tests.store.helpers import make_person

SHARED: Final = Path("/work/shared/data")
# Synthea R4: female, born 1948-06-14; five current conditions, six active medicines.
KIRSTEN: Final = (
    SHARED / "fhir" / "synthea-r4" / "Kirsten_Witting_a09212a3-af3e-4194-b1d1-3f0a543222f6.json"
)
TODAY: Final = dt.date(2026, 3, 1)


@pytest.fixture(scope="module")
def kirsten() -> dict[str, Any]:
    document: dict[str, Any] = import_files([KIRSTEN]).document
    return document


def _counts(db: Database, person_id: int) -> tuple[int, int, int]:
    return (
        len(LABS.all(db, person_id)),
        len(MEDICINES.all(db, person_id)),
        len(CONDITIONS.all(db, person_id)),
    )


def _no_facts(db: Database) -> int:
    return create_person(db, f"{uuid.uuid4().hex}@example.org", "argon2-hash").id


def test_accepting_stores_results_medicines_and_conditions_but_not_unasked_facts(
    db: Database, kirsten: dict[str, Any]
) -> None:
    person = _no_facts(db)
    accepted = accept_import(db, person, kirsten, use_facts=False, today=TODAY)
    assert _counts(db, person) == (len(kirsten["labs"]), 6, 5)
    assert [m.text for m in MEDICINES.all(db, person)] == kirsten["medications"]
    assert "Anemia (disorder)" in [c.text for c in CONDITIONS.all(db, person)]
    assert all(lab.origin and lab.origin.file == str(KIRSTEN) for lab in accepted.labs)
    assert accepted.facts is None
    assert get_person(db, person).facts == PersonFacts()  # not asked: not taken


def test_the_facts_are_added_when_asked(db: Database, kirsten: dict[str, Any]) -> None:
    person = _no_facts(db)
    accepted = accept_import(db, person, kirsten, use_facts=True, today=TODAY)
    stored = get_person(db, person).facts
    assert (stored.sex, stored.birth_date) == ("female", dt.date(1948, 6, 14))
    assert accepted.facts == stored


def test_a_contradicting_fact_is_refused_and_nothing_is_stored(
    db: Database, kirsten: dict[str, Any]
) -> None:
    person = make_person(db).id  # born 1980-05-01; the file says 1948-06-14
    with pytest.raises(ContradictionError) as raised:
        accept_import(db, person, kirsten, use_facts=True, today=TODAY)
    (problem,) = raised.value.problems
    assert problem.location == "person.birth_date" and "1980-05-01" in problem.message
    assert _counts(db, person) == (0, 0, 0)
    assert get_person(db, person).facts.birth_date == dt.date(1980, 5, 1)
    # Without the file's facts, the same file is stored.
    accept_import(db, person, kirsten, use_facts=False, today=TODAY)
    assert _counts(db, person) == (len(kirsten["labs"]), 6, 5)


def test_a_medicine_or_condition_stored_already_is_not_stored_twice(
    db: Database, kirsten: dict[str, Any]
) -> None:
    person = _no_facts(db)
    MEDICINES.add(db, person, MedicineEntry(text="FERROUS SULFATE 325 MG ORAL TABLET"))
    CONDITIONS.add(db, person, ConditionEntry(text="Hypertension"))
    accepted = accept_import(db, person, kirsten, use_facts=False, today=TODAY)
    assert accepted.already_stored == ["ferrous sulfate 325 MG Oral Tablet", "Hypertension"]
    assert _counts(db, person) == (len(kirsten["labs"]), 6, 5)


def test_one_bad_part_and_nothing_is_stored_every_problem_named(
    db: Database, kirsten: dict[str, Any]
) -> None:
    person = _no_facts(db)
    bad = {
        **kirsten,
        "labs": [*kirsten["labs"], {**kirsten["labs"][0], "unit": "furlongs"}],
        "medications": [*kirsten["medications"], "x" * 500],
        "person": {**kirsten["person"], "sex": "unknown"},
        "iron_therapy": [{"route": "iv", "started": "2026-01-01"}],
    }
    with pytest.raises(RlsironError) as raised:
        accept_import(db, person, bad, use_facts=True, today=TODAY)
    located = {p.location for p in raised.value.problems}
    last = len(kirsten["labs"])
    assert located == {f"labs[{last}].unit", "medications[6]", "person.sex", "iron_therapy"}
    assert _counts(db, person) == (0, 0, 0)
    assert get_person(db, person).facts == PersonFacts()


def test_conditions_that_contradict_the_kidney_status_store_nothing(db: Database) -> None:
    person = make_person(db, kidney="normal").id
    document = {
        "person": {"conditions": ["on haemodialysis"]},
        "labs": [{"test": "ferritin", "value": 30, "unit": "ug/L", "date": "2026-01-10"}],
        "medications": ["sevelamer"],
    }
    with pytest.raises(ContradictionError) as raised:
        accept_import(db, person, document, use_facts=False, today=TODAY)
    assert raised.value.problems[0].location == "person.conditions"
    assert _counts(db, person) == (0, 0, 0)


def test_a_pregnancy_is_stored_as_weeks_on_the_day_it_is_accepted(db: Database) -> None:
    person = make_person(db).id
    document = {"person": {"sex": "female", "pregnancy_weeks": 20}, "labs": []}
    accepted = accept_import(db, person, document, use_facts=True, today=TODAY)
    assert accepted.facts is not None
    assert accepted.facts.pregnancy == Pregnancy(weeks=20, on=TODAY)
    assert get_person(db, person).facts.pregnancy == Pregnancy(weeks=20, on=TODAY)


def test_a_pregnancy_for_a_man_is_refused(db: Database) -> None:
    person = make_person(db, sex="male").id
    document = {"person": {"pregnancy_weeks": 20}, "labs": []}
    with pytest.raises(RlsironError) as raised:
        accept_import(db, person, document, use_facts=True, today=TODAY)
    assert raised.value.problems[0].location == "person"
    assert get_person(db, person).facts.pregnancy is None


def test_the_preview_says_what_accepting_does_with_each_fact() -> None:
    stored = PersonFacts(
        sex="female",
        birth_date=dt.date(1980, 5, 1),
        pregnancy=Pregnancy(weeks=10, on=TODAY - dt.timedelta(weeks=2)),
    )
    document = {
        "person": {
            "sex": "female",
            "birth_date": "1948-06-14",
            "pregnancy_weeks": 12,
            "kidney": "ckd",
            "age_years": 77,
            "conditions": ["Hypertension"],
        },
        "rls": {"irls_total": 24},
    }
    checks = {c.location: c for c in check_facts(stored, document, TODAY)}
    assert {location: c.status for location, c in checks.items()} == {
        "person.sex": "same",
        "person.birth_date": "contradicts",
        "person.pregnancy_weeks": "same",  # ten weeks two weeks ago are twelve today
        "person.kidney": "new",
        "person.age_years": "not_kept",
        "rls.irls_total": "not_kept",
    }
    assert checks["person.birth_date"].stored == "1980-05-01"
    assert "symptom diary" in checks["rls.irls_total"].note
    (invalid,) = check_facts(stored, {"person": {"kidney": "failing"}}, TODAY)
    assert invalid.status == "invalid"


def test_accepting_the_same_file_again_stores_only_what_is_new(
    db: Database, kirsten: dict[str, Any]
) -> None:
    person = _no_facts(db)
    accept_import(db, person, kirsten, use_facts=False, today=TODAY)
    later = {**kirsten, "labs": [*kirsten["labs"], {**kirsten["labs"][0], "date": "2026-02-01"}]}
    again = accept_import(db, person, later, use_facts=False, today=TODAY)
    assert [lab.date for lab in again.labs] == [dt.date(2026, 2, 1)]
    assert len(again.already_stored) == len(kirsten["labs"]) + 11
    assert _counts(db, person) == (len(kirsten["labs"]) + 1, 6, 5)
