"""Uploads: a file read and shown for review, stored only when the person accepts it.

`POST /me/uploads` (multipart: `file`, optional `date_format` and `patient`, as the CLI's
import options) reads the file with the importers and answers the preview: the import
document, every problem (named by file and place), the items left for review, the names
of tests skipped, and each fact the file gives about the person beside the stored one.
Nothing is stored. `POST /me/uploads/accept` takes the previewed document back and stores
it in one transaction (`store.accept_import`): its results, the medicines and conditions it
lists and, with `use_facts=true`, the facts it gives; one bad row and nothing is stored,
every problem listed (`labs[3].unit`); a fact that contradicts a stored one is refused; a
result, medicine or condition stored already is not stored twice.

`read_upload` is the one way a file becomes a preview: the upload page calls it too.
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Body, Form, HTTPException, Query, UploadFile, status
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile as SentFile  # FastAPI's and forms' base

from rlsiron.core.models import ReviewItem
from rlsiron.errors import RlsironError
from rlsiron.io.extract import ReadableFormat
from rlsiron.io.importer import ReadOptions, readable_format, reader
from rlsiron.io.merge import merge
from rlsiron.store import (
    AcceptedImport,
    Database,
    FactCheck,
    accept_import,
    check_facts,
    get_person,
)
from rlsiron.web.deps import CurrentPerson, DatabaseDep, SettingsDep, Today
from rlsiron.web.openapi import problem_responses
from rlsiron.web.problems import ProblemItem, problem_json

router = APIRouter(tags=["uploads"])
_FILE = "file"


class FileTooLargeError(RlsironError):
    """A file over the size the app accepts (`Settings.max_upload_bytes`): 413, not 422."""


class UploadPreview(BaseModel):
    """What a file gave, before anything is stored."""

    file: str
    format: ReadableFormat
    document: dict[str, Any] = Field(
        description="The import document (the contract's input with provenance and "
        "needs_review): send it to /me/uploads/accept to store it."
    )
    problems: list[ProblemItem]
    needs_review: list[ReviewItem]
    skipped: dict[str, int] = Field(description="Tests the catalogue does not read, counted.")
    facts: list[FactCheck] = Field(
        description="Each fact the file gives about the person, beside the stored one, and "
        "what accepting with use_facts would do with it."
    )


async def read_limited(file: SentFile, most: int, *, field: str, hint: str) -> tuple[str, bytes]:
    """The file's name (without any folder the browser sent) and its content, read no
    further than one byte past `most`; `FileTooLargeError` at `field` when it is larger."""
    name = PurePath(file.filename or "upload").name
    data = await file.read(most + 1)
    if len(data) > most:
        raise FileTooLargeError(
            f"{name} is larger than {most:,} bytes, the most the app accepts",
            field=field,
            hint=hint,
        )
    return name, data


async def read_upload(
    file: UploadFile,
    *,
    most: int,
    options: ReadOptions,
    db: Database,
    person_id: int,
    today: dt.date,
) -> UploadPreview:
    """The file read and merged as `rlsiron import` reads it; nothing stored.

    Raises `FileTooLargeError` over `most` bytes, and `RlsironError` at `file` when there
    is nothing to read (empty, a format rlsiron does not read, a contract document).
    """
    name, data = await read_limited(
        file, most, field=_FILE, hint="split the file, or export a shorter period"
    )
    found = readable_format(data, name)
    result = merge([reader(found)(data, name, options)])
    return UploadPreview(
        file=name,
        format=found,
        document=result.document,
        problems=[ProblemItem.model_validate(problem_json(p)) for p in result.problems],
        needs_review=[ReviewItem.model_validate(r) for r in result.document["needs_review"]],
        skipped=dict(result.skipped),
        facts=check_facts(get_person(db, person_id).facts, result.document, today),
    )


@router.post(
    "/me/uploads",
    responses=problem_responses(
        HTTPStatus.UNAUTHORIZED,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        HTTPStatus.UNPROCESSABLE_ENTITY,
    ),
)
async def preview_upload(
    file: UploadFile,
    me: CurrentPerson,
    db: DatabaseDep,
    settings: SettingsDep,
    today: Today,
    date_format: Annotated[str | None, Form(description='e.g. "%d/%m/%Y"')] = None,
    patient: Annotated[str | None, Form(description="The patient id in a file of many.")] = None,
) -> UploadPreview:
    """The file read and merged as `rlsiron import` reads it; nothing stored."""
    options = ReadOptions(date_format=date_format, patient=patient)
    try:
        return await read_upload(
            file,
            most=settings.max_upload_bytes,
            options=options,
            db=db,
            person_id=me.person_id,
            today=today,
        )
    except FileTooLargeError as exc:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"the file {exc.problems[0].message}"
        ) from None


@router.post(
    "/me/uploads/accept",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(
        HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY
    ),
)
def accept_upload(
    document: Annotated[dict[str, Any], Body(description="The previewed document.")],
    me: CurrentPerson,
    db: DatabaseDep,
    today: Today,
    use_facts: Annotated[
        bool,
        Query(
            description="Add the facts the file gives about the person (sex, birth date, "
            "pregnancy, kidney) to the stored ones; a fact that contradicts a stored one is "
            "refused (422, nothing stored), never overwritten."
        ),
    ] = False,
) -> AcceptedImport:
    """The document stored in one transaction, all or nothing: its results, the medicines
    and conditions it lists (what is stored already is not stored twice: `already_stored`)
    and, with use_facts, the facts it gives (a pregnancy's weeks counted from today)."""
    return accept_import(db, me.person_id, document, use_facts=use_facts, today=today)
