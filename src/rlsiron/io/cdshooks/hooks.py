"""One hook call, from the validated request to the response: the service's workflow.

patient-view always assesses. The order hooks first look for iron among the draft orders and
answer no card, without reading the record at all, when there is none: most orders are not
iron, and they should cost the ordering clinician nothing. Then the record is gathered
(prefetch, else the FHIR server), assessed on `today`, and turned into cards. A record that
could not be gathered in full is never assessed: a decision made without the conditions
(haemochromatosis) or with half the results would look as sure as one made with all of them;
an info card names what could not be had instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import anyio
import httpx

from rlsiron.io.cdshooks.cards import info_card, patient_view_cards
from rlsiron.io.cdshooks.gather import Unavailable, gather_record
from rlsiron.io.cdshooks.models import (
    Card,
    CdsResponse,
    HookRequest,
    OrderSelectRequest,
    PatientViewRequest,
    Service,
)
from rlsiron.io.cdshooks.orders import iron_orders, order_cards
from rlsiron.io.cdshooks.record import Outcome, assess_record


@dataclass(frozen=True, slots=True)
class Dependencies:
    """What a hook call needs from outside: the day, a way to reach FHIR servers, and which
    servers it may reach (None: any the request names)."""

    today: Callable[[], dt.date]
    new_client: Callable[[], httpx.AsyncClient]
    allowed_servers: frozenset[str] | None = None


async def answer(service: Service, request: HookRequest, deps: Dependencies) -> CdsResponse:
    """The cards for one call; raises `gather.PreconditionFailed` (HTTP 412)."""
    if isinstance(request, PatientViewRequest):
        outcome = await _assessed(service, request, deps)
        if isinstance(outcome, Outcome):
            return CdsResponse(cards=patient_view_cards(outcome))
        return CdsResponse(cards=(_unavailable_card("Iron status not assessed", outcome),))
    selections = request.context.selections if isinstance(request, OrderSelectRequest) else None
    orders = iron_orders(request.context.draft_orders, selections)
    if not orders:
        return CdsResponse(cards=())
    outcome = await _assessed(service, request, deps)
    if isinstance(outcome, Outcome):
        return CdsResponse(cards=order_cards(orders, outcome))
    named = ", ".join(dict.fromkeys(o.product for o in orders))
    return CdsResponse(cards=(_unavailable_card(f"Iron order ({named}) not checked", outcome),))


async def _assessed(
    service: Service, request: HookRequest, deps: Dependencies
) -> Outcome | tuple[Unavailable, ...]:
    record = await gather_record(
        request, service.prefetch or {}, deps.new_client, deps.allowed_servers
    )
    if record.unavailable:
        return record.unavailable
    run = partial(assess_record, record.resources, today=deps.today(), name="FHIR record")
    return await anyio.to_thread.run_sync(run)


def _unavailable_card(what: str, unavailable: Sequence[Unavailable]) -> Card:
    return info_card(
        f"{what}: part of the record could not be fetched",
        "What could not be fetched",
        (f"{u.key} ({u.query.partition('?')[0]}): {u.reason}" for u in unavailable),
    )
