"""CRUD for each kind of record under `/api/v1/me/...`, from one route factory.

Every kind (labs, IRLS scores, diary weeks, medicines, conditions, iron courses; saved
assessments read and deleted only) gets the same five routes over its store `RecordType`,
always with the signed-in person's id: a record id of another person is "not found" in the
store and 404 here, exactly as a missing one. `PUT` replaces the whole record. The factory
writes each route's body and response models into its signature, so the OpenAPI document
names the kind's own models.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from enum import Enum
from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, Body, status
from pydantic import BaseModel

from rlsiron.core.models import DiaryEntry
from rlsiron.store import (
    ASSESSMENTS,
    CONDITIONS,
    DIARY,
    IRLS,
    IRON_COURSES,
    LABS,
    MEDICINES,
    AssessmentRecord,
    ConditionEntry,
    ConditionRecord,
    DiaryRecord,
    IrlsEntry,
    IrlsRecord,
    IronCourseEntry,
    IronCourseRecord,
    LabEntry,
    LabRecord,
    MedicineEntry,
    MedicineRecord,
    RecordType,
)
from rlsiron.web.deps import CurrentPerson, DatabaseDep
from rlsiron.web.openapi import CHANGE_ONE, READ_ONE, problem_responses

_READ: Final = problem_responses(HTTPStatus.UNAUTHORIZED)
_WRITE: Final = problem_responses(
    HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY
)


def _with_body(endpoint: Callable[..., Any], model: type[BaseModel]) -> Callable[..., Any]:
    """The endpoint with its `entry` parameter typed as the JSON body `model`."""
    signature = inspect.signature(endpoint)
    parameters = [
        p.replace(annotation=Annotated[model, Body()]) if p.name == "entry" else p
        for p in signature.parameters.values()
    ]
    endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return endpoint


def add_record_routes(
    router: APIRouter,
    path: str,
    kind: RecordType[Any, Any, Any],
    record: type[BaseModel],
    entry_model: type[BaseModel] | None,
) -> None:
    """List, read and delete `/me/{path}`; with an `entry` model, create and replace too."""
    collection, item = f"/me/{path}", f"/me/{path}/{{record_id}}"
    tags: list[str | Enum] = [path]

    def listed(me: CurrentPerson, db: DatabaseDep) -> list[Any]:
        return kind.all(db, me.person_id)

    def one(record_id: int, me: CurrentPerson, db: DatabaseDep) -> Any:
        return kind.get(db, me.person_id, record_id)

    def deleted(record_id: int, me: CurrentPerson, db: DatabaseDep) -> None:
        kind.delete(db, me.person_id, record_id)

    many = types.GenericAlias(list, (record,))
    router.add_api_route(
        collection,
        listed,
        methods=["GET"],
        response_model=many,
        responses=_READ,
        tags=tags,
        name=f"list {path}",
    )
    router.add_api_route(
        item,
        one,
        methods=["GET"],
        response_model=record,
        responses=READ_ONE,
        tags=tags,
        name=f"read {path}",
    )
    router.add_api_route(
        item,
        deleted,
        methods=["DELETE"],
        status_code=status.HTTP_204_NO_CONTENT,
        responses=CHANGE_ONE,
        tags=tags,
        name=f"delete {path}",
    )
    if entry_model is None:
        return

    def created(entry: Any, me: CurrentPerson, db: DatabaseDep) -> Any:
        return kind.add(db, me.person_id, entry)

    def replaced(record_id: int, entry: Any, me: CurrentPerson, db: DatabaseDep) -> Any:
        return kind.update(db, me.person_id, record_id, entry)

    router.add_api_route(
        collection,
        _with_body(created, entry_model),
        methods=["POST"],
        response_model=record,
        status_code=status.HTTP_201_CREATED,
        responses=_WRITE,
        tags=tags,
        name=f"add {path}",
    )
    router.add_api_route(
        item,
        _with_body(replaced, entry_model),
        methods=["PUT"],
        response_model=record,
        responses=CHANGE_ONE,
        tags=tags,
        name=f"replace {path}",
    )


def records_router() -> APIRouter:
    router = APIRouter()
    add_record_routes(router, "labs", LABS, LabRecord, LabEntry)
    add_record_routes(router, "irls", IRLS, IrlsRecord, IrlsEntry)
    add_record_routes(router, "diary", DIARY, DiaryRecord, DiaryEntry)
    add_record_routes(router, "medicines", MEDICINES, MedicineRecord, MedicineEntry)
    add_record_routes(router, "conditions", CONDITIONS, ConditionRecord, ConditionEntry)
    add_record_routes(router, "iron-courses", IRON_COURSES, IronCourseRecord, IronCourseEntry)
    add_record_routes(router, "assessments", ASSESSMENTS, AssessmentRecord, None)
    return router
