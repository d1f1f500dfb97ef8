"""What an Observation gives: a laboratory result, or a gestational age kept aside.

One extraction over plain JSON for every version and every file, valid or not (see
fhir.py for why). A result is read with its test, value, unit, reference range, flag and
status, and its draw date from the specimen, the Observation or the DiagnosticReport or
panel holding it; each component is a result of its own. What cannot be read is a problem
naming the entry (fhir_context.py).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

from rlsiron.core.labs.analytes import find_test, lookalikes, normalise_name
from rlsiron.core.labs.ranges import parse_reference_range
from rlsiron.core.models import Comparator, Quantity, RangeInput
from rlsiron.errors import NOTHING, RlsironError
from rlsiron.io.extract import FoundLab
from rlsiron.io.fhir_context import Context, Entry, Gestation
from rlsiron.io.fhir_fields import (
    LOINC,
    UCUM,
    Resource,
    clip,
    codes,
    concept_name,
    concept_text,
    displays,
    fhir_date,
    mapping,
    mappings,
    number,
    text,
)

# Withdrawn, or (registered) ordered with no result yet.
_NOT_READ: Final = frozenset({"entered-in-error", "cancelled", "registered"})
_PRELIMINARY: Final = "preliminary"
_COMPARATORS: Final[dict[str, Comparator]] = {"<": "<", "<=": "<=", ">": ">", ">=": ">="}
# Gestational age: estimated, by last menstrual period, plain, in weeks.
_GESTATIONAL_AGE: Final = frozenset({"11884-4", "11885-1", "18185-9", "49051-6"})
_WEEKS: Final = frozenset({"wk", "wks", "week", "weeks", "{week}", "{weeks}"})
_DAYS: Final = frozenset({"d", "day", "days", "{day}", "{days}"})
_DAYS_PER_WEEK: Final = dt.timedelta(weeks=1).days


class _Reading(NamedTuple):
    amount: int | float | str  # a string when the file gives text ("<5", or "7.2" in quotes)
    comparator: str | None
    unit: str | None  # for the core
    printed: str | None  # the unit as the file prints it


class _Value(NamedTuple):
    value: int | float | str | Quantity
    unit: str
    shown: str  # as the file prints it: "<5 ug/L", in the lab's own unit spelling


@dataclass(frozen=True, slots=True)
class _Part:
    """One result being read: an Observation, or one of its components."""

    ctx: Context
    entry: Entry
    carrier: Resource  # the Observation or the component
    path: tuple[int | str, ...]  # where the carrier is in the resource: () or component, i
    at: str  # "entry 3 (Observation/x), component 1"

    def problem(self, message: str, received: object = NOTHING, *fields: str) -> None:
        self.ctx.problem(self.entry, self.at, message, received, path=(*self.path, *fields))


def read_observation(ctx: Context, entry: Entry) -> None:
    obs = entry.resource
    status = text(obs.get("status"))
    if status in _NOT_READ:
        ctx.extract.skipped[f"{_name(obs)} ({status})"] += 1
        return
    if _derived_here(ctx, obs):
        ctx.extract.skipped[f"{_name(obs)} (calculated from other results)"] += 1
        return
    if not _GESTATIONAL_AGE.isdisjoint(codes(obs.get("code"), LOINC)):
        _gestational_age(ctx, entry)
        return
    raw = obs.get("component")
    components = [(i, c) for i, c in enumerate(raw if isinstance(raw, list) else []) if mapping(c)]
    if not components or any(key.startswith("value") for key in obs):
        _result(_Part(ctx, entry, obs, (), entry.place), status)
    for index, component in components:
        at = f"{entry.place}, component {index}"
        _result(_Part(ctx, entry, component, ("component", index), at), status)


def _derived_here(ctx: Context, obs: Resource) -> bool:
    """Whether a result was computed from results this file holds (`derivedFrom`).

    The engine computes it from them itself; read as well, a calculation would come back
    as a second, reported value. rlsiron's own export marks what it derived this way.
    """
    sources = [ctx.resolve(ref, obs) for ref in mappings(obs.get("derivedFrom"))]
    return bool(sources) and all(
        source is not None and source.get("resourceType") == "Observation" for source in sources
    )


def _name(carrier: Resource) -> str:
    return clip(concept_name(carrier.get("code")) or "Observation without a code")


def _result(part: _Part, status: str | None) -> None:
    name = _name(part.carrier)
    test = _catalogue_test(part.carrier.get("code"))
    if test is None:
        part.ctx.extract.skipped[name] += 1
        return
    value = _value(part)
    if value is None:
        return
    shown = f"{name} = {value.shown}"
    reference, note = _reference_range(part.carrier), None
    if isinstance(reference, str) and not _core_reads_range(reference, test, value.unit):
        # The core refuses a whole result whose range it cannot read ("20-50 %", "see
        # comment"); a range only informs, so it is left out, and said so beside it.
        reference, note = None, f"reference range not read: {reference}"
    if status == _PRELIMINARY:
        part.ctx.extract.needs_review(part.at, shown, "preliminary result, not final: confirm it")
        return
    drawn = _draw_day(part, shown)
    if drawn is None:
        return
    part.ctx.extract.labs.append(
        FoundLab(
            test=test,
            value=value.value,
            unit=value.unit,
            date=drawn,
            origin=part.ctx.extract.origin(part.at, shown),
            reference_range=reference,
            flag=_flag(part.carrier),
            note=note,
        )
    )


def _resolved(name: str) -> str | Literal[False] | None:
    """The catalogue id of one name or code; False for a look-alike, None when unknown."""
    analyte = find_test(name)
    if analyte is not None:
        return analyte.key
    return False if normalise_name(name) in lookalikes() else None


def _catalogue_test(concept: object) -> str | None:
    """The catalogue test of a code: LOINC codes first (exact), then the displays of the
    other codings, then the text. A look-alike (HbA1c, MCHC) ends the search: its display
    is never tried as the name of the test it resembles.
    """
    own_text = text((mapping(concept) or {}).get("text"))
    names = [*codes(concept, LOINC), *displays(concept, except_system=LOINC), own_text]
    for name in filter(None, names):
        test = _resolved(name)
        if test is not None:
            return test or None
    return None


def _value(part: _Part) -> _Value | None:
    """The value and its unit; None once a problem, a review item or a skip says why not."""
    reading = _reading(part)
    if reading is None:
        return None
    amount, comparator, unit, printed = reading
    if unit is None:
        # valueString and valueInteger carry no unit, and some quantities omit it: a
        # reference range is in the unit of its result.
        unit = printed = _range_unit(part.carrier)
    shown = f"{comparator or ''}{amount} {printed or ''}".strip()
    if unit is None:
        part.problem("gives no unit", shown, "valueQuantity")
        return None
    if comparator is None:
        return _Value(amount, unit, shown)
    if comparator not in _COMPARATORS:
        reason = f"comparator {clip(comparator)!r} is not one of <, <=, >, >="
        part.ctx.extract.needs_review(part.at, shown, reason)
        return None
    if isinstance(amount, str):
        return _Value(f"{comparator}{amount}", unit, shown)
    return _Value(Quantity(value=amount, comparator=_COMPARATORS[comparator]), unit, shown)


def _reading(part: _Part) -> _Reading | None:
    carrier = part.carrier
    quantity = mapping(carrier.get("valueQuantity"))
    if quantity is not None:
        amount = _amount(quantity.get("value"))
        if amount is None:
            received = quantity.get("value", NOTHING)
            part.problem("valueQuantity has no number", received, "valueQuantity", "value")
            return None
        return _Reading(amount, text(quantity.get("comparator")), *_unit(quantity))
    for key in ("valueString", "valueInteger"):
        amount = _amount(carrier.get(key))
        if amount is not None:
            return _Reading(amount, None, None, None)
    absent = concept_text(carrier.get("dataAbsentReason"))
    if absent is not None:
        part.ctx.extract.skipped[f"{_name(carrier)} (no value: {clip(absent)})"] += 1
        return None
    given = next((key for key in carrier if key.startswith("value")), None)
    if given is None:
        part.problem("has no value", NOTHING, "valueQuantity")
    else:
        message = f"gives its value as {clip(given)}, not as a number rlsiron reads"
        part.problem(message, carrier[given], given)
    return None


def _amount(raw: object) -> int | float | str | None:
    """A number, or text for the core to read ("<5"; a decimal in quotes, which FHIR
    forbids but some exports write)."""
    return text(raw) if isinstance(raw, str) else number(raw)


def _unit(quantity: Resource) -> tuple[str | None, str | None]:
    """The unit for the core, and the unit as printed.

    A UCUM `code` is the machine-readable unit and `unit` the lab's display of it; they can
    differ ("g/dl" printed for the code "g/dL", in HL7's own Hb example): the code wins for
    the core, and the display stays in the origin text so a user sees what the lab wrote.
    """
    printed = text(quantity.get("unit"))
    code = text(quantity.get("code"))
    if code is not None and quantity.get("system") == UCUM:
        return code, printed or code
    return printed or code, printed or code


def _range_unit(carrier: Resource) -> str | None:
    for bound in _ranges(carrier):
        for end in ("low", "high"):
            quantity = mapping(bound.get(end))
            if quantity is not None and (unit := _unit(quantity)[0]) is not None:
                return unit
    return None


def _ranges(carrier: Resource) -> list[Resource]:
    return mappings(carrier.get("referenceRange"))


def _reference_range(carrier: Resource) -> str | RangeInput | None:
    """The first reference range that says something: low/high, else its text.

    A range of 0 to 0 is skipped: the SMART sample files give every test low = high = 0,
    a placeholder for "no range", which read as a range would make every result abnormal.
    """
    for bound in _ranges(carrier):
        low = number((mapping(bound.get("low")) or {}).get("value"))
        high = number((mapping(bound.get("high")) or {}).get("value"))
        if low == 0 and high == 0:
            continue
        if low is not None and high is not None and low > high:
            return f"{low}-{high}"  # as printed: not a range the core reads
        if low is not None or high is not None:
            return RangeInput(low=low, high=high)
        written = text(bound.get("text"))
        if written is not None:
            return written
    return None


def _core_reads_range(printed: str, test: str, unit: str) -> bool:
    try:
        parse_reference_range(printed, test, unit, field="reference_range")
    except RlsironError:
        return False
    return True


def _flag(carrier: Resource) -> str | None:
    """The interpretation as the lab coded it (H, L, HH, LL, A, N...)."""
    for concept in mappings(carrier.get("interpretation")):  # R4: a list; STU3: one
        flag = next(iter(codes(concept)), None) or text(concept.get("text"))
        if flag is not None:
            return clip(flag)
    return None


def _draw_day(part: _Part, shown: str) -> dt.date | None:
    found = _draw_date(part.ctx, part.entry.resource)
    if found is None:
        part.problem("has no draw date (specimen collection, effective[x] or issued)")
        return None
    where, raw = found
    date = fhir_date(raw)
    if date is None:
        part.problem(f"{where} is not a date", raw, *where.split("."))
        return None
    if date.day is None:
        reason = f"the draw date is recorded as {clip(date.text)}, without a day"
        part.ctx.extract.needs_review(part.at, shown, reason)
        return None
    return date.day


def _draw_date(ctx: Context, obs: Resource) -> tuple[str, object] | None:
    """(field, value) of the draw time: the specimen's collection, else the effective time,
    else the report's or panel's that holds the result, else `issued` (the release time).
    """
    seen: set[int] = set()
    holder: Resource | None = obs
    while holder is not None and id(holder) not in seen:
        seen.add(id(holder))
        found = _own_draw_date(ctx, holder)
        if found is not None and holder is not obs:
            return f"the {clip(str(holder.get('resourceType')))}'s {found[0]}", found[1]
        if found is not None:
            return found
        holder = ctx.parents.get(id(holder))
    issued = obs.get("issued")
    return ("issued", issued) if issued is not None else None


def _own_draw_date(ctx: Context, resource: Resource) -> tuple[str, object] | None:
    for ref in mappings(resource.get("specimen")):  # Observation: one; DiagnosticReport: many
        specimen = ctx.resolve(ref, resource)
        collection = mapping(specimen.get("collection")) if specimen is not None else None
        if collection is not None:
            when = collection.get("collectedDateTime") or _start(collection, "collectedPeriod")
            if when is not None:
                return "specimen's collection time", when
    for key in ("effectiveDateTime", "effectiveInstant"):
        if resource.get(key) is not None:
            return key, resource[key]
    start = _start(resource, "effectivePeriod")
    return ("effectivePeriod.start", start) if start is not None else None


def _start(resource: Resource, key: str) -> object:
    period = mapping(resource.get(key))
    return period.get("start") if period is not None else None


def _gestational_age(ctx: Context, entry: Entry) -> None:
    """Kept aside: weeks count only when a current pregnancy is recorded (`settle`)."""
    obs = entry.resource
    quantity = mapping(obs.get("valueQuantity")) or {}
    amount = number(quantity.get("value"))
    unit = (_unit(quantity)[0] or "").lower()
    shown = f"{_name(obs)} = {amount} {unit}"
    found = _draw_date(ctx, obs)
    date = fhir_date(found[1]) if found is not None else None
    if date is None or date.day is None:
        ctx.extract.skipped[f"{_name(obs)} (no date)"] += 1
        return
    weeks = None
    if amount is not None and amount >= 0 and unit in _WEEKS | _DAYS:
        weeks = math.floor(amount if unit in _WEEKS else amount / _DAYS_PER_WEEK)
    ctx.gestations.append(Gestation(date.day, weeks, entry.place, f"{shown} ({date.text})"))
