"""HL7 v2 result messages (ORU^R01, v2.3 to v2.5.1) as lab interfaces write them to disk.

A file holds one message or a batch (FHS/BHS headers, MLLP framing left in, segments ended
by \\r, \\n or \\r\\n). Each message holds one or more patients (PID), each with orders (OBR)
and their results (OBX, with NTE notes). `read_patients` reads a file into the results of
each patient it holds, so that a clinic's lab feed can use it as it is; `read_hl7v2` is the
`rlsiron import` reader, which reads one person: the only patient of the file, or the one
the user names.

Parsing is python-hl7's (messages, segments, escape sequences, timestamps); these modules read
the fields of an ORU^R01 and decide nothing clinical: the core resolves test codes and
names, units and values. What cannot be read is a problem named by its place ("OBX 3 of
message 2"); what the lab itself marks as not final goes to review; the rest is still read.
Field positions are written in python-hl7's accessor notation, "OBX.3.1.2" for OBX-3
(repetition 1) component 2, the HL7 standard's own numbering.

A file is read in three parts, each in its own module:
- its messages (`hl7v2_messages`): the file split into result messages and their segments,
  and the text of their fields; the only module that touches python-hl7's objects;
- its patients (`hl7v2_patients`): the identifiers of each PID, which PIDs are one patient,
  and the patient's sex and birth date;
- their results (`hl7v2_results`): each OBX with its order and notes as a `FoundLab`, and the
  lab's result statuses (corrections, preliminary results);
- here, the walk through each message's segments joins them: a PID to the orders after it, an
  OBR to its results, an NTE to the result before it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from rlsiron.errors import NOTHING
from rlsiron.io.extract import Extract
from rlsiron.io.hl7v2_messages import Segment, Unreadable, result_messages
from rlsiron.io.hl7v2_patients import PatientId, patient_ids, read_person, same_patient
from rlsiron.io.hl7v2_results import Observation, Order, notes_of, order_of, settled

if TYPE_CHECKING:
    from rlsiron.io.importer import ReadOptions

__all__ = ["PatientId", "PatientResults", "ResultFile", "read_hl7v2", "read_patients"]

_SEGMENT_ID: Final = re.compile(r"[A-Z][A-Z0-9]{2}")


# --- what the module gives ------------------------------------------------------------------------


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
    reader.read(data)
    return reader.result()


# --- the walk through a message's segments --------------------------------------------------------


@dataclass(slots=True)
class _Patient:
    ids: tuple[PatientId, ...]
    first_seen: str
    extract: Extract
    observations: list[Observation] = field(default_factory=list)


@dataclass(slots=True)
class _Walk:
    """Where the walk through one message is: the patient, order and result segments join."""

    number: int
    counts: Counter[str] = field(default_factory=Counter)
    patient: _Patient | None = None
    order: Order | None = None
    observation: Observation | None = None

    def place(self, name: str) -> str:
        self.counts[name] += 1
        return f"{name} {self.counts[name]} of message {self.number}"


class _FileReader:
    """Reads the messages of one file into its patients, one segment at a time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.unattached = Extract(file=name, format="hl7v2")
        self.patients: list[_Patient] = []
        self._readers: dict[str, Callable[[_Walk, Segment], None]] = {
            "PID": self._patient,
            "OBR": self._order,
            "OBX": self._observation,
            "NTE": self._note,
        }

    def read(self, data: bytes) -> None:
        for number, segments in result_messages(data, self.unattached):
            walk = _Walk(number)
            for segment in segments:
                self._read_segment(walk, segment)

    def result(self) -> ResultFile:
        patients = tuple(
            PatientResults(p.ids, p.first_seen, settled(p.extract, p.observations))
            for p in self.patients
        )
        return ResultFile(patients, self.unattached)

    def _read_segment(self, walk: _Walk, parsed: Segment) -> None:
        if not _SEGMENT_ID.fullmatch(parsed.name):
            self.unattached.problem(
                parsed.place,  # "segment 5 of message 1": it has no name to count it by
                "is not an HL7 segment (a segment starts with a three-letter id such as OBX)",
                parsed.text,
            )
            return
        segment = Segment(parsed.name, walk.place(parsed.name), parsed.text, parsed.raw)
        reader = self._readers.get(segment.name)
        if segment.name != "NTE":
            walk.observation = None  # a note after this segment is not about a result
        if reader is None:
            return  # ORC, PV1, SPM, Z-segments...: nothing rlsiron uses
        try:
            reader(walk, segment)
        except Unreadable as exc:
            target = walk.patient.extract if walk.patient else self.unattached
            target.problem(segment.place, exc.message, exc.received, exc.hint)

    def _patient(self, walk: _Walk, pid: Segment) -> None:
        # Nothing after a PID belongs to the patient before it, even when this one is unreadable.
        walk.patient, walk.order = None, None
        walk.patient = self._patient_for(patient_ids(pid), pid.place)
        read_person(pid, walk.patient.extract)

    def _order(self, walk: _Walk, obr: Segment) -> None:
        if walk.patient is None:
            self.unattached.problem(
                obr.place,
                "has no readable PID before it: its results belong to a patient without "
                "identifiers",
                obr.text,
                hint="a result message names its patient in a PID segment before the OBR",
            )
            walk.patient = self._patient_for((), obr.place)
        walk.order = order_of(obr)

    def _observation(self, walk: _Walk, obx: Segment) -> None:
        if walk.patient is None or walk.order is None:
            raise Unreadable(
                "comes before any OBR: it belongs to no order and is not read",
                obx.text,
                hint="results (OBX) follow the order (OBR) they answer",
            )
        walk.observation = Observation(obx, walk.order)
        walk.patient.observations.append(walk.observation)

    def _note(self, walk: _Walk, nte: Segment) -> None:
        """A note after a result is kept with it; after a PID or an OBR it has no result."""
        if walk.observation is not None:
            walk.observation.notes += notes_of(nte)

    def _patient_for(self, ids: tuple[PatientId, ...], place: str) -> _Patient:
        """The patient sharing an identifier with `ids` (see `same_patient`), or a new one."""
        for patient in self.patients:
            if same_patient(ids, patient.ids):
                return patient
        patient = _Patient(ids, place, Extract(file=self.name, format="hl7v2"))
        self.patients.append(patient)
        return patient


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
