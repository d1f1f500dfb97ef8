"""A clinic's lab feed read into per-patient results: FHIR Bulk Data NDJSON and HL7 v2 batches.

The NDJSON files are made from the real FHIR bundles in `/work/shared/data/fhir` (Synthea R4
and the SMART STU3 sample; see its PROVENANCE.md) by `bulk_export` below, the way a FHIR
server's `$export` writes them: one file per resource type (`Patient.ndjson`,
`Observation.ndjson`), one resource a line in bundle order, and each subject written as the
relative reference "Patient/<id>" (the Synthea bundles, meant for a transaction, point to
their patient by "urn:uuid:<id>"). Nothing is committed: the files are made for each test.
The HL7 v2 batches are the fixtures of tests/io/data/hl7v2 (see their PROVENANCE.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import pytest

from rlsiron.io.bulk import Feed, FeedIdentifier, FeedPatient, read_feed
from rlsiron.io.fhir import read_fhir
from rlsiron.io.importer import ReadOptions
from tests.conftest import SHARED

# python-hl7 0.4.5 calls the deprecated Logger.warn on an empty escape sequence (see test_hl7v2).
pytestmark = pytest.mark.filterwarnings("ignore:The 'warn' method is deprecated:DeprecationWarning")

FHIR: Final = SHARED / "data" / "fhir"
SYNTHEA: Final = tuple(sorted((FHIR / "synthea-r4").glob("*.json")))
SMART: Final = (
    FHIR / "smart-sample-patients" / "STU3_patient-8888803.fhir-bundle.01.json",
    FHIR / "smart-sample-patients" / "STU3_patient-8888803.fhir-bundle.json",
)
HL7: Final = Path(__file__).parent / "data" / "hl7v2"
TWO_PATIENTS: Final = HL7 / "batch_two_patients.hl7"
ONE_PATIENT_TWO_DRAWS: Final = HL7 / "batch_one_patient_two_draws.hl7"
EXPORTED: Final = ("Patient", "Observation")
_URN: Final = "urn:uuid:"


def bulk_export(bundles: Iterable[Path]) -> dict[str, bytes]:
    """The bundles' Patients and Observations as a Bulk Data export writes them: a file per
    type, named "<Type>.ndjson", one resource a line; subjects as "Patient/<id>"."""
    lines: dict[str, list[str]] = {kind: [] for kind in EXPORTED}
    for path in bundles:
        for entry in json.loads(path.read_text(encoding="utf-8"))["entry"]:
            resource = entry["resource"]
            kind = resource["resourceType"]
            if kind not in lines:
                continue
            subject = resource.get("subject")
            if subject is not None and subject["reference"].startswith(_URN):
                subject["reference"] = "Patient/" + subject["reference"].removeprefix(_URN)
            lines[kind].append(json.dumps(resource))
    return {f"{kind}.ndjson": "\n".join(found).encode() + b"\n" for kind, found in lines.items()}


def feed_of(files: dict[str, bytes]) -> Feed:
    return read_feed(list(files.items()))


def results(patient: FeedPatient) -> list[tuple[Any, ...]]:
    """A patient's results as (test, value, unit, date), in the order read."""
    return [(lab.test, lab.value, lab.unit, lab.date) for lab in patient.labs]


def _identifiers_of(bundle: Path) -> tuple[FeedIdentifier, ...]:
    (patient,) = [
        e["resource"]
        for e in json.loads(bundle.read_text(encoding="utf-8"))["entry"]
        if e["resource"]["resourceType"] == "Patient"
    ]
    return tuple(FeedIdentifier(i["system"], i["value"]) for i in patient["identifier"])


def _alone(*bundles: Path) -> list[tuple[Any, ...]]:
    """The results `rlsiron import` reads from the patient's own bundles."""
    extracts = [read_fhir(b.read_bytes(), b.name, ReadOptions()) for b in bundles]
    return [(lab.test, lab.value, lab.unit, lab.date) for e in extracts for lab in e.labs]


# ---------------------------------------------------------------- FHIR Bulk Data NDJSON


def test_an_export_of_three_patients_gives_each_their_own_results() -> None:
    files = bulk_export(SYNTHEA)
    # The Observation file first: the files of an export come in any order.
    feed = feed_of({"Observation.ndjson": files["Observation.ndjson"], **files})
    assert feed.problems == () and feed.formats == dict.fromkeys(files, "fhir")
    assert len(feed.patients) == len(SYNTHEA)
    lines = files["Observation.ndjson"].decode().splitlines()
    for patient, bundle in zip(feed.patients, SYNTHEA, strict=True):
        assert patient.identifiers == _identifiers_of(bundle)
        assert results(patient) == _alone(bundle) and patient.labs
        assert patient.problems == []
        for lab in patient.labs:  # each result names the file and the line it is on
            assert lab.origin.file == "Observation.ndjson"
            number, _, label = lab.origin.at.partition(" (Observation/")
            line = json.loads(lines[int(number.removeprefix("line ")) - 1])
            assert line["id"] == label.removesuffix(")")
        assert all(e.facts == [] for e in patient.extracts)  # results only


def test_the_smart_iron_panels_are_read_from_the_export() -> None:
    (patient,) = feed_of(bulk_export(SMART)).patients
    assert patient.identifiers == (
        FeedIdentifier("http://hospital.smarthealthit.org", "smart-8888803"),
    )
    assert results(patient) == _alone(*SMART)
    ferritin = sorted(
        (lab.date.isoformat(), lab.value) for lab in patient.labs if lab.test == "ferritin"
    )
    assert ferritin == [("2015-04-29", 4), ("2015-10-31", 9), ("2016-06-09", 11)]


def _lines(*resources: object) -> bytes:
    return b"\n".join(r if isinstance(r, bytes) else json.dumps(r).encode() for r in resources)


def _observation(ident: str, subject: str | None, **more: object) -> dict[str, object]:
    found: dict[str, object] = {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2276-4"}]},
        "effectiveDateTime": "2026-01-10",
        "valueQuantity": {"value": 30, "unit": "ug/L"},
        **more,
    }
    if subject is not None:
        found["subject"] = {"reference": subject}
    return found


def _patient(ident: str | None, *values: str) -> dict[str, object]:
    found: dict[str, object] = {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:mrn", "value": v} for v in values],
    }
    return found if ident is None else {**found, "id": ident}


def test_every_bad_line_is_a_problem_naming_its_file_and_line() -> None:
    patients = _lines(
        _patient("a", "A-1"),
        b'{"resourceType": "Patient", "id": "b"',
        _patient(None, "C-3"),
        _patient("a", "A-1"),  # the same line again: harmless, but said
    )
    observations = _lines(
        _observation("f1", "Patient/a"),
        b"not json",
        _observation("f2", "Patient/a", valueQuantity=None, valueString=None),
        b"[1, 2]",
        _observation("f3", "Patient/b"),
    )
    feed = feed_of({"Patient.ndjson": patients, "Observation.ndjson": observations})
    assert [p.location for p in feed.problems] == [
        "Patient.ndjson: line 2, column 38",
        "Patient.ndjson: line 3",
        "Patient.ndjson: line 4",
        "Observation.ndjson: line 2, column 1",
    ]
    by_subject = {p.who: p for p in feed.patients}
    anna = by_subject["A-1 (urn:mrn)"]
    assert [lab.origin.at for lab in anna.labs] == ["line 1 (Observation/f1)"]
    (unreadable,) = anna.problems  # the Observation without a value is hers, at its line
    assert unreadable.location.startswith("Observation.ndjson: line 3 (Observation/f2)")
    # A line that is no resource belongs to nobody; a patient without a Patient line has no
    # identifier, and says why.
    nobody = by_subject["no patient named (the first at Observation.ndjson: line 4)"]
    assert [p.location for p in nobody.problems] == ["Observation.ndjson: line 4"]
    unnamed = by_subject[
        "Patient/b, not named in any Patient file of the feed (Observation.ndjson: line 5)"
    ]
    assert unnamed.identifiers == () and [lab.origin.at for lab in unnamed.labs] == [
        "line 5 (Observation/f3)"
    ]


def test_a_patient_named_twice_with_other_identifiers_keeps_none() -> None:
    """Which of the two lines is right cannot be told: the results go to nobody."""
    patients = _lines(_patient("a", "A-1"), _patient("a", "B-2"))
    feed = feed_of(
        {"Patient.ndjson": patients, "Observation.ndjson": _lines(_observation("f1", "Patient/a"))}
    )
    (problem,) = feed.problems
    assert problem.location == "Patient.ndjson: line 2"
    assert problem.message == (
        "is Patient/a again with other identifiers (first at Patient.ndjson: line 1): its "
        "results are attached to nobody"
    )
    (patient,) = feed.patients
    assert patient.identifiers == () and len(patient.labs) == 1
    assert patient.who == "Patient/a, without identifiers (Patient.ndjson: line 1)"


# ---------------------------------------------------------------- HL7 v2 batches

CL: Final = "CITYLAB"


def _hl7(feed: Feed) -> list[tuple[tuple[FeedIdentifier, ...], list[tuple[str, Any, str]]]]:
    return [
        (p.identifiers, [(lab.test, lab.value, lab.origin.at) for lab in p.labs])
        for p in feed.patients
    ]


TWO: Final = [
    (
        (FeedIdentifier(CL, "CL-410022"),),
        [("ferritin", 33, "OBX 1 of message 1"), ("tsat", 16, "OBX 2 of message 1")],
    ),
    (
        (FeedIdentifier(CL, "CL-410987"),),
        [("ferritin", 180, "OBX 1 of message 2"), ("tsat", 31, "OBX 2 of message 2")],
    ),
]


def _without_batch_headers(data: bytes) -> bytes:
    segments = data.replace(b"\r\n", b"\r").split(b"\r")
    return b"\r".join(s for s in segments if not s.startswith((b"FHS", b"BHS", b"BTS", b"FTS")))


@pytest.mark.parametrize("headers", [True, False])
def test_an_hl7_batch_gives_each_patient_their_results(headers: bool) -> None:
    data = TWO_PATIENTS.read_bytes()
    feed = feed_of({"batch.hl7": data if headers else _without_batch_headers(data)})
    assert feed.problems == () and feed.formats == {"batch.hl7": "hl7v2"}
    assert _hl7(feed) == TWO
    assert all(lab.origin.file == "batch.hl7" for p in feed.patients for lab in p.labs)
    assert all(e.facts == [] for p in feed.patients for e in p.extracts)  # PID's sex dropped


def test_a_patients_messages_in_a_batch_are_one_patient_with_every_identifier() -> None:
    feed = feed_of({"nightly.hl7": ONE_PATIENT_TWO_DRAWS.read_bytes()})
    (margaret,) = feed.patients
    assert margaret.identifiers == (
        FeedIdentifier("RLH", "M3009871"),
        FeedIdentifier("NHS", "9876543210"),
    )
    assert [(lab.test, lab.value, lab.date.isoformat()) for lab in margaret.labs] == [
        ("ferritin", 42, "2025-06-03"),
        ("tsat", 19, "2025-06-03"),
        ("ferritin", 96, "2025-09-09"),
        ("tsat", 27, "2025-09-09"),
    ]


def test_files_of_both_formats_are_read_together() -> None:
    files = {**bulk_export(SMART), "batch.hl7": TWO_PATIENTS.read_bytes()}
    feed = feed_of(files)
    assert feed.formats == {
        "Patient.ndjson": "fhir",
        "Observation.ndjson": "fhir",
        "batch.hl7": "hl7v2",
    }
    assert [p.who for p in feed.patients] == [
        "CL-410022 (CITYLAB)",
        "CL-410987 (CITYLAB)",
        "smart-8888803 (http://hospital.smarthealthit.org)",
    ]


def test_a_file_a_feed_does_not_read_is_a_problem_and_the_others_are_read() -> None:
    bundle = SYNTHEA[0]
    given: Sequence[tuple[str, bytes]] = [
        ("portal.csv", b"test,value,unit,date\nferritin,30,ug/L,2026-01-10\n"),
        ("bundle.json", bundle.read_bytes()),  # a FHIR document, not NDJSON
        ("empty.hl7", b""),
        ("batch.hl7", TWO_PATIENTS.read_bytes()),
        ("batch.hl7", ONE_PATIENT_TWO_DRAWS.read_bytes()),
    ]
    feed = read_feed(given)
    assert [(p.location, p.message.split(":")[0]) for p in feed.problems] == [
        ("portal.csv", "is not a feed"),
        ("bundle.json", "is a FHIR JSON document, not NDJSON (one resource a line)"),
        ("empty.hl7", "is empty or in a format rlsiron does not read"),
        ("batch.hl7", "is the name of another file of this feed"),
    ]
    assert feed.formats == {
        "portal.csv": None,
        "bundle.json": None,
        "empty.hl7": None,
        "batch.hl7": "hl7v2",
    }
    assert _hl7(feed) == TWO
