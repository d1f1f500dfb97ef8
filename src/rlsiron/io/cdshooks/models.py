"""The CDS Hooks 2.0.1 wire format as pydantic models: requests, cards, discovery, feedback.

The specification publishes no JSON Schema for 2.0 (only tables and, from the 3.0 ballot,
logical models with FHIRPath invariants), so its tables are written here once, with the
invariants that apply to 2.0.1 as validators named by their ids (cds-r-1, cds-resp-1..6,
cds-fb-1..3). Every card the service answers is built from these models, so a card that breaks
the specification fails where it is made, not in the EHR.

Two rules of the specification shape the models: JSON elements are never null or empty unless
said otherwise (optional fields are omitted: dump with `exclude_none`, lists have
`min_length=1`), and the name `extension` is reserved for implementations on every object.
Incoming requests ignore fields they do not know (hooks gain optional context fields in minor
versions); what the service itself writes forbids them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    model_validator,
)
from pydantic.alias_generators import to_camel

Hook = Literal["patient-view", "order-select", "order-sign"]
Indicator = Literal["info", "warning", "critical"]

# "One-sentence, <140-character summary message" (Card attributes).
SUMMARY_LIMIT: Final = 140

Text = Annotated[str, StringConstraints(min_length=1)]
# FHIR's id type: the ids are put into URLs of the FHIR server, so nothing else may pass.
FhirId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9\-.]{1,64}$")]
# "Must be in the format [ResourceType]/[id]" (the hooks' userId).
UserReference = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")]
Extension = dict[str, Any]


def _absolute_url(value: str) -> str:
    """An absolute http(s) URL, kept exactly as written (pydantic's Url would add a slash)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http or https URL")
    return value


Url = Annotated[str, AfterValidator(_absolute_url)]


class _Wire(BaseModel):
    """Python names in snake case, JSON names in camel case as the specification spells them."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        frozen=True,
    )


class _Incoming(_Wire):
    model_config = ConfigDict(extra="ignore")


class _Outgoing(_Wire):
    model_config = ConfigDict(extra="forbid")


class Coding(_Wire):
    """The specification's trimmed-down FHIR Coding (sent in cards, received in feedback)."""

    code: Text
    system: Text
    display: Text | None = None


# ------------------------------------------------------------------------------ request


class FhirAuthorization(BaseModel):
    """The bearer token for the client's FHIR server; its JSON names are snake case."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    access_token: SecretStr = Field(description="Never logged or echoed (a SecretStr).")
    token_type: Literal["Bearer"]
    expires_in: int = Field(ge=0)
    scope: Text
    subject: Text
    # cds-r-2 (a patient scope SHOULD name the patient) is a warning: not refused.
    patient: FhirId | None = None


class PatientViewContext(_Incoming):
    user_id: UserReference
    patient_id: FhirId
    encounter_id: FhirId | None = None


class OrderSignContext(PatientViewContext):
    draft_orders: dict[str, Any] = Field(
        description="A FHIR Bundle, read leniently: the hooks' own R4 examples do not validate."
    )

    @model_validator(mode="after")
    def _is_bundle(self) -> OrderSignContext:
        if self.draft_orders.get("resourceType") != "Bundle":
            raise ValueError("context.draftOrders must be a FHIR Bundle")
        return self


class OrderSelectContext(OrderSignContext):
    selections: tuple[Text, ...] = Field(min_length=1)


class _HookRequest(_Incoming):
    hook: Hook
    hook_instance: UUID
    fhir_server: Url | None = None
    fhir_authorization: FhirAuthorization | None = None
    prefetch: dict[str, Any] | None = Field(
        default=None,
        description="Prefetch key -> resource, Bundle or null; only the service's own keys "
        "are read, each checked where it is read.",
    )
    extension: Extension | None = None

    @model_validator(mode="after")
    def _cds_r_1(self) -> _HookRequest:
        if self.fhir_authorization is not None and self.fhir_server is None:
            raise ValueError("fhirAuthorization is given without fhirServer (cds-r-1)")
        return self


class PatientViewRequest(_HookRequest):
    hook: Literal["patient-view"]
    context: PatientViewContext


class OrderSelectRequest(_HookRequest):
    hook: Literal["order-select"]
    context: OrderSelectContext


class OrderSignRequest(_HookRequest):
    hook: Literal["order-sign"]
    context: OrderSignContext


HookRequest = PatientViewRequest | OrderSelectRequest | OrderSignRequest
REQUEST_MODELS: dict[Hook, type[HookRequest]] = {
    "patient-view": PatientViewRequest,
    "order-select": OrderSelectRequest,
    "order-sign": OrderSignRequest,
}

# ----------------------------------------------------------------------------- response


class Source(_Outgoing):
    label: Text
    url: Url | None = None
    icon: Url | None = None
    topic: Coding | None = None


class Action(_Outgoing):
    type: Literal["create", "update", "delete"]
    description: Text  # REQUIRED in 2.0.1
    resource: dict[str, Any] | None = None
    resource_id: Text | None = None

    @model_validator(mode="after")
    def _cds_resp_2(self) -> Action:
        if self.type == "delete" and (self.resource_id is None or self.resource is not None):
            raise ValueError("a delete action names resourceId and no resource (cds-resp-2)")
        if self.type != "delete" and self.resource is None:
            raise ValueError(f"a {self.type} action holds the resource")
        return self


class Suggestion(_Outgoing):
    label: Text
    uuid: UUID | None = None
    is_recommended: bool | None = None
    # cds-resp-5 (every action has a description) holds by Action's own model.
    actions: tuple[Action, ...] | None = Field(default=None, min_length=1)


class Link(_Outgoing):
    label: Text
    url: Url
    type: Literal["absolute", "smart"]
    app_context: Text | None = None
    autolaunchable: bool | None = None

    @model_validator(mode="after")
    def _cds_resp_3(self) -> Link:
        if self.app_context is not None and self.type != "smart":
            raise ValueError("appContext is only for smart links (cds-resp-3)")
        return self


class Card(_Outgoing):
    uuid: UUID | None = None
    summary: Annotated[str, StringConstraints(min_length=1, max_length=SUMMARY_LIMIT - 1)]
    detail: Text | None = None
    indicator: Indicator
    source: Source
    suggestions: tuple[Suggestion, ...] | None = Field(default=None, min_length=1)
    selection_behavior: Literal["at-most-one", "any"] | None = None
    override_reasons: tuple[Coding, ...] | None = Field(default=None, min_length=1)
    links: tuple[Link, ...] | None = Field(default=None, min_length=1)
    extension: Extension | None = None

    @model_validator(mode="after")
    def _invariants(self) -> Card:
        if self.suggestions is not None and self.selection_behavior is None:
            raise ValueError("suggestions need selectionBehavior (cds-resp-6)")
        if self.selection_behavior == "at-most-one" and (
            sum(bool(s.is_recommended) for s in self.suggestions or ()) > 1
        ):
            raise ValueError("at-most-one allows one recommended suggestion (cds-resp-1)")
        if any(reason.display is None for reason in self.override_reasons or ()):
            raise ValueError("every override reason has a display (cds-resp-4)")
        return self


class CdsResponse(_Outgoing):
    cards: tuple[Card, ...]  # empty means "no decision support", as the specification says
    system_actions: tuple[Action, ...] | None = Field(default=None, min_length=1)
    extension: Extension | None = None


# ---------------------------------------------------------------------------- discovery


class Service(_Outgoing):
    hook: Hook
    title: Text | None = None  # RECOMMENDED; every rlsiron service has one
    description: Text
    id: Text
    prefetch: dict[str, str] | None = Field(default=None, min_length=1)
    usage_requirements: Text | None = None
    extension: Extension | None = None


class Discovery(_Outgoing):
    services: tuple[Service, ...]


# ----------------------------------------------------------------------------- feedback


def _in_utc(moment: dt.datetime) -> dt.datetime:
    """The specification's timestamps are UTC; an offset given is honoured, then dropped."""
    return moment.astimezone(dt.UTC)


class AcceptedSuggestion(_Incoming):
    id: Text


class OverrideReason(_Incoming):
    reason: Coding | None = None
    user_comment: Text | None = None

    @model_validator(mode="after")
    def _cds_fb_3(self) -> OverrideReason:
        if self.reason is None and self.user_comment is None:
            raise ValueError("an overrideReason holds a reason, a userComment or both (cds-fb-3)")
        return self


class FeedbackItem(_Incoming):
    card: Text
    outcome: Literal["accepted", "overridden"]  # cds-fb-1
    accepted_suggestions: tuple[AcceptedSuggestion, ...] | None = Field(default=None, min_length=1)
    override_reason: OverrideReason | None = None
    outcome_timestamp: Annotated[AwareDatetime, AfterValidator(_in_utc)]

    @model_validator(mode="after")
    def _by_outcome(self) -> FeedbackItem:
        if self.outcome == "accepted" and self.accepted_suggestions is None:
            raise ValueError("an accepted outcome lists acceptedSuggestions (cds-fb-2)")
        if self.outcome != "accepted" and self.accepted_suggestions is not None:
            raise ValueError("acceptedSuggestions belong to an accepted outcome only")
        if self.outcome != "overridden" and self.override_reason is not None:
            raise ValueError("overrideReason belongs to an overridden outcome only")
        return self


class FeedbackRequest(_Incoming):
    feedback: tuple[FeedbackItem, ...]
