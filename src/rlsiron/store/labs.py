"""Lab results: stored as received, and only when the core can read them.

A row is read by the core (`read_lab`, the engine's own reading) before it is written, so a
stored row is always one the engine reads; the test id, value and unit the core made of it
are stored beside it for charts. The value is kept as printed ("38", "38.0", "<5") with how
it was given (a number, a text, a number with a comparator), so that reading a row back
gives exactly the contract row that was written.

`add_labs` stores an accepted upload: every row is read first, every bad row is reported
(`labs[i].unit`, as the engine reports a document's rows) and nothing is stored unless all
rows read. `entries_from_document` turns an import's document (`rlsiron.io.merge`, what the
upload preview shows) into those rows, each with the first place it was read from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from pydantic import ValidationError

from rlsiron.core.labs.panel import ReadLab, read_lab
from rlsiron.core.models import Comparator, Origin, Quantity
from rlsiron.core.validation import problems_of
from rlsiron.errors import Problem, ProblemCollector, RlsironError
from rlsiron.store import models as orm
from rlsiron.store.database import Database
from rlsiron.store.owned import RecordType, indexed
from rlsiron.store.schemas import Canonical, LabEntry, LabRecord

# Longest first, so that "<=5" is not read as "<" and "=5".
_COMPARATORS: Final[tuple[Comparator, ...]] = ("<=", ">=", "<", ">")
_ROW: Final = "labs[0]"  # where read_lab locates the problems of row 0
_NOT_A_ROW: Final = "is not a lab row (an object with test, value, unit and date)"


def _as_printed(value: float | str | Quantity) -> tuple[str, orm.ValueForm]:
    """The value as text, and how it was given."""
    if isinstance(value, Quantity):
        return f"{value.comparator or ''}{json.dumps(value.value)}", "quantity"
    if isinstance(value, str):
        return value, "text"
    return json.dumps(value), "number"  # json keeps 38 and 38.0 apart, and floats exact


def _as_given(text: str, form: orm.ValueForm) -> float | str | dict[str, Any]:
    """The value as the contract row had it: the inverse of `_as_printed`."""
    if form == "text":
        return text
    if form == "number":
        number: int | float = json.loads(text)
        return number
    comparator = next((c for c in _COMPARATORS if text.startswith(c)), None)
    return {"value": json.loads(text.removeprefix(comparator or "")), "comparator": comparator}


def contract_row(row: orm.LabResult) -> dict[str, Any]:
    """The stored row as the contract's lab row (JSON-ready), as it was received."""
    out: dict[str, Any] = {
        "test": row.test,
        "value": _as_given(row.value, row.value_form),
        "unit": row.unit,
        "date": row.date.isoformat(),
        "reference_range": row.reference_range,
        "assay": row.assay,
        "flag": row.flag,
    }
    return {key: value for key, value in out.items() if value is not None}


def origin_of(row: orm.LabResult) -> Origin | None:
    if row.source_file is None or row.source_at is None:
        return None
    return Origin(
        file=row.source_file, at=row.source_at, text=row.source_text, note=row.source_note
    )


def _record(row: orm.LabResult) -> LabRecord:
    return LabRecord.model_validate(
        {
            **contract_row(row),
            "origin": origin_of(row),
            "id": row.id,
            "canonical": Canonical(
                test=row.canonical_test,
                value=row.canonical_value,
                qualifier=row.canonical_qualifier,
                unit=row.canonical_unit,
                plausible=row.plausible,
            ),
        }
    )


def _columns(entry: LabEntry) -> dict[str, Any]:
    """The row's columns; its problems located in the row ("unit", not "labs[0].unit")."""
    try:
        read = read_lab(0, entry)
    except RlsironError as exc:
        located = [p.at(p.location.removeprefix(_ROW).removeprefix(".")) for p in exc.problems]
        raise type(exc)(problems=located) from None
    return _row_columns(entry, read)


def _row_columns(entry: LabEntry, read: ReadLab) -> dict[str, Any]:
    value, form = _as_printed(entry.value)
    origin = entry.origin
    row = entry.model_dump(mode="json", include={"reference_range"}, exclude_none=True)
    return {
        "test": entry.test,
        "value": value,
        "value_form": form,
        "unit": entry.unit,
        "date": entry.date,
        "reference_range": row.get("reference_range"),
        "flag": entry.flag,
        "assay": entry.assay,
        "source_file": origin.file if origin else None,
        "source_at": origin.at if origin else None,
        "source_text": origin.text if origin else None,
        "source_note": origin.note if origin else None,
        "canonical_test": read.analyte.key,
        "canonical_value": read.reading.value,
        "canonical_qualifier": read.reading.qualifier,
        "canonical_unit": read.analyte.canonical_unit,
        "plausible": read.plausible,
    }


LABS: Final = RecordType[LabEntry, LabRecord, orm.LabResult](
    name="lab result",
    location="labs",
    table=orm.LabResult,
    columns=_columns,
    record=_record,
    order=(orm.LabResult.date.asc(),),
)


def add_labs(db: Database, person_id: int, entries: Sequence[LabEntry]) -> list[LabRecord]:
    """An accepted upload, all or nothing; every bad row is reported as `labs[i]...`."""
    return LABS.add_all(db, person_id, entries)


def entries_from_document(document: Mapping[str, Any]) -> list[LabEntry]:
    """The lab rows of a contract or import document, each with its first origin.

    A result several files agreed on has several origins (`provenance["labs[i]"]`); the
    row keeps the first, as a row has one source. Rows that do not fit the contract are
    reported all at once (`labs[i].value`), as `parse_input` reports them.
    """
    provenance: Mapping[str, Sequence[object]] = document.get("provenance") or {}
    problems = ProblemCollector()
    entries: list[LabEntry] = []
    for index, row in enumerate(document.get("labs") or ()):
        origins = provenance.get(f"labs[{index}]") or (None,)
        if not isinstance(row, Mapping):
            problems.problems.append(Problem(f"labs[{index}]", _NOT_A_ROW, row))
            continue
        try:
            entries.append(LabEntry.model_validate({**row, "origin": origins[0]}))
        except ValidationError as exc:
            problems.problems += [indexed(p, "labs", index) for p in problems_of(exc)]
    problems.raise_if_any()
    return entries
