"""FHIR JSON -> results and facts, for `rlsiron import` and the CDS Hooks service.

Reads a Bundle of any type (nested ones too: a batch-response holds searchsets), a single
resource, a JSON array of resources, or NDJSON (one resource a line), in FHIR R4 or STU3.

Strict and lenient reading are one path. Every entry is read from the plain JSON by one
extraction (fhir_observations.py for results, fhir_person.py for the rest) that knows both
versions' shapes of the fields it uses, so a file that fails strict validation is read the
same way as one that passes: real exports fail it for things no result depends on (the
SMART STU3 samples for an extension holding a list, others for a missing narrative or time
zone), and refusing a ferritin for that would help no one. What the extraction cannot read
is a problem naming the entry ("entry 12 (Observation/abc)") and the rest of the file is
read. Strict validation - fhir.resources' R4B models for R4 (never the R5 default), its
STU3 models for STU3 - runs on exactly those entries (fhir_context.py), to add FHIR's own
account of what is wrong there. A valid file is therefore never validated at all: on an
entry that was read, validation could change nothing, and it would cost as much again as
reading (the import benchmark's floor is json.loads + validation).

Whose results these are is settled before anything is read: a file with several patients
gives nothing unless `ReadOptions.patient` names one, and resources about another subject
than the patient read are counted as skipped, never attached to the wrong person.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from rlsiron.errors import NOTHING
from rlsiron.io.extract import Extract
from rlsiron.io.fhir_context import Context, Entry, Version
from rlsiron.io.fhir_fields import (
    Resource,
    clip,
    concept_text,
    mapping,
    mappings,
    reference,
    reference_key,
    text,
)
from rlsiron.io.fhir_observations import read_observation
from rlsiron.io.fhir_person import (
    read_condition,
    read_medication,
    read_patient,
    read_questionnaire_response,
    settle,
)

if TYPE_CHECKING:
    from rlsiron.io.importer import ReadOptions

# A batch-response holds searchset Bundles; deeper nesting is not an export's shape.
_NESTED_BUNDLES: Final = 2
_FORMS: Final = "one FHIR JSON resource, a JSON array of resources, or NDJSON (one per line)"
_ACCEPTED: Final = (
    "a Bundle, or Patient, Observation, DiagnosticReport, Condition, MedicationStatement, "
    "MedicationRequest or QuestionnaireResponse resources"
)
# Fields of STU3 resources that R4 renamed or dropped: the fhir.resources STU3 models'
# fields that its R4B models lack (a test compares). One is enough to call a file STU3.
STU3_ONLY: Final[Mapping[str, frozenset[str]]] = {
    "Observation": frozenset({"comment", "context", "related", "valueAttachment"}),
    "DiagnosticReport": frozenset({"codedDiagnosis", "context", "image"}),
    "Condition": frozenset({"abatementBoolean", "assertedDate", "context"}),
    "MedicationRequest": frozenset({"context", "definition"}),
    "MedicationStatement": frozenset({"reasonNotTaken", "taken"}),
    "QuestionnaireResponse": frozenset({"context", "parent"}),
    "Patient": frozenset({"animal"}),
    "Medication": frozenset({"image", "isBrand", "isOverTheCounter", "package"}),
}
_STU3_PROFILE: Final = re.compile(r"\|3\.0|/stu3/", re.IGNORECASE)

Reader = Callable[[Context, Entry], None]
READERS: Final[Mapping[str, Reader]] = {
    "Patient": read_patient,
    "Observation": read_observation,
    "Condition": read_condition,
    "MedicationStatement": read_medication,
    "MedicationRequest": read_medication,
    "QuestionnaireResponse": read_questionnaire_response,
}
# Read through the references of the others, so neither read on their own nor counted.
SUPPORTING: Final = frozenset({"DiagnosticReport", "Specimen", "Medication"})


def read_fhir(data: bytes, name: str, options: ReadOptions) -> Extract:
    """A FHIR JSON or NDJSON file: every entry read, each bad one reported by its place."""
    extract = Extract(file=name, format="fhir")
    items = _items(data, extract)
    if items is None:
        extract.format = None
        return extract
    if len(items) == 1 and not items[0][0] and not _readable_alone(items[0][1], extract):
        return extract
    read_items(items, extract, options.patient)
    return extract


def read_fhir_resources(
    resources: Iterable[Mapping[str, Any]], name: str, *, patient: str | None = None
) -> Extract:
    """Resources a caller already holds (a CDS Hooks prefetch), read as one file is."""
    extract = Extract(file=name, format="fhir")
    read_items([(f"resource {i}", r) for i, r in enumerate(resources)], extract, patient)
    return extract


# --- the file's JSON ------------------------------------------------------------------------


def _items(data: bytes, extract: Extract) -> list[tuple[str, object]] | None:
    """The top-level items and their places: one resource (""), an array's, NDJSON lines'.

    None when the file is not JSON at all (one problem says where it breaks).
    """
    if is_ndjson(data):
        return ndjson_lines(data, extract)
    document = _json(data, extract, "")
    if document is NOTHING:
        return None
    if isinstance(document, list):
        return [(f"item {i}", item) for i, item in enumerate(document)]
    return [("", document)]


def is_ndjson(data: bytes) -> bool:
    """A first line that is a whole JSON object, and more lines after it."""
    body = data.removeprefix(codecs.BOM_UTF8).lstrip()
    first, _, rest = body.partition(b"\n")
    first = first.strip()
    return first.startswith(b"{") and first.endswith(b"}") and bool(rest.strip())


def ndjson_lines(data: bytes, extract: Extract) -> list[tuple[str, object]]:
    items: list[tuple[str, object]] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.strip():
            parsed = _json(line, extract, f"line {number}")
            if parsed is not NOTHING:
                items.append((f"line {number}", parsed))
    return items


def _json(data: bytes, extract: Extract, line: str) -> object:
    """Parsed JSON, or NOTHING after a problem naming the line and column."""
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        at = f"{line or f'line {exc.lineno}'}, column {exc.colno}"
        hint = None if line else f"expected {_FORMS}"
        extract.problem(at, f"is not valid JSON: {exc.msg}", NOTHING, hint=hint)
    except UnicodeDecodeError as exc:
        extract.problem(line or f"byte {exc.start}", "is not UTF-8 text", NOTHING)
    except RecursionError:
        extract.problem(line or "top level", "is nested too deeply to be read", NOTHING)
    return NOTHING


def _readable_alone(item: object, extract: Extract) -> bool:
    """Whether a file's only resource is one that gives something; if not, a problem."""
    resource = mapping(item)
    kind = resource.get("resourceType") if resource is not None else None
    if not isinstance(kind, str) or kind in READERS or kind in ("Bundle", "DiagnosticReport"):
        return True  # not a resource at all: reported where it is read
    message = f"is a {clip(kind)}, not a resource rlsiron reads"
    if kind == "OperationOutcome" and resource is not None:
        issues = mappings(resource.get("issue"))
        said = [concept_text(i.get("details")) or text(i.get("diagnostics")) for i in issues]
        message = "is an OperationOutcome, a server's report of an error: " + (
            "; ".join(filter(None, said)) or "it gives no detail"
        )
    extract.problem("top level", message, kind, hint=f"accepted: {_ACCEPTED}")
    return False


# --- entries ---------------------------------------------------------------------------------


def _entries(items: Iterable[tuple[str, object]], extract: Extract) -> list[Entry]:
    found: list[Entry] = []
    for place, item in items:
        _collect(item, place, None, 0, found, extract)
    return found


def _collect(
    item: object, prefix: str, full_url: str | None, depth: int, into: list[Entry], extract: Extract
) -> None:
    """The resources of one item, Bundles opened; `prefix` is its place ("entry 3")."""
    at = prefix or "top level"
    resource = mapping(item)
    if resource is None:
        extract.problem(at, "is not a FHIR resource (a JSON object)", _kind(item))
        return
    kind = resource.get("resourceType")
    if not isinstance(kind, str) or not kind.strip():
        received = NOTHING if kind is None else kind
        extract.problem(at, "has no resourceType: not a FHIR resource", received)
        return
    if kind != "Bundle":
        into.append(Entry(_label(prefix, resource, kind), resource, full_url))
        return
    entries = resource.get("entry", [])
    if depth > _NESTED_BUNDLES or not isinstance(entries, list):
        extract.problem(at, "is a Bundle rlsiron cannot open", NOTHING)
        return
    for index, entry in enumerate(entries):
        place = f"{prefix}, entry {index}" if prefix else f"entry {index}"
        holder = mapping(entry)
        if holder is None:
            extract.problem(place, "is not a Bundle entry (a JSON object)", _kind(entry))
        elif holder.get("resource") is not None:  # a response or a delete has none
            url = text(holder.get("fullUrl"))
            _collect(holder["resource"], place, url, depth + 1, into, extract)


def _label(prefix: str, resource: Resource, kind: str) -> str:
    ident = text(resource.get("id"))
    named = f"{clip(kind)}/{clip(ident)}" if ident else clip(kind)
    return f"{prefix} ({named})" if prefix else named


def _kind(item: object) -> str:
    return "a list" if isinstance(item, list) else type(item).__name__


def _version(entries: Iterable[Entry]) -> Version:
    return "STU3" if any(_looks_stu3(e.resource) for e in entries) else "R4"


def _looks_stu3(resource: Resource) -> bool:
    kind = resource["resourceType"]
    if not STU3_ONLY.get(kind, frozenset()).isdisjoint(resource):
        return True
    if kind == "Condition" and isinstance(resource.get("clinicalStatus"), str):
        return True  # a code in STU3, a CodeableConcept in R4
    profiles = (mapping(resource.get("meta")) or {}).get("profile")
    return isinstance(profiles, list) and any(
        isinstance(p, str) and _STU3_PROFILE.search(p) for p in profiles
    )


# --- reading ---------------------------------------------------------------------------------


def read_items(items: Iterable[tuple[str, object]], extract: Extract, wanted: str | None) -> None:
    entries = _entries(items, extract)
    index: dict[str, Resource] = {}
    for entry in entries:
        kind, ident = entry.resource["resourceType"], text(entry.resource.get("id"))
        for key in (entry.full_url, f"{kind}/{ident}" if ident else None):
            if key is not None:
                index.setdefault(key, entry.resource)
                index.setdefault(reference_key(key), entry.resource)
    ctx = Context(extract, _version(entries), index, parents={})
    person = _person(entries, ctx, wanted)
    if person is None:
        return
    members = _members(ctx, person, entries)
    for entry in [*entries, *members]:
        kind = entry.resource["resourceType"]
        reader = READERS.get(kind)
        if reader is None:
            if kind not in SUPPORTING:
                extract.skipped[clip(kind)] += 1
        elif not person.owns(entry):
            extract.skipped[f"{kind} of another patient"] += 1
        else:
            reader(ctx, entry)
    settle(ctx)


def _members(ctx: Context, person: _Person, entries: list[Entry]) -> list[Entry]:
    """Results of reports and panels: each member's draw date comes from its report or
    panel when it has none of its own; contained members are entries of their own."""
    contained: list[Entry] = []
    for entry in entries:
        holder = entry.resource
        kind = holder["resourceType"]
        if kind not in ("DiagnosticReport", "Observation") or not person.owns(entry):
            continue
        for ref in mappings(holder.get("result" if kind == "DiagnosticReport" else "hasMember")):
            member = ctx.resolve(ref, holder)
            if member is None or member.get("resourceType") != "Observation":
                continue
            if id(member) not in ctx.parents and (reference(ref) or "").startswith("#"):
                place = f"{entry.place}, contained {_label('', member, 'Observation')}"
                contained.append(Entry(place, member))
            ctx.parents.setdefault(id(member), holder)
    return contained


@dataclass(frozen=True)
class _Person:
    """The patient read, by the key that resources' subjects point to (None: unsaid)."""

    key: str | None
    patients: Mapping[int, str]  # id(Patient resource) -> its key
    index: Mapping[str, Resource]

    def subject(self, resource: Resource) -> str | None:
        """Whom a resource is about: a Patient's key, "Group/x", or None when unsaid."""
        ref = reference(resource.get("subject"))
        if ref is None:
            return None
        target = self.index.get(ref) or self.index.get(reference_key(ref))
        if target is not None and id(target) in self.patients:
            return self.patients[id(target)]
        return reference_key(ref).removeprefix("Patient/")

    def owns(self, entry: Entry) -> bool:
        if entry.resource["resourceType"] == "Patient":
            return self.patients.get(id(entry.resource)) == self.key
        subject = self.subject(entry.resource)
        return subject is None or subject == self.key


def _person(entries: list[Entry], ctx: Context, wanted: str | None) -> _Person | None:
    """The one patient to read; None (after a problem) when that cannot be told."""
    patients = {
        id(e.resource): text(e.resource.get("id")) or e.full_url or e.place
        for e in entries
        if e.resource["resourceType"] == "Patient"
    }
    unsaid = _Person(None, patients, ctx.index)
    candidates = list(dict.fromkeys(patients.values()))
    if not candidates:  # no Patient resource: the patients the others point to
        subjects = (unsaid.subject(e.resource) for e in entries)
        candidates = list(dict.fromkeys(s for s in subjects if s and "/" not in s))
    chosen = wanted.strip().removeprefix("Patient/") if wanted else None
    listed = ", ".join(clip(c) for c in candidates)
    if chosen is not None and candidates and chosen not in candidates:
        message = f"holds no patient {clip(chosen)!r}; it holds {listed}"
        ctx.extract.problem("patients", message, chosen, hint="check --patient")
        return None
    if chosen is None and len(candidates) > 1:
        message = (
            f"holds {len(candidates)} patients ({listed}): nothing was read, so that "
            "no result is attached to the wrong person"
        )
        ctx.extract.problem("patients", message, NOTHING, hint="choose one with --patient ID")
        return None
    return _Person(chosen or next(iter(candidates), None), patients, ctx.index)
