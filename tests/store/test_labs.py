"""Lab results: stored as received once the core has read them, read back unchanged."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import example, given, reject, settings
from hypothesis import strategies as st

from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.core.labs.panel import read_lab
from rlsiron.core.labs.units import accepted_units
from rlsiron.core.models import EARLIEST_DATE, LabInput, Origin, Quantity, RangeInput
from rlsiron.errors import RlsironError, UnitError
from rlsiron.io.importer import import_files
from rlsiron.store import (
    LABS,
    Database,
    LabEntry,
    PersonRecord,
    add_labs,
    entries_from_document,
    history_document,
)
from rlsiron.store.labs import contract_row
from rlsiron.store.models import LabResult
from tests.store.helpers import REPO, make_person

D = dt.date
COMPARATORS = ("<", "<=", ">", ">=")


def _lab(test: str = "ferritin", value: Any = 38, unit: str = "ug/L", **more: Any) -> LabEntry:
    return LabEntry.model_validate(
        {"test": test, "value": value, "unit": unit, "date": D(2025, 3, 1), **more}
    )


def test_a_row_is_stored_with_the_cores_reading_beside_it(db: Database) -> None:
    person = make_person(db)
    entry = _lab("Serum iron", "101", "ug/dL")
    record = LABS.add(db, person.id, entry)
    read = read_lab(0, entry)
    assert record.canonical.model_dump() == {
        "test": "iron",
        "value": read.reading.value,
        "qualifier": "=",
        "unit": "umol/L",
        "plausible": True,
    }
    assert record.test == "Serum iron" and record.value == "101"  # as printed


def test_a_row_the_core_cannot_read_is_refused_at_its_field(db: Database) -> None:
    person = make_person(db)
    with pytest.raises(UnitError) as caught:
        LABS.add(db, person.id, _lab(unit="furlongs"))
    assert [p.location for p in caught.value.problems] == ["unit"]
    assert LABS.all(db, person.id) == []


def test_an_upload_with_bad_rows_stores_nothing_and_lists_every_problem(db: Database) -> None:
    person = make_person(db)
    kept = LABS.add(db, person.id, _lab(value=20))
    upload = [
        _lab(value=30),
        _lab(unit="furlongs"),
        _lab("TSAT", 18, "%"),
        _lab("HbA1c", "high", "%"),  # a look-alike test, and a value that is not a number
    ]
    with pytest.raises(RlsironError) as caught:
        add_labs(db, person.id, upload)
    assert [(p.location, p.kind) for p in caught.value.problems] == [
        ("labs[1].unit", "unit"),
        ("labs[3].test", "lookalike_test"),
        ("labs[3].value", "value_format"),
    ]
    assert LABS.all(db, person.id) == [kept]


def test_an_imported_document_is_stored_with_where_each_result_was_read(db: Database) -> None:
    imported = import_files([REPO / "tests" / "io" / "data" / "table" / "portal_export.csv"])
    document = imported.document
    person = make_person(db)
    records = add_labs(db, person.id, entries_from_document(document))
    as_rows = [
        r.model_dump(mode="json", exclude={"id", "canonical", "origin"}, exclude_none=True)
        for r in records
    ]
    assert as_rows == document["labs"]
    assert [r.origin for r in records] == [
        Origin.model_validate(document["provenance"][f"labs[{i}]"][0]) for i in range(len(records))
    ]
    history = history_document(db, person.id, max(r.date for r in records))
    assert (history["labs"], history["provenance"]) == (document["labs"], document["provenance"])


def test_document_rows_that_do_not_fit_the_contract_are_all_reported() -> None:
    document = {
        "labs": [
            {"test": "ferritin", "value": True, "unit": "ug/L", "date": "2025-01-01"},
            {"test": "ferritin", "value": 30, "unit": "ug/L", "date": "2025-01-01"},
            {"test": "ferritin", "unit": "ug/L", "date": "yesterday", "colour": "red"},
            "ferritin 30",
        ]
    }
    with pytest.raises(RlsironError) as caught:
        entries_from_document(document)
    assert {p.location for p in caught.value.problems} == {
        "labs[0].value",
        "labs[2].value",
        "labs[2].date",
        "labs[2].colour",
        "labs[3]",
    }


def test_an_accepted_upload_is_stored_whole_in_its_order(db: Database) -> None:
    person = make_person(db)
    upload = [_lab(value=30), _lab("TSAT", 18, "%"), _lab("Hb", 12.1, "g/dL")]
    records = add_labs(db, person.id, upload)
    assert [r.canonical.test for r in records] == ["ferritin", "tsat", "hemoglobin"]
    assert LABS.all(db, person.id) == records


# ------------------------------------------------------------------ round trip


def _printable(min_size: int = 0) -> st.SearchStrategy[str]:
    # What no database can hold is refused by the models (test_unstorable_text... below).
    alphabet = st.characters(exclude_characters="\x00", exclude_categories=["Cs"])
    return st.text(alphabet, min_size=min_size, max_size=40)


def _non_empty() -> st.SearchStrategy[str]:
    return _printable(1).map(str.strip).filter(bool)


_NUMBERS = st.integers(0, 5000) | st.floats(0, 5000, allow_nan=False, allow_infinity=False)


@st.composite
def _values(draw: st.DrawFn) -> int | float | str | Quantity:
    number = draw(_NUMBERS)
    form = draw(st.sampled_from(["number", "text", "quantity"]))
    if form == "number":
        return number
    comparator = draw(st.none() | st.sampled_from(COMPARATORS))
    if form == "quantity":
        return Quantity(value=number, comparator=comparator)
    return f"{comparator or ''}{number}"


@st.composite
def _ranges(draw: st.DrawFn) -> str | RangeInput | None:
    low, high = sorted(draw(st.lists(st.integers(0, 500), min_size=2, max_size=2)))
    return draw(
        st.sampled_from(
            [None, f"{low}-{high}", f"<{high}", RangeInput(low=low, high=high), RangeInput(low=low)]
        )
    )


@st.composite
def lab_entries(draw: st.DrawFn) -> LabEntry:
    """Any lab row the core reads: catalogue names and codes, accepted units, every value
    form, ranges, assays, flags and origins as printed."""
    analyte = draw(st.sampled_from(sorted(ANALYTES.values(), key=lambda a: a.key)))
    entry = LabEntry(
        test=draw(
            st.sampled_from([analyte.key, analyte.display, *analyte.synonyms, *analyte.loinc])
        ),
        value=draw(_values()),
        unit=draw(st.sampled_from(accepted_units(analyte.key))),
        date=draw(st.dates(EARLIEST_DATE, D(2100, 12, 31))),
        reference_range=draw(_ranges()),
        assay=draw(st.sampled_from([None, "roche", "Elecsys", "beckman", "other"])),
        flag=draw(st.none() | _non_empty().map(lambda s: s[:8])),
        origin=draw(
            st.none()
            | st.builds(
                Origin,
                file=_non_empty(),
                at=_non_empty(),
                text=st.none() | _printable(),
                note=st.none() | _printable(),
            )
        ),
    )
    try:
        read_lab(0, entry)
    except RlsironError:
        reject()  # not a valid row (a TSAT above 100 %, a range the unit cannot have)
    return entry


@pytest.fixture(scope="session")
def owner(db: Database) -> PersonRecord:
    return make_person(db)


@settings(max_examples=60, deadline=None)
@given(entry=lab_entries())
@example(entry=_lab(value=38))
@example(entry=_lab(value=38.0))
@example(entry=_lab(value="38"))
@example(entry=_lab(value="<5", reference_range="<5"))
@example(entry=_lab(value={"value": 5, "comparator": "<="}))
@example(entry=_lab(value={"value": 0.1}, reference_range={"low": 4.6, "high": 18.7}))
def test_any_valid_row_written_then_read_gives_the_same_contract_row(
    db: Database, owner: PersonRecord, entry: LabEntry
) -> None:
    record = LABS.add(db, owner.id, entry)
    try:
        back = LABS.get(db, owner.id, record.id)
        as_entry = LabEntry.model_validate(back.model_dump(exclude={"id", "canonical"}))
        # JSON keeps 38 and 38.0 apart, which == would not.
        assert as_entry.model_dump_json() == entry.model_dump_json()
        contract = LabInput.model_validate(entry.model_dump(exclude={"origin"}))
        stored = contract_row(_row(db, record.id))
        assert LabInput.model_validate(stored).model_dump_json() == contract.model_dump_json()
        assert back.canonical.value == read_lab(0, entry).reading.value
    finally:
        LABS.delete(db, owner.id, record.id)


def _row(db: Database, record_id: int) -> LabResult:
    with db.reading() as session:
        row = session.get(LabResult, record_id)
        assert row is not None
        return row


@pytest.mark.parametrize("text", ["H\x00", "\ud800"])
def test_unstorable_text_is_refused_at_the_field_before_it_reaches_a_database(text: str) -> None:
    with pytest.raises(ValueError, match="NUL characters or unpaired surrogates") as caught:
        _lab(origin={"file": "a.csv", "at": "line 2", "note": text})
    assert "origin" in str(caught.value)
