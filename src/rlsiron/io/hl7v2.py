"""HL7 v2 result messages (ORU^R01, v2.3 to v2.5.1) as lab interfaces write them to disk.

A file holds one message or a batch (FHS/BHS headers, MLLP framing left in, segments ended
by \\r, \\n or \\r\\n). Each message holds one or more patients (PID), each with orders (OBR)
and their results (OBX, with NTE notes). `read_patients` reads a file into the results of
each patient it holds, so that a clinic's lab feed can use it as it is; `read_hl7v2` is the
`rlsiron import` reader, which reads one person: the only patient of the file, or the one
the user names.

Parsing is python-hl7's (messages, segments, escape sequences, timestamps); this module reads
the fields of an ORU^R01 and decides nothing clinical: the core resolves test codes and
names, units and values. What cannot be read is a problem named by its place ("OBX 3 of
message 2"); what the lab itself marks as not final goes to review; the rest is still read.
Field positions are written in python-hl7's accessor notation, "OBX.3.1.2" for OBX-3
(repetition 1) component 2, the HL7 standard's own numbering.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import hl7  # type: ignore[import-untyped]

from rlsiron.core.models import Comparator, Quantity
from rlsiron.errors import NOTHING
from rlsiron.io.extract import Extract, FoundFact, FoundLab, catalogue_test

if TYPE_CHECKING:
    from rlsiron.io.importer import ReadOptions

# python-hl7 logs what it cannot unescape, and segments it drops, with no handler of its own:
# Python would print them to stderr in the middle of a report. Each is a problem named here.
hl7.util.logger.addHandler(logging.NullHandler())

# --- field positions (HL7 v2.5.1; the same in v2.3) -----------------------------------------------
_MESSAGE_CODE: Final = "MSH.9.1.1"  # ORU
_TRIGGER: Final = "MSH.9.1.2"  # R01
_PATIENT_ID: Final = "PID.3.1.1"  # CX, repeating: id ^ check digit ^ scheme ^ authority ^ type
_PATIENT_ID_AUTHORITY: Final = "PID.3.1.4"
_PATIENT_ID_TYPE: Final = "PID.3.1.5"
_BIRTH: Final = "PID.7.1.1"  # TS: time ^ degree of precision
_SEX: Final = "PID.8"
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
# HL7 table 0001 (administrative sex): only F and M say which reference ranges apply.
_SEXES: Final = {"F": "female", "M": "male"}
_SEX_UNSETTLED: Final = {"U": "unknown", "O": "other", "A": "ambiguous", "N": "not applicable"}
# Value types whose OBX-5 is one printed value. NM should be a bare number, but interfaces do
# send "<5" in it; the core reads the printed text and refuses what is not one number. An
# empty type (optional before v2.5) is read the same way.
_PRINTED_TYPES: Final = frozenset({"NM", "ST", "TX", "FT", ""})
_COMPARATORS: Final[dict[str, Comparator]] = {"<": "<", "<=": "<=", ">": ">", ">=": ">="}
_DECIMAL: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
# HL7 DTM: YYYYMMDD[HH[MM[SS[.S...]]]][+/-ZZZZ]; a draw or birth date needs the day.
_DAY_PRECISION: Final = re.compile(r"\d{8}(?:\d{2}){0,3}(?:\.\d{1,4})?(?:[+-]\d{4})?")
_SEGMENT_ID: Final = re.compile(r"[A-Z][A-Z0-9]{2}")
_ID_LENGTH: Final = len("MSH")  # every segment id has three characters
_STANDARD_ENCODING: Final = "^~\\&"  # MSH-2: component, repetition, escape, subcomponent
_NEWLINES: Final = re.compile(r"\r\n|\r|\n")
_BATCH_SEGMENTS: Final = ("FHS", "BHS", "FTS", "BTS")

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


# --- what the module gives ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PatientId:
    """One identifier of PID-3: the number, who assigned it, and its type (MR, PI, SS)."""

    number: str
    authority: str = ""
    kind: str = ""

    def __str__(self) -> str:
        issued = " ".join(part for part in (self.kind, self.authority) if part)
        return f"{self.number} ({issued})" if issued else self.number


@dataclass(frozen=True, slots=True)
class PatientResults:
    """One patient of a file: identifiers (none when the file gives none), results, facts."""

    ids: tuple[PatientId, ...]
    first_seen: str  # "PID 1 of message 1": where a patient without identifiers is
    extract: Extract

    def describe(self) -> str:
        if not self.ids:
            return f"a patient without identifiers ({self.first_seen})"
        return ", ".join(str(patient_id) for patient_id in self.ids)


@dataclass(frozen=True, slots=True)
class ResultFile:
    """The patients of one file, and what belongs to none of them (framing, headers)."""

    patients: tuple[PatientResults, ...]
    unattached: Extract


def read_hl7v2(data: bytes, name: str, options: ReadOptions) -> Extract:
    """The results of one person: the file's only patient, or the one `options` names."""
    found = read_patients(data, name)
    chosen = _chosen(found, options.patient)
    extract = found.unattached
    if chosen is not None:
        extract.labs += chosen.labs
        extract.facts += chosen.facts
        extract.review += chosen.review
        extract.problems += chosen.problems
        extract.skipped.update(chosen.skipped)
    return extract


def read_patients(data: bytes, name: str) -> ResultFile:
    """Every patient of a file with their results; never raises for what the file holds."""
    reader = _FileReader(name)
    reader.read(_segment_lines(data))
    return reader.result()


# --- the untyped surface: python-hl7 objects are read only here -----------------------------------


class _Unreadable(Exception):
    """A field or segment that cannot be read; reported as a problem at its place."""

    def __init__(self, message: str, received: object, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.received, self.hint = message, received, hint


@dataclass(frozen=True, slots=True)
class _Segment:
    name: str  # "OBX"
    place: str  # "OBX 3 of message 2"
    text: str  # as printed, for origins
    raw: Any  # hl7.Segment


def _messages(lines: Sequence[str]) -> list[str]:
    """The messages of a file, batch and file headers (FHS, BHS and trailers) left out."""
    return [str(message) for message in hl7.split_file("\r".join(lines))]


def _parsed(message: str, number: int) -> list[_Segment]:
    """The segments of one message (its header checked), each named by its place."""
    raws = list(hl7.parse(message))
    segments = [_Segment("MSH", f"MSH of message {number}", str(raws[0]), raws[0])]
    for position, raw in enumerate(raws[1:], start=2):
        name = str(raw[0][0]) if raw and raw[0] else ""
        segments.append(_Segment(name, f"segment {position} of message {number}", str(raw), raw))
    return segments


def _text_at(raw: Any, key: str, repetition: int = 1) -> str:
    """The unescaped text at `key` in a repetition; "" where the segment does not reach."""
    at = hl7.Accessor.parse_key(key)
    try:
        return str(
            raw.extract_field(
                at.segment_num, at.field_num, repetition, at.component_num, at.subcomponent_num
            )
        )
    except IndexError:  # a component asked of a field printed without components
        return ""
    except ValueError as exc:  # hl7.util.unescape: a repeat count that is not a number
        raise _Unreadable(f"{_field_name(key)} has a malformed escape sequence", str(raw)) from exc


def _repetitions(raw: Any, key: str) -> int:
    at = hl7.Accessor.parse_key(key)
    return len(raw(at.field_num)) if at.field_num < len(raw) else 0


# --- typed access ---------------------------------------------------------------------------------


def _get(segment: _Segment, key: str) -> str:
    return _text_at(segment.raw, key).strip()


def _each(segment: _Segment, key: str) -> list[str]:
    """The text at `key` in every repetition of its field, empty ones left out."""
    texts = (
        _text_at(segment.raw, key, r).strip() for r in range(1, _repetitions(segment.raw, key) + 1)
    )
    return [text for text in texts if text]


def _field_name(key: str) -> str:
    """HL7's own name of a field: "OBX.3.1.2" is OBX-3.2 in the standard and in specs."""
    at = hl7.Accessor.parse_key(key)
    component = f".{at.component_num}" if at.component_num not in (None, 1) else ""
    return f"{at.segment}-{at.field_num}{component}"


# --- the file: lines, messages, segments ----------------------------------------------------------


def _segment_lines(data: bytes) -> list[str]:
    """The file's segments, whatever ends its lines, without MLLP framing or blank lines.

    python-hl7 splits segments on \\r only, as the standard does; files on disk are often
    saved with \\n or \\r\\n. A capture of an MLLP stream keeps its framing: a block starts
    with VT (0x0b) and ends with FS (0x1c) and CR, so the framing is at the ends of lines,
    where strip() removes it (Python counts both as whitespace).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # HL7 v2's default is ASCII; older feeds send Latin-1
        text = data.decode("latin-1")
    lines = _NEWLINES.split(text)
    return [line.strip() for line in lines if line.strip()]


@dataclass(slots=True)
class _Order:
    collected: str  # OBR-7
    reported: str  # OBR-22
    place: str


@dataclass(slots=True)
class _Observation:
    obx: _Segment
    order: _Order
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Patient:
    ids: tuple[PatientId, ...]
    first_seen: str
    extract: Extract
    observations: list[_Observation] = field(default_factory=list)


@dataclass(slots=True)
class _Walk:
    """Where the walk through one message is: the patient, order and result segments join."""

    number: int
    counts: Counter[str] = field(default_factory=Counter)
    patient: _Patient | None = None
    order: _Order | None = None
    observation: _Observation | None = None

    def place(self, name: str) -> str:
        self.counts[name] += 1
        return f"{name} {self.counts[name]} of message {self.number}"


class _FileReader:
    """Reads the messages of one file into its patients, one segment at a time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.unattached = Extract(file=name, format="hl7v2")
        self.patients: list[_Patient] = []
        self._readers: dict[str, Callable[[_Walk, _Segment], None]] = {
            "PID": self._patient,
            "OBR": self._order,
            "OBX": self._observation,
            "NTE": self._note,
        }

    def read(self, lines: Sequence[str]) -> None:
        if not lines:
            self.unattached.problem("file", "holds no HL7 segments", NOTHING)
            return
        self._report_orphans(lines)
        messages = _messages(lines)
        if not messages:
            self.unattached.problem("file", "holds no message (MSH segment)", lines[0])
        for number, message in enumerate(messages, start=1):
            self._read_message(message, number)

    def result(self) -> ResultFile:
        patients = tuple(
            PatientResults(p.ids, p.first_seen, _settled(p.extract, p.observations))
            for p in self.patients
        )
        return ResultFile(patients, self.unattached)

    def _report_orphans(self, lines: Sequence[str]) -> None:
        """Segments before the first MSH: split_file drops them with only a log line."""
        orphans: list[str] = []
        for line in lines:
            if line.startswith("MSH"):
                break
            if not line.startswith(_BATCH_SEGMENTS):
                orphans.append(line)
        if orphans:
            names = ", ".join(line[:_ID_LENGTH] for line in orphans)
            self.unattached.problem(
                "start of file",
                f"{len(orphans)} segment(s) ({names}) come before any MSH: they belong to no "
                "message and are not read",
                orphans[0],
                hint="each HL7 message starts with an MSH segment",
            )

    def _read_message(self, message: str, number: int) -> None:
        header = _header_problem(message)
        if header is not None:
            self.unattached.problem(f"message {number}", header, message.split("\r", 1)[0])
            return
        msh, *segments = _parsed(message, number)
        try:
            kind = _message_kind(msh)
        except _Unreadable as exc:
            self.unattached.problem(msh.place, exc.message, exc.received, exc.hint)
            return
        if kind is not None:
            self.unattached.problem(
                msh.place,
                f"is a {kind} message, not a result message (ORU^R01): not read",
                msh.text,
            )
            return
        walk = _Walk(number)
        for segment in segments:
            self._read_segment(walk, segment)

    def _read_segment(self, walk: _Walk, parsed: _Segment) -> None:
        if not _SEGMENT_ID.fullmatch(parsed.name):
            self.unattached.problem(
                parsed.place,  # "segment 5 of message 1": it has no name to count it by
                "is not an HL7 segment (a segment starts with a three-letter id such as OBX)",
                parsed.text,
            )
            return
        segment = _Segment(parsed.name, walk.place(parsed.name), parsed.text, parsed.raw)
        reader = self._readers.get(segment.name)
        if segment.name != "NTE":
            walk.observation = None  # a note after this segment is not about a result
        if reader is None:
            return  # ORC, PV1, SPM, Z-segments...: nothing rlsiron uses
        try:
            reader(walk, segment)
        except _Unreadable as exc:
            target = walk.patient.extract if walk.patient else self.unattached
            target.problem(segment.place, exc.message, exc.received, exc.hint)

    def _patient(self, walk: _Walk, pid: _Segment) -> None:
        # Nothing after a PID belongs to the patient before it, even when this one is unreadable.
        walk.patient, walk.order = None, None
        walk.patient = self._patient_for(_patient_ids(pid), pid.place)
        _read_person(pid, walk.patient.extract)

    def _order(self, walk: _Walk, obr: _Segment) -> None:
        if walk.patient is None:
            self.unattached.problem(
                obr.place,
                "has no readable PID before it: its results belong to a patient without "
                "identifiers",
                obr.text,
                hint="a result message names its patient in a PID segment before the OBR",
            )
            walk.patient = self._patient_for((), obr.place)
        walk.order = _Order(_get(obr, _COLLECTED), _get(obr, _REPORTED), obr.place)

    def _observation(self, walk: _Walk, obx: _Segment) -> None:
        if walk.patient is None or walk.order is None:
            raise _Unreadable(
                "comes before any OBR: it belongs to no order and is not read",
                obx.text,
                hint="results (OBX) follow the order (OBR) they answer",
            )
        walk.observation = _Observation(obx, walk.order)
        walk.patient.observations.append(walk.observation)

    def _note(self, walk: _Walk, nte: _Segment) -> None:
        """A note after a result is kept with it; after a PID or an OBR it has no result."""
        if walk.observation is not None:
            walk.observation.notes += [text.replace("\r", "\n") for text in _each(nte, _COMMENT)]

    def _patient_for(self, ids: tuple[PatientId, ...], place: str) -> _Patient:
        """The patient sharing an identifier (number and authority) with `ids`, or a new one.

        A patient without identifiers is never joined to another: two such messages may be
        about two people.
        """
        keys = {(i.number, i.authority) for i in ids}
        for patient in self.patients:
            if keys & {(i.number, i.authority) for i in patient.ids}:
                return patient
        patient = _Patient(ids, place, Extract(file=self.name, format="hl7v2"))
        self.patients.append(patient)
        return patient


def _header_problem(message: str) -> str | None:
    """Why an MSH cannot set up the parse, or None.

    python-hl7 takes the separators from MSH-1 and MSH-2 unchecked: it fails with an
    IndexError on a truncated MSH and silently misreads a message whose separators repeat.
    """
    separator = message[_ID_LENGTH : _ID_LENGTH + 1]  # MSH-1, right after the segment id
    after = message[_ID_LENGTH + 1 :]
    encoding, found, _ = after.partition(separator) if separator else ("", "", "")
    characters = separator + encoding
    if (
        not found
        or len(encoding) < len(_STANDARD_ENCODING)
        or len(set(characters)) != len(characters)
        or any(c.isalnum() or c.isspace() for c in characters)
    ):
        return "has no valid separators (MSH-1 and MSH-2, normally |^~\\&): not read"
    return None


def _message_kind(msh: _Segment) -> str | None:
    """None for a result message (ORU), else its type as printed (ADT^A08)."""
    code, trigger = _get(msh, _MESSAGE_CODE), _get(msh, _TRIGGER)
    if not code:
        raise _Unreadable("has no message type (MSH-9): not read", msh.text)
    return None if code.upper() == "ORU" else f"{code}^{trigger}".rstrip("^")


def _patient_ids(pid: _Segment) -> tuple[PatientId, ...]:
    count = _repetitions(pid.raw, _PATIENT_ID)
    ids = (
        PatientId(
            _text_at(pid.raw, _PATIENT_ID, r).strip(),
            _text_at(pid.raw, _PATIENT_ID_AUTHORITY, r).strip(),
            _text_at(pid.raw, _PATIENT_ID_TYPE, r).strip(),
        )
        for r in range(1, count + 1)
    )
    return tuple(i for i in ids if i.number)


def _chosen(found: ResultFile, wanted: str | None) -> Extract | None:
    """The patient to read: the one named, or the only one; else a problem and none."""
    patients = found.patients
    if wanted is not None:
        patients = tuple(
            p for p in found.patients if any(i.number == wanted.strip() for i in p.ids)
        )
    if len(patients) == 1:
        return patients[0].extract
    if not found.patients:
        return None
    listed = "; ".join(p.describe() for p in found.patients)
    if wanted is None:
        message = f"holds the results of {len(found.patients)} patients ({listed}): none is read"
    elif not patients:
        message = f"has no patient with the identifier {wanted!r} (it holds: {listed})"
    else:
        message = f"has several patients with the identifier {wanted!r} ({listed}): none is read"
    found.unattached.problem(
        "file",
        message,
        NOTHING if wanted is None else wanted,
        hint="name the patient to read: rlsiron import --patient ID",
    )
    return None


# --- the person -----------------------------------------------------------------------------------


def _read_person(pid: _Segment, extract: Extract) -> None:
    """Sex (PID-8) and birth date (PID-7); an unknown or other sex is left to the user."""
    origin = extract.origin(pid.place, pid.text)
    sex = _get(pid, _SEX).upper()
    if sex in _SEXES:
        extract.facts.append(FoundFact("person.sex", _SEXES[sex], origin))
    elif sex in _SEX_UNSETTLED:
        extract.needs_review(
            pid.place,
            pid.text,
            f"sex (PID-8) is {sex!r} ({_SEX_UNSETTLED[sex]}): the reference ranges need female "
            "or male; give the sex yourself",
        )
    elif sex:
        extract.problem(pid.place, "PID-8 is not a sex code (F, M, O, U, A, N)", sex)
    birth = _get(pid, _BIRTH)
    if birth:
        try:
            extract.facts.append(FoundFact("person.birth_date", _day(birth, "PID-7"), origin))
        except _Unreadable as exc:
            extract.problem(pid.place, exc.message, exc.received, exc.hint)


def _day(text: str, source: str) -> dt.date:
    """The date of an HL7 timestamp, as printed where it was taken.

    A time zone offset (+0100) is not applied: a blood draw at 23:30 local time on the 1st
    is the 1st for the person and the lab, though it is the 2nd in UTC.
    """
    if not _DAY_PRECISION.fullmatch(text):
        raise _Unreadable(
            f"{source} is not a date to the day (YYYYMMDD, then an optional time)", text
        )
    try:
        parsed: dt.datetime = hl7.parse_datetime(text)
    except ValueError as exc:  # month 13, 30 February
        raise _Unreadable(f"{source} is not a calendar date", text) from exc
    return parsed.date()


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Result:
    status: str  # OBX-11: F, U, C or one of _UNFINISHED
    lab: FoundLab


def _settled(extract: Extract, observations: Sequence[_Observation]) -> Extract:
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


def _result(observation: _Observation, extract: Extract) -> _Result | None:
    """One OBX as a result of a catalogue test; else counted as skipped or a problem."""
    obx = observation.obx
    try:
        printed, test = _test_of(obx)
        status = _get(obx, _STATUS).upper()
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
            reference_range=_get(obx, _RANGE) or None,
            flag=", ".join(_each(obx, _FLAGS)) or None,
            note="\n".join(observation.notes) or None,
        )
    except _Unreadable as exc:
        extract.problem(obx.place, exc.message, exc.received, exc.hint)
        return None
    return _Result(status, lab)


def _check_status(status: str) -> None:
    if status in _FINAL or status == _CORRECTED or status in _UNFINISHED:
        return
    raise _Unreadable(
        "OBX-11 is not a result status of HL7 table 0085",
        status,
        hint="F (final) and C (corrected) are read; P (preliminary) goes to review",
    )


def _test_of(obx: _Segment) -> tuple[str, str | None]:
    """The test as printed, and its catalogue id when the core reads one of its codes or names.

    A LOINC code first (exact), then the printed text, then the alternate code and text
    (components 4-6), as interfaces send a local code with LOINC beside it. A code or name
    the core knows as a look-alike (MCH, HbA1c, oxygen saturation) ends catalogue_test's
    search: a generic text beside it ("% Saturation") must not make it TSAT.
    """
    code, text = _get(obx, _CODE), _get(obx, _CODE_TEXT)
    alternate, alternate_text = _get(obx, _ALTERNATE_CODE), _get(obx, _ALTERNATE_TEXT)
    printed = text or alternate_text or code or alternate
    if not printed:
        raise _Unreadable("has no test code or name (OBX-3)", obx.text)
    test = catalogue_test(
        code if _get(obx, _CODE_SYSTEM).upper() in _LOINC_SYSTEMS else None,
        text,
        alternate if _get(obx, _ALTERNATE_SYSTEM).upper() in _LOINC_SYSTEMS else None,
        alternate_text,
    )
    return printed, test


def _value(obx: _Segment) -> int | float | str | Quantity:
    kind = _get(obx, _VALUE_TYPE).upper()
    if kind == "SN":
        return _structured_number(obx)
    printed = _get(obx, _VALUE)
    if kind not in _PRINTED_TYPES:
        raise _Unreadable(f"has a value of type {kind} (OBX-2), not a number", printed or obx.text)
    if not printed:
        raise _Unreadable("has no value (OBX-5)", obx.text)
    number = _number(printed)
    return printed if number is None else number


def _structured_number(obx: _Segment) -> int | float | Quantity:
    """SN: "<^5" is below 5, "^5" is 5; a range ("^10^-^20") or ratio ("^1^:^128") is refused."""
    comparator, printed = _get(obx, _VALUE), _get(obx, _SN_NUMBER)
    if _get(obx, _SN_SEPARATOR) or _get(obx, _SN_SECOND):
        raise _Unreadable("is a range or a ratio (SN), not one result", obx.text)
    number = _number(printed)
    if number is None:
        raise _Unreadable("has no number in its structured value (OBX-5.2)", printed)
    if comparator in ("", "="):
        return number
    if comparator in _COMPARATORS:
        return Quantity(value=number, comparator=_COMPARATORS[comparator])
    raise _Unreadable("has a comparator that is not <, >, <= or >= (OBX-5.1)", comparator)


def _number(text: str) -> int | float | None:
    """A plain decimal as a number, an int when printed without decimals (its precision)."""
    if not _DECIMAL.fullmatch(text):
        return None
    number = float(text) if "." in text else int(text)
    return number if math.isfinite(number) else None


def _unit(obx: _Segment) -> str | None:
    """The unit as printed: a UCUM code when OBX-6 gives one, else the text a local code shows.

    A UCUM (or v2.3 ISO+) identifier is the exact unit where its text may be a display form;
    a local code ("MCG/DL") may be a mnemonic, so its text comes first.
    """
    code, text = _get(obx, _UNIT), _get(obx, _UNIT_TEXT)
    if _get(obx, _UNIT_SYSTEM).upper() in _UCUM_SYSTEMS:
        return code or text or None
    return text or code or None


def _draw_date(observation: _Observation) -> dt.date:
    """The day the blood was drawn: OBR-7, else OBX-14, else the report date OBR-22.

    The first one given decides; a malformed one is a problem, not a reason to use the next.
    """
    sources = (
        ("OBR-7", observation.order.collected),
        ("OBX-14", _get(observation.obx, _OBSERVED)),
        ("OBR-22", observation.order.reported),
    )
    for source, text in sources:
        if text:
            return _day(text, source)
    raise _Unreadable(
        "has no date (OBR-7, OBX-14 and OBR-22 are empty)",
        observation.obx.text,
        hint=f"the order is {observation.order.place}",
    )
