"""The symptom diary: a week's entry (nights with symptoms, severity, sleep) and an IRLS
score, each listed newest first, each changed or deleted from the list. Stored through
`DIARY` and `IRLS` as the API stores them, with the routes every record form has
(`records.add_form_routes`); the contract's bounds (0-7 nights, 0-10 scales, the IRLS
total) come back at the field.

An IRLS score may be stored as its ten item scores (the API takes them). Its edit form
shows those items, so changing the date of such a score does not replace the items by a
total, and an item left empty is a problem at its field, never dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from rlsiron.core.knowledge.thresholds import IRLS_ITEMS
from rlsiron.core.models import DiaryEntry
from rlsiron.store import DIARY, IRLS, Database, DiaryRecord, IrlsEntry, IrlsRecord
from rlsiron.web.deps import DatabaseDep, SignedIn, Today
from rlsiron.web.pages.records import (
    FormState,
    RecordForm,
    add_form_routes,
    field_values,
    filled,
    list_page,
)
from rlsiron.web.pages.session import PagePerson

router = APIRouter()
PAGE: Final = "/diary"
_TOTAL_FIELDS: Final = ("date", "irls_total")
# The item fields, numbered as the questionnaire numbers its questions.
ITEM_FIELDS: Final = tuple(f"irls_item-{number}" for number in range(1, IRLS_ITEMS + 1))
_ITEM: Final = re.compile(r"irls_items\[(\d+)\]")


class IrlsForm(RecordForm[IrlsEntry, IrlsRecord]):
    """The total, or the ten items when the score has them (the edit form of one)."""

    items: ClassVar[tuple[str, ...]] = ITEM_FIELDS

    def itemised(self, values: Mapping[str, str]) -> bool:
        """Whether the items are given: the form then shows and reads them."""
        return any(values[name].strip() for name in ITEM_FIELDS)

    def read(self, given: Mapping[str, str]) -> dict[str, Any]:
        data = filled({name: given[name] for name in _TOTAL_FIELDS})
        if self.itemised(given):
            data["irls_items"] = [given[name].strip() for name in ITEM_FIELDS]
        return data

    def shown(self, record: IrlsRecord) -> dict[str, str]:
        items = record.irls_items or ("",) * len(ITEM_FIELDS)
        scores = {name: str(score) for name, score in zip(ITEM_FIELDS, items, strict=True)}
        return {**field_values(record, _TOTAL_FIELDS), **scores}

    def locate(self, location: str) -> str | None:
        item = _ITEM.fullmatch(location)
        if item is not None and int(item[1]) < len(ITEM_FIELDS):
            return ITEM_FIELDS[int(item[1])]
        return super().locate(location)


DIARY_FORM: Final = RecordForm[DiaryEntry, DiaryRecord](
    slug="diary",
    path=PAGE,
    page=PAGE,
    store=DIARY,
    model=DiaryEntry,
    fields=("date", "nights_affected", "severity", "sleep_quality"),
    dated="date",
)
IRLS_FORM: Final = IrlsForm(
    slug="irls",
    path=f"{PAGE}/irls",
    page=PAGE,
    store=IRLS,
    model=IrlsEntry,
    fields=(*_TOTAL_FIELDS, *ITEM_FIELDS),
    prefix="irls-",
    whole="irls_total",  # "give irls_total or irls_items" (nothing given) is the total's
    dated="date",
)


def _diary_page(
    request: Request, me: SignedIn, db: Database, today: dt.date, failed: FormState | None
) -> HTMLResponse:
    context = {
        "title": "Symptom diary",
        "entries": list(reversed(DIARY.all(db, me.person_id))),
        "scores": list(reversed(IRLS.all(db, me.person_id))),
    }
    kinds = (DIARY_FORM, IRLS_FORM)
    return list_page(request, me, "diary.html.j2", context, kinds, today, failed)


@router.get(PAGE, response_class=HTMLResponse)
def diary(request: Request, me: PagePerson, db: DatabaseDep, today: Today) -> HTMLResponse:
    return _diary_page(request, me, db, today, None)


add_form_routes(router, DIARY_FORM, _diary_page)
add_form_routes(router, IRLS_FORM, _diary_page)
