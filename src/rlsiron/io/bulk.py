"""A clinic's lab feed: many patients' results in one upload, each patient kept apart.

Two shapes arrive from a laboratory or an EHR:

- FHIR Bulk Data NDJSON, as a `$export` writes it: one file per resource type, one
  resource a line; `Patient.ndjson` names the patients (with their identifiers) and
  `Observation.ndjson` holds their results, each pointing to its patient by
  `subject.reference` ("Patient/123"). The files may come in any order.
- HL7 v2 ORU^R01 batches: several patients' messages in one file, with or without the
  FHS/BHS batch headers.

This module decides nothing about who a patient is in the clinic. Each patient of the feed
comes with the identifiers the feed gives for them (Patient.identifier, PID-3: a system and
a value) and what the readers of `rlsiron import` read of them; the store matches the
identifiers to the clinic's linked patients. A bulk feed is many patients' worth of what
those readers read already, so they are reused as they are: HL7 v2's `read_patients`
splits a file by patient; the FHIR lines are grouped by the patient their subject names,
and each patient's lines of one file are read as a file would be (`rlsiron.io.fhir`),
keeping each line's number as its place ("line 12 (Observation/abc)"). Resources in
different files are read apart, so each result names its own file; the one reference that
crosses files, subject -> Patient, is the grouping itself.

What belongs to nobody (a line that is not JSON, a message whose header cannot be read, a
file in another format) is a problem of the feed, named by file and line. What belongs to
one patient stays with that patient, so the store can refuse that patient alone. A feed
gives results only: the facts a reader finds about a person (sex, birth date) are the
patient's own to give and are dropped here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from rlsiron.errors import NOTHING, Problem, RlsironError
from rlsiron.io.extract import Extract, FoundLab, ReadableFormat

# The FHIR reader's own steps, reused rather than copied: its NDJSON line splitter (each
# line's number kept, a line that is not JSON reported where it is) and its reading of
# resources already split into (place, resource) pairs.
from rlsiron.io.fhir import is_ndjson, ndjson_lines, read_items
from rlsiron.io.fhir_fields import mapping, mappings, reference, reference_key, text
from rlsiron.io.hl7v2 import read_patients
from rlsiron.io.importer import readable_format

__all__ = ["FEED_FORMATS", "Feed", "FeedIdentifier", "FeedPatient", "read_feed"]

FEED_FORMATS: Final[tuple[ReadableFormat, ...]] = ("fhir", "hl7v2")
_PATIENT: Final = "Patient"
_FEED_WORDS: Final = "a lab feed reads FHIR Bulk Data NDJSON and HL7 v2 result (ORU) files"
_OTHER_FORMAT_HINT: Final = "upload one person's file to that person's own record instead"


@dataclass(frozen=True, slots=True)
class FeedIdentifier:
    """An identifier of a patient as the feed gives it: Patient.identifier's system and
    value, or PID-3's assigning authority and number ("" when the feed names none)."""

    system: str
    value: str

    def __str__(self) -> str:
        return f"{self.value} ({self.system})" if self.system else self.value


@dataclass(frozen=True, slots=True)
class FeedPatient:
    """One patient as the feed names them, and what was read of them, one Extract per file.

    `who` is how a person reading the report recognises them: their identifiers, or why
    there are none ("Patient/abc, not named in any Patient file of the feed").
    """

    identifiers: tuple[FeedIdentifier, ...]
    who: str
    extracts: tuple[Extract, ...]

    @property
    def labs(self) -> list[FoundLab]:
        return [lab for extract in self.extracts for lab in extract.labs]

    @property
    def problems(self) -> list[Problem]:
        return [problem for extract in self.extracts for problem in extract.problems]


@dataclass(frozen=True)
class Feed:
    """The patients of all the files of one upload, and the problems that are nobody's."""

    patients: tuple[FeedPatient, ...]
    problems: tuple[Problem, ...]
    formats: Mapping[str, ReadableFormat | None]  # each file, None when it was not read


def read_feed(files: Sequence[tuple[str, bytes]]) -> Feed:
    """Every file (name, content) read; never raises for what the files hold."""
    problems: list[Problem] = []
    formats: dict[str, ReadableFormat | None] = {}
    patients: list[FeedPatient] = []
    fhir_files: list[tuple[str, bytes]] = []
    for name, data in files:
        if name in formats:
            problems.append(
                Problem(name, "is the name of another file of this feed", hint="rename one")
            )
            continue
        formats[name] = _feed_format(name, data, problems)
        if formats[name] == "hl7v2":
            patients += _hl7v2_patients(name, data, problems)
        elif formats[name] == "fhir":
            fhir_files.append((name, data))
    patients += _fhir_patients(fhir_files, problems)
    return Feed(tuple(patients), tuple(problems), formats)


def _feed_format(name: str, data: bytes, problems: list[Problem]) -> ReadableFormat | None:
    """The file's format when a feed reads it; else None after a problem at the file."""
    try:
        found = readable_format(data, name)
    except RlsironError as exc:
        problems += [p.at(name) for p in exc.problems]
        return None
    if found not in FEED_FORMATS:
        problems.append(Problem(name, f"is not a feed: {_FEED_WORDS}", hint=_OTHER_FORMAT_HINT))
        return None
    # A one-line file is NDJSON too (a feed of one resource); a pretty-printed JSON
    # document would otherwise be one "not valid JSON" problem per line.
    if found == "fhir" and not (is_ndjson(data) or b"\n" not in data.strip()):
        problems.append(
            Problem(
                name,
                "is a FHIR JSON document, not NDJSON (one resource a line)",
                hint="export the results with FHIR Bulk Data ($export), or upload the "
                "document to one person's own record",
            )
        )
        return None
    return found


def _results_only(extract: Extract) -> Extract:
    """The extract without the facts about the person: a feed stores results only."""
    extract.facts.clear()
    return extract


# --- HL7 v2: the reader splits a file by patient already ------------------------------------------


def _hl7v2_patients(name: str, data: bytes, problems: list[Problem]) -> list[FeedPatient]:
    found = read_patients(data, name)
    problems += found.unattached.problems
    patients: list[FeedPatient] = []
    for patient in found.patients:
        ids = tuple(dict.fromkeys(FeedIdentifier(i.authority, i.number) for i in patient.ids))
        who = _listed(ids) or f"a patient without identifiers ({name}: {patient.first_seen})"
        patients.append(FeedPatient(ids, who, (_results_only(patient.extract),)))
    return patients


# --- FHIR NDJSON: lines grouped by the patient their subject names --------------------------------


@dataclass(frozen=True, slots=True)
class _Named:
    """A Patient line: the identifiers it gives, and where it is."""

    identifiers: tuple[FeedIdentifier, ...]
    place: str


Lines = list[tuple[str, object]]  # ("line 12", the parsed resource), in file order


def _fhir_patients(
    files: Sequence[tuple[str, bytes]], problems: list[Problem]
) -> list[FeedPatient]:
    """The patients the resources' subjects name, each read file by file.

    Lines whose resource names no patient (no subject, a Group) are grouped under None or
    their subject, and read like the others: their results are listed, never attached.
    """
    named: dict[str, _Named] = {}
    groups: dict[str | None, dict[str, Lines]] = {}
    for name, data in files:
        extract = Extract(file=name, format="fhir")
        for place, item in ndjson_lines(data, extract):
            resource = mapping(item) or {}
            if resource.get("resourceType") == _PATIENT:
                _name_patient(resource, place, named, extract)
            else:
                subject = reference(resource.get("subject"))
                key = None if subject is None else reference_key(subject)
                groups.setdefault(key, {}).setdefault(name, []).append((place, item))
        problems += extract.problems
    return [
        _fhir_patient(key, by_file, None if key is None else named.get(key))
        for key, by_file in groups.items()
    ]


def _name_patient(
    patient: Mapping[str, object], place: str, named: dict[str, _Named], extract: Extract
) -> None:
    """The Patient line's identifiers, under the key its resources' subjects use. A second
    line for the same id is a problem; if it gives other identifiers, nobody can tell which
    are right, and the patient keeps none (their results are attached to nobody)."""
    ident = text(patient.get("id"))
    if ident is None:
        extract.problem(place, "is a Patient without an id: no result can name it", NOTHING)
        return
    key = f"{_PATIENT}/{ident}"
    given = (
        FeedIdentifier(text(i.get("system")) or "", value)
        for i in mappings(patient.get("identifier"))
        if (value := text(i.get("value"))) is not None
    )
    identifiers = tuple(dict.fromkeys(given))
    first = named.get(key)
    if first is None:
        named[key] = _Named(identifiers, f"{extract.file}: {place}")
        return
    if first.identifiers == identifiers:
        extract.problem(place, f"is {key} again (first at {first.place})", ident)
        return
    message = (
        f"is {key} again with other identifiers (first at {first.place}): its results "
        "are attached to nobody"
    )
    extract.problem(place, message, ident)
    named[key] = _Named((), first.place)


def _fhir_patient(
    key: str | None, by_file: Mapping[str, Lines], named: _Named | None
) -> FeedPatient:
    extracts = []
    for name, lines in by_file.items():
        extract = Extract(file=name, format="fhir")
        read_items(lines, extract, key)
        extracts.append(_results_only(extract))
    if named is not None:
        who = _listed(named.identifiers) or f"{key}, without identifiers ({named.place})"
        return FeedPatient(named.identifiers, who, tuple(extracts))
    first_file, first_lines = next(iter(by_file.items()))
    where = f"{first_file}: {first_lines[0][0]}"
    who = (
        f"{key}, not named in any Patient file of the feed ({where})"
        if key is not None
        else f"no patient named (the first at {where})"
    )
    return FeedPatient((), who, tuple(extracts))


def _listed(identifiers: Sequence[FeedIdentifier]) -> str:
    return ", ".join(str(i) for i in identifiers)
