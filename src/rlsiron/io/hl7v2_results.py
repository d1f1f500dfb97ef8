"""The lab results of an HL7 v2 patient: orders (OBR), results (OBX) and their notes (NTE).

Each OBX becomes a `FoundLab` of a catalogue test: its test from the codes and names of OBX-3,
its value (a printed value or a structured number), unit, range and flags as printed, its
notes, and the day the blood was drawn from the order it answers. The lab's result status
(OBX-11) decides what is used: a correction replaces the final result, a preliminary one
goes to review, a result not done or withdrawn is counted as skipped. Values and units are
passed on as printed; the core reads them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from rlsiron.core.models import Comparator, Quantity
from rlsiron.io.extract import Extract, FoundLab, catalogue_test
from rlsiron.io.hl7v2_messages import Segment, Unreadable, day, each, get

# --- field positions (HL7 v2.5.1; the same in v2.3) -----------------------------------------------
_COLLECTED: Final = "OBR.7.1.1"  # observation date/time: the specimen collection for a lab test
_REPORTED: Final = "OBR.22.1.1"  # results reported or status changed
_VALUE_TYPE: Final = "OBX.2"
_CODE: Final = "OBX.3.1.1"  # CE/CWE: id ^ text ^ system ^ alternate id ^ alternate text ^ system
_CODE_TEXT: Final = "OBX.3.1.2"
_CODE_SYSTEM: Final = "OBX.3.1.3"
_ALTERNATE_CODE: Final = "OBX.3.1.4"
_ALTERNATE_TEXT: Final = "OBX.3.1.5"
_ALTERNATE_SYSTEM: Final = "OBX.3.1.6"
_VALUE: Final = "OBX.5.1.1"  # SN: comparator ^ number ^ separator or suffix ^ second number
_SN_NUMBER: Final = "OBX.5.1.2"
_SN_SEPARATOR: Final = "OBX.5.1.3"
_SN_SECOND: Final = "OBX.5.1.4"
_UNIT: Final = "OBX.6.1.1"  # CE: id ^ text ^ system
_UNIT_TEXT: Final = "OBX.6.1.2"
_UNIT_SYSTEM: Final = "OBX.6.1.3"
_RANGE: Final = "OBX.7"
_FLAGS: Final = "OBX.8.1.1"  # repeating in v2.5
_STATUS: Final = "OBX.11"
_OBSERVED: Final = "OBX.14.1.1"
_COMMENT: Final = "NTE.3.1.1"  # FT, repeating

# --- vocabularies ---------------------------------------------------------------------------------
_LOINC_SYSTEMS: Final = frozenset({"LN", "LOINC", "2.16.840.1.113883.6.1"})  # HL7 table 0396, OID
# UCUM codes are exact where a display text may be abbreviated or prettified; "ISO+" and "ANS+"
# are the unit tables of v2.3 that UCUM replaced.
_UCUM_SYSTEMS: Final = frozenset({"UCUM", "ISO+", "ANS+"})
# Value types whose OBX-5 is one printed value. NM should be a bare number, but interfaces do
# send "<5" in it; the core reads the printed text and refuses what is not one number. An
# empty type (optional before v2.5) is read the same way.
_PRINTED_TYPES: Final = frozenset({"NM", "ST", "TX", "FT", ""})
_COMPARATORS: Final[dict[str, Comparator]] = {"<": "<", "<=": "<=", ">": ">", ">=": ">="}
_DECIMAL: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")

# HL7 table 0085 (OBX-11, observation result status). U: changed to final without the value
# being sent again; a U that carries its value is read as final.
_FINAL: Final = frozenset({"F", "U"})
_CORRECTED: Final = "C"
_UNFINISHED: Final = {
    "P": "a preliminary result (OBX-11 P)",
    "R": "a result entered but not verified (OBX-11 R)",
    "S": "a partial result (OBX-11 S)",
    "": "a result without a status (OBX-11 is empty): final or not is unknown",
}
_NOT_RESULTS: Final = {
    "X": "not done: the lab could not obtain a result",
    "D": "deleted by the lab",
    "W": "withdrawn by the lab as wrong",
    "I": "pending in the lab",
    "N": "not asked for",
    "O": "an order detail, not a result",
}


# --- the segments, as the walk through a message joins them ---------------------------------------


@dataclass(slots=True)
class Order:
    collected: str  # OBR-7
    reported: str  # OBR-22
    place: str


@dataclass(slots=True)
class Observation:
    obx: Segment
    order: Order
    notes: list[str] = field(default_factory=list)


def order_of(obr: Segment) -> Order:
    """The dates of an order (OBR) that date its results, and where it is."""
    return Order(get(obr, _COLLECTED), get(obr, _REPORTED), obr.place)


def notes_of(nte: Segment) -> list[str]:
    """The comment lines of an NTE, a line break (\\.br\\, unescaped to \\r) as \\n."""
    return [text.replace("\r", "\n") for text in each(nte, _COMMENT)]


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Result:
    status: str  # OBX-11: F, U, C or one of _UNFINISHED
    lab: FoundLab


def settled(extract: Extract, observations: Sequence[Observation]) -> Extract:
    """The patient's results, each test and date once, as the lab last reported it.

    A corrected result (C) replaces the final ones (F) of the same test and date in the file,
    wherever they are, and the last correction wins. A preliminary result is left to review,
    unless a final one of the same test and date is in the file.
    """
    results = [r for r in (_result(o, extract) for o in observations) if r is not None]
    corrections = {(r.lab.test, r.lab.date): r for r in results if r.status == _CORRECTED}
    finished = {(r.lab.test, r.lab.date) for r in results if r.status not in _UNFINISHED}
    for result in results:
        key = (result.lab.test, result.lab.date)
        if result.status in _UNFINISHED:
            if key not in finished:
                extract.needs_review(
                    result.lab.origin.at,
                    result.lab.origin.text,
                    f"{_UNFINISHED[result.status]}; not used until the lab sends the final one",
                )
        elif corrections.get(key, result) is result:
            extract.labs.append(result.lab)
    return extract


def _result(observation: Observation, extract: Extract) -> _Result | None:
    """One OBX as a result of a catalogue test; else counted as skipped or a problem."""
    obx = observation.obx
    try:
        printed, test = _test_of(obx)
        status = get(obx, _STATUS).upper()
        if test is None:
            extract.skipped[printed] += 1
            return None
        if status in _NOT_RESULTS:
            extract.skipped[f"{printed} ({_NOT_RESULTS[status]}, OBX-11 {status})"] += 1
            return None
        _check_status(status)
        lab = FoundLab(
            test=test,
            value=_value(obx),
            unit=_unit(obx),
            date=_draw_date(observation),
            origin=extract.origin(obx.place, obx.text),
            reference_range=get(obx, _RANGE) or None,
            flag=", ".join(each(obx, _FLAGS)) or None,
            note="\n".join(observation.notes) or None,
        )
    except Unreadable as exc:
        extract.problem(obx.place, exc.message, exc.received, exc.hint)
        return None
    return _Result(status, lab)


def _check_status(status: str) -> None:
    if status in _FINAL or status == _CORRECTED or status in _UNFINISHED:
        return
    raise Unreadable(
        "OBX-11 is not a result status of HL7 table 0085",
        status,
        hint="F (final) and C (corrected) are read; P (preliminary) goes to review",
    )


def _test_of(obx: Segment) -> tuple[str, str | None]:
    """The test as printed, and its catalogue id when the core reads one of its codes or names.

    A LOINC code first (exact), then the printed text, then the alternate code and text
    (components 4-6), as interfaces send a local code with LOINC beside it. A code or name
    the core knows as a look-alike (MCH, HbA1c, oxygen saturation) ends catalogue_test's
    search: a generic text beside it ("% Saturation") must not make it TSAT.
    """
    code, text = get(obx, _CODE), get(obx, _CODE_TEXT)
    alternate, alternate_text = get(obx, _ALTERNATE_CODE), get(obx, _ALTERNATE_TEXT)
    printed = text or alternate_text or code or alternate
    if not printed:
        raise Unreadable("has no test code or name (OBX-3)", obx.text)
    test = catalogue_test(
        code if get(obx, _CODE_SYSTEM).upper() in _LOINC_SYSTEMS else None,
        text,
        alternate if get(obx, _ALTERNATE_SYSTEM).upper() in _LOINC_SYSTEMS else None,
        alternate_text,
    )
    return printed, test


def _value(obx: Segment) -> int | float | str | Quantity:
    kind = get(obx, _VALUE_TYPE).upper()
    if kind == "SN":
        return _structured_number(obx)
    printed = get(obx, _VALUE)
    if kind not in _PRINTED_TYPES:
        raise Unreadable(f"has a value of type {kind} (OBX-2), not a number", printed or obx.text)
    if not printed:
        raise Unreadable("has no value (OBX-5)", obx.text)
    number = _number(printed)
    return printed if number is None else number


def _structured_number(obx: Segment) -> int | float | Quantity:
    """SN: "<^5" is below 5, "^5" is 5; a range ("^10^-^20") or ratio ("^1^:^128") is refused."""
    comparator, printed = get(obx, _VALUE), get(obx, _SN_NUMBER)
    if get(obx, _SN_SEPARATOR) or get(obx, _SN_SECOND):
        raise Unreadable("is a range or a ratio (SN), not one result", obx.text)
    number = _number(printed)
    if number is None:
        raise Unreadable("has no number in its structured value (OBX-5.2)", printed)
    if comparator in ("", "="):
        return number
    if comparator in _COMPARATORS:
        return Quantity(value=number, comparator=_COMPARATORS[comparator])
    raise Unreadable("has a comparator that is not <, >, <= or >= (OBX-5.1)", comparator)


def _number(text: str) -> int | float | None:
    """A plain decimal as a number, an int when printed without decimals (its precision)."""
    if not _DECIMAL.fullmatch(text):
        return None
    number = float(text) if "." in text else int(text)
    return number if math.isfinite(number) else None


def _unit(obx: Segment) -> str | None:
    """The unit as printed: a UCUM code when OBX-6 gives one, else the text a local code shows.

    A UCUM (or v2.3 ISO+) identifier is the exact unit where its text may be a display form;
    a local code ("MCG/DL") may be a mnemonic, so its text comes first.
    """
    code, text = get(obx, _UNIT), get(obx, _UNIT_TEXT)
    if get(obx, _UNIT_SYSTEM).upper() in _UCUM_SYSTEMS:
        return code or text or None
    return text or code or None


def _draw_date(observation: Observation) -> dt.date:
    """The day the blood was drawn: OBR-7, else OBX-14, else the report date OBR-22.

    The first one given decides; a malformed one is a problem, not a reason to use the next.
    """
    sources = (
        ("OBR-7", observation.order.collected),
        ("OBX-14", get(observation.obx, _OBSERVED)),
        ("OBR-22", observation.order.reported),
    )
    for source, text in sources:
        if text:
            return day(text, source)
    raise Unreadable(
        "has no date (OBR-7, OBX-14 and OBR-22 are empty)",
        observation.obx.text,
        hint=f"the order is {observation.order.place}",
    )
