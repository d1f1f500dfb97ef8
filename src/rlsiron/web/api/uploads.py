"""Uploads: a file read and shown for review, stored only when the person accepts it.

`POST /me/uploads` (multipart: `file`, optional `date_format` and `patient`, as the CLI's
import options) reads the file with the importers and answers the preview: the import
document, every problem (named by file and place), the items left for review, the names
of tests skipped. Nothing is stored. `POST /me/uploads/accept` takes the previewed document
back and stores its results all or nothing: one bad row and none is stored, every bad row
listed (`labs[3].unit`). The person facts an import found are shown in the preview but not
stored by accepting (the person confirms them in their facts).
"""

from __future__ import annotations

from http import HTTPStatus
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Form, HTTPException, UploadFile, status
from pydantic import BaseModel, Field

from rlsiron.core.models import ReviewItem
from rlsiron.io.importer import ReadOptions, readable_format, reader
from rlsiron.io.merge import merge
from rlsiron.store import LabRecord, add_labs, entries_from_document
from rlsiron.web.deps import CurrentPerson, DatabaseDep, SettingsDep, current_person
from rlsiron.web.openapi import problem_responses
from rlsiron.web.problems import ProblemItem, problem_json

router = APIRouter(tags=["uploads"])


class UploadPreview(BaseModel):
    """What a file gave, before anything is stored."""

    file: str
    format: str
    document: dict[str, Any] = Field(
        description="The import document (the contract's input with provenance and "
        "needs_review): send it to /me/uploads/accept to store its results."
    )
    problems: list[ProblemItem]
    needs_review: list[ReviewItem]
    skipped: dict[str, int] = Field(description="Tests the catalogue does not read, counted.")


async def _read_limited(file: UploadFile, most: int) -> bytes:
    data = await file.read(most + 1)
    if len(data) > most:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"the file is larger than {most} bytes"
        )
    return data


@router.post(
    "/me/uploads",
    dependencies=[Depends(current_person)],  # the preview is for a signed-in person only
    responses=problem_responses(
        HTTPStatus.UNAUTHORIZED,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        HTTPStatus.UNPROCESSABLE_ENTITY,
    ),
)
async def preview_upload(
    file: UploadFile,
    settings: SettingsDep,
    date_format: Annotated[str | None, Form(description='e.g. "%d/%m/%Y"')] = None,
    patient: Annotated[str | None, Form(description="The patient id in a file of many.")] = None,
) -> UploadPreview:
    """The file read and merged as `rlsiron import` reads it; nothing stored."""
    name = PurePath(file.filename or "upload").name
    data = await _read_limited(file, settings.max_upload_bytes)
    found = readable_format(data, name)  # an error at `file` when there is nothing to read
    options = ReadOptions(date_format=date_format, patient=patient)
    result = merge([reader(found)(data, name, options)])
    return UploadPreview(
        file=name,
        format=found,
        document=result.document,
        problems=[ProblemItem.model_validate(problem_json(p)) for p in result.problems],
        needs_review=[ReviewItem.model_validate(r) for r in result.document["needs_review"]],
        skipped=dict(result.skipped),
    )


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
) -> list[LabRecord]:
    """The document's results stored, all or nothing."""
    return add_labs(db, me.person_id, entries_from_document(document))
