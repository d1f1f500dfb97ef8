"""The clinic's lab feed page, `/clinic/{organisation_id}/feed`: a form for the lab's files
and, after they are sent, the report of what the feed did (`api.feed.import_feed`, the
API's own path: read, matched by identifier, stored patient by patient).

The report is the answer to the POST that stored the results, not a redirect: it lists
every result that matched nobody and every problem, more than an address could carry, and
nothing keeps it on the server. Sending the same files again (a reload) stores nothing
twice: what a patient has stored already is skipped and counted as such. A clinic the
account is not a member of is 404, as in the API; a problem with the files themselves
(none chosen, too large, none a feed reads) is shown at the file field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Annotated, Final

from fastapi import APIRouter, File, Request, UploadFile, status
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as SentFile

from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.errors import Problem, RlsironError
from rlsiron.store.clinic import ClinicMembership, membership
from rlsiron.web.api.feed import FILES, FeedReport, feed_files, import_feed, staff_of
from rlsiron.web.api.uploads import FileTooLargeError
from rlsiron.web.deps import AppState, SignedIn, StateDep, Today
from rlsiron.web.pages.forms import FieldErrors, by_last_name
from rlsiron.web.pages.session import PagePerson
from rlsiron.web.pages.templating import page

# The size as the upload page says it ("16 MiB"), one way for both pages.
from rlsiron.web.pages.upload import FORMAT_WORDS, size_words

router = APIRouter()
FEED: Final = "/clinic/{organisation_id}/feed"
# The file picker's suggestion only: the format is read from the content (io.detect).
ACCEPT: Final = ".ndjson,.jsonl,.json,.hl7,.txt,application/fhir+ndjson,application/x-ndjson"
_NO_FILE: Final = Problem(FILES, "choose one or more files from the lab")


def _feed_page(
    request: Request,
    me: SignedIn,
    state: AppState,
    clinic: ClinicMembership,
    *,
    report: FeedReport | None = None,
    errors: FieldErrors | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    context = {
        "title": f"Lab feed: {clinic.organisation}",
        "clinic": clinic,
        "action": FEED.format(organisation_id=clinic.organisation_id),
        "accept": ACCEPT,
        "most": size_words(state.settings.max_upload_bytes),
        "report": report,
        "tests": {key: analyte.display for key, analyte in ANALYTES.items()},
        "format_words": FORMAT_WORDS,
        "errors": errors or FieldErrors(),
    }
    return page(request, "feed.html.j2", context, csrf=me.csrf_token, status_code=status_code)


@router.get(FEED, response_class=HTMLResponse)
def feed_form(
    organisation_id: int, request: Request, me: PagePerson, state: StateDep
) -> HTMLResponse:
    """The form for the lab's files; members of the clinic only."""
    clinic = membership(state.db, organisation_id, me.person_id)
    return _feed_page(request, me, state, clinic)


@router.post(FEED, response_class=HTMLResponse)
async def feed_sent(
    organisation_id: int,
    request: Request,
    me: PagePerson,
    state: StateDep,
    today: Today,
    files: Annotated[list[UploadFile | str] | None, File()] = None,
) -> HTMLResponse:
    """The files read, matched and stored; the report, or the problem at the file field."""
    clinic = membership(state.db, organisation_id, me.person_id)
    code = status.HTTP_422_UNPROCESSABLE_CONTENT
    try:
        given = await _chosen(files or (), most=state.settings.max_upload_bytes)
        staff = staff_of(me, organisation_id, state, request)
        report = await run_in_threadpool(import_feed, state.db, staff, given, today=today)
    except RlsironError as exc:
        if isinstance(exc, FileTooLargeError):
            code = status.HTTP_413_CONTENT_TOO_LARGE
        errors = FieldErrors.of([_at_files(p) for p in exc.problems], by_last_name([FILES]))
        return _feed_page(request, me, state, clinic, errors=errors, status_code=code)
    return _feed_page(request, me, state, clinic, report=report)


async def _chosen(parts: Sequence[SentFile | str], *, most: int) -> list[tuple[str, bytes]]:
    """The files chosen in the form, read. An empty file input is sent as a part without a
    file name (a text part, by some clients): no file, not a malformed request."""
    chosen = [part for part in parts if isinstance(part, SentFile) and part.filename]
    if not chosen:
        raise RlsironError(problems=(_NO_FILE,))
    return await feed_files(chosen, most=most)


def _at_files(problem: Problem) -> Problem:
    """A problem of one file shown at the form's one file field, naming the file."""
    if problem.location in ("", FILES):
        return problem.at(FILES)
    return dataclasses.replace(
        problem, location=FILES, message=f"{problem.location} {problem.message}"
    )
