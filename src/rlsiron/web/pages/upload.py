"""Upload: a file read and previewed (`read_upload`, the API's own path), then stored in one
transaction only when the person accepts it (`store.accept_import`, as the API's accept).

The previewed file travels to the accept step in the page itself: the whole preview as
compressed JSON in a hidden field, sealed with an HMAC under the app's key and the session's
token. The server keeps nothing between the two steps (a discarded preview leaves nothing
behind, and no migration or clean-up is needed), and the seal means that what is accepted
is exactly what this session previewed: a changed or borrowed preview is refused, and the
store checks every row again anyway. The field must fit Starlette's form limit; a preview
too large for it says so instead of offering an accept that would fail.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, UploadFile, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.formparsers import MultiPartParser

from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.errors import Problem, RlsironError
from rlsiron.io.importer import ReadOptions
from rlsiron.store import KEPT_FACTS, accept_import
from rlsiron.web.api.uploads import FileTooLargeError, UploadPreview, read_upload
from rlsiron.web.deps import StateDep, Today
from rlsiron.web.pages.forms import FieldErrors, FormText, by_last_name
from rlsiron.web.pages.session import PagePerson
from rlsiron.web.pages.templating import page

router = APIRouter()

# The file picker's suggestion only: the format is read from the content (io.detect).
ACCEPT: Final = (
    ".json,.ndjson,.hl7,.csv,.tsv,.txt,.xlsx,.pdf,application/json,application/fhir+json,"
    "text/csv,text/tab-separated-values,text/plain,application/pdf,"
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)
FORMAT_WORDS: Final = {
    "fhir": "FHIR (JSON)",
    "hl7v2": "HL7 version 2 messages",
    "table": "a table (CSV, TSV or XLSX)",
    "pdf": "a lab report (PDF)",
    "text": "a lab report (text)",
}
FACT_WORDS: Final = {
    "person.sex": "Sex",
    "person.birth_date": "Date of birth",
    "person.kidney": "Kidneys",
    "person.pregnancy_weeks": "Pregnancy (weeks)",
    "person.age_years": "Age (years)",
    "rls.irls_total": "IRLS total score",
}
_COUNTED: Final = ("labs", "medicines", "conditions", "already_stored")  # AcceptedImport's
_UPLOAD_FIELDS: Final = by_last_name(("file", "date_format", "patient"))
_USE_FACTS: Final = "use_facts"
_FACT_LOCATIONS: Final = frozenset({"person", *(f"person.{key}" for key in KEPT_FACTS)})
_STORABLE: Final = frozenset({"new", "same", "contradicts", "invalid"})  # kept facts' statuses
_MEBIBYTE: Final = 1024 * 1024
_SEAL: Final = b"upload-preview\n"  # apart from the CSRF token's HMAC of the same key
# What one form field may hold (Request.form's limit, which PagePerson's CSRF check uses).
_LARGEST_FIELD: Final = MultiPartParser.max_part_size
_NO_FILE: Final = Problem("file", "choose a file to upload")
_NOT_SEALED: Final = Problem(
    "file",
    "the preview could not be checked (it was changed, or made in another sign-in)",
    hint="upload the file again",
)


# ---------------------------------------------------------------- the preview in the page


def seal_of(key: bytes, session_token: str, packed: str) -> str:
    """The HMAC that binds a packed preview to one session (and to this app's key)."""
    message = _SEAL + session_token.encode("utf-8") + b"\n" + packed.encode("ascii")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def pack(preview: UploadPreview) -> str:
    """The preview as the hidden field carries it: JSON, compressed (a preview of many
    results is mostly repeated keys), in URL-safe base64 (a form sends it unescaped)."""
    compressed = zlib.compress(preview.model_dump_json().encode("utf-8"))
    return base64.urlsafe_b64encode(compressed).decode("ascii")


def _unpacked(key: bytes, session_token: str, packed: str, seal: str) -> UploadPreview | None:
    """The preview this session was shown, or None when the seal does not match."""
    if not packed.isascii() or not hmac.compare_digest(seal_of(key, session_token, packed), seal):
        return None
    try:  # sealed by this app: only a change of the app's own format could fail here
        return UploadPreview.model_validate_json(zlib.decompress(base64.urlsafe_b64decode(packed)))
    except (binascii.Error, zlib.error, ValidationError):
        return None


# ---------------------------------------------------------------- what the preview shows


def _value(value: object) -> str:
    if isinstance(value, Mapping):  # {"value": 5, "comparator": "<"}
        return f"{value.get('comparator') or ''}{value.get('value')}"
    return str(value)


def _range(given: object) -> str:
    if not isinstance(given, Mapping):
        return "" if given is None else str(given)
    low, high = given.get("low"), given.get("high")
    if low is not None and high is not None:
        return f"{low}–{high}"
    return f">{low}" if low is not None else f"<{high}"


def _where(origin: Mapping[str, Any]) -> str:
    parts = [str(origin.get("at"))]
    if origin.get("text"):
        parts.append(f"“{origin['text']}”")
    if origin.get("note"):
        parts.append(f"({origin['note']})")
    return " ".join(parts)


def _results(document: Mapping[str, Any]) -> list[dict[str, str]]:
    """Each result as the file printed it, and where in the file it was read."""
    provenance: Mapping[str, Sequence[Mapping[str, Any]]] = document.get("provenance") or {}
    rows = []
    for index, lab in enumerate(document.get("labs") or ()):
        analyte = ANALYTES.get(lab["test"])
        rows.append(
            {
                "test": analyte.display if analyte else lab["test"],
                "value": _value(lab["value"]),
                "unit": lab.get("unit") or "",
                "date": lab["date"],
                "range": _range(lab.get("reference_range")),
                "flag": lab.get("flag") or "",
                "where": "; ".join(_where(o) for o in provenance.get(f"labs[{index}]", ())),
            }
        )
    return rows


def _listed(preview: UploadPreview) -> tuple[list[str], list[str]]:
    """The conditions and the medicines the file lists."""
    person = preview.document.get("person") or {}
    return list(person.get("conditions") or ()), list(preview.document.get("medications") or ())


def _described(problems: Iterable[Problem]) -> list[Problem]:
    """Each problem saying what it is about, for a page that shows no field for it."""
    return [
        dataclasses.replace(p, message=f"{FACT_WORDS.get(p.location, p.location)}: {p.message}")
        if p.location
        else p
        for p in problems
    ]


def _preview_page(
    request: Request,
    me: PagePerson,
    key: bytes,
    preview: UploadPreview,
    *,
    use_facts: bool = False,
    errors: FieldErrors | None = None,
) -> HTMLResponse:
    conditions, medicines = _listed(preview)
    packed = pack(preview)
    kept_facts = [c for c in preview.facts if c.status in _STORABLE]
    context = {
        "title": "Check the upload",
        "preview": preview,
        "format": FORMAT_WORDS[preview.format],
        "results": _results(preview.document),
        "skipped_total": sum(preview.skipped.values()),
        "fact_words": FACT_WORDS,
        "kept_facts": kept_facts,
        "conditions": conditions,
        "medicines": medicines,
        "storable": bool(preview.document.get("labs") or conditions or medicines or kept_facts),
        "carried": len(packed) <= _LARGEST_FIELD,
        "packed": packed,
        "seal": seal_of(key, me.session_token, packed),
        "use_facts": use_facts,
        "errors": errors or FieldErrors(),
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK
    return page(request, "upload_preview.html.j2", context, csrf=me.csrf_token, status_code=code)


# ---------------------------------------------------------------- the routes


def size_words(most: int) -> str:
    """The upload limit in the unit a person reads it in."""
    mebibytes = most / _MEBIBYTE
    return f"{mebibytes:g} MiB" if mebibytes >= 1 else f"{most:,} bytes"


def _upload_page(
    request: Request,
    me: PagePerson,
    state: StateDep,
    *,
    given: Mapping[str, str] | None = None,
    errors: FieldErrors | None = None,
    stored: Mapping[str, int] | None = None,
    facts_used: bool = False,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    context = {
        "title": "Upload",
        "accept": ACCEPT,
        "formats": FORMAT_WORDS.values(),
        "most": size_words(state.settings.max_upload_bytes),
        "given": {"date_format": "", "patient": "", **(given or {})},
        "errors": errors or FieldErrors(),
        "stored": stored,
        "facts_used": facts_used,
    }
    return page(request, "upload.html.j2", context, csrf=me.csrf_token, status_code=status_code)


@router.get("/upload", response_class=HTMLResponse)
def upload(
    request: Request,
    me: PagePerson,
    state: StateDep,
    labs: Annotated[int | None, Query(ge=0)] = None,
    medicines: Annotated[int, Query(ge=0)] = 0,
    conditions: Annotated[int, Query(ge=0)] = 0,
    already_stored: Annotated[int, Query(ge=0)] = 0,
    facts: bool = False,
) -> HTMLResponse:
    """The form; after an accepted upload (`labs` given), what was stored."""
    stored = None
    if labs is not None:
        stored = dict(zip(_COUNTED, (labs, medicines, conditions, already_stored), strict=True))
    return _upload_page(request, me, state, stored=stored, facts_used=facts)


@router.post("/upload", response_class=HTMLResponse)
async def preview(
    request: Request,
    me: PagePerson,
    state: StateDep,
    today: Today,
    file: UploadFile | None = None,
    date_format: FormText = "",
    patient: FormText = "",
) -> Response:
    """The file read and shown; nothing stored."""
    given = {"date_format": date_format, "patient": patient}
    options = ReadOptions(date_format=date_format.strip() or None, patient=patient.strip() or None)
    code = status.HTTP_422_UNPROCESSABLE_CONTENT
    try:
        if file is None or not file.filename:
            raise RlsironError(problems=(_NO_FILE,))
        shown = await read_upload(
            file,
            most=state.settings.max_upload_bytes,
            options=options,
            db=state.db,
            person_id=me.person_id,
            today=today,
        )
    except RlsironError as exc:
        if isinstance(exc, FileTooLargeError):
            code = status.HTTP_413_CONTENT_TOO_LARGE
        errors = FieldErrors.of(exc.problems, _UPLOAD_FIELDS)
        return _upload_page(request, me, state, given=given, errors=errors, status_code=code)
    return _preview_page(request, me, state.key, shown)


@router.post("/upload/accept", response_class=HTMLResponse)
def accept(
    request: Request,
    me: PagePerson,
    state: StateDep,
    today: Today,
    preview: Annotated[str, Form()] = "",
    seal: Annotated[str, Form(max_length=hashlib.sha256().digest_size * 2)] = "",
    use_facts: Annotated[bool, Form()] = False,
) -> Response:
    """The previewed file stored in one transaction; its problems shown on the preview."""
    shown = _unpacked(state.key, me.session_token, preview, seal)
    if shown is None:
        errors = FieldErrors.of((_NOT_SEALED,), _UPLOAD_FIELDS)
        code = status.HTTP_422_UNPROCESSABLE_CONTENT
        return _upload_page(request, me, state, errors=errors, status_code=code)
    try:
        stored = accept_import(
            state.db, me.person_id, shown.document, use_facts=use_facts, today=today
        )
    except RlsironError as exc:
        errors = FieldErrors.of(_described(exc.problems), _at_facts)
        return _preview_page(request, me, state.key, shown, use_facts=use_facts, errors=errors)
    # What was stored, counted on the page the person comes back to (POST-redirect-GET).
    counts = {name: len(getattr(stored, name)) for name in _COUNTED}
    facts = {"facts": "true"} if stored.facts is not None else {}
    return RedirectResponse(f"/upload?{urlencode(counts | facts)}", status.HTTP_303_SEE_OTHER)


def _at_facts(location: str) -> str | None:
    """The facts' tick box for a problem of the file's facts; the summary for the rest."""
    return _USE_FACTS if location in _FACT_LOCATIONS else None
