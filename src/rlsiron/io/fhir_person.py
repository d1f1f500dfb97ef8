"""What the person's resources give: sex and birth date, conditions, medicines, IRLS.

Patient, Condition (and a current pregnancy), MedicationStatement and MedicationRequest,
and QuestionnaireResponse, each read from one entry as fhir_observations.py reads results;
then `settle` decides what needs the whole file: the pregnancy's weeks, from the gestational
ages the Observations gave, and the latest IRLS total.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from rlsiron.core.knowledge.conditions import LIFELONG, read_conditions
from rlsiron.core.knowledge.thresholds import IRLS_MAX
from rlsiron.io.extract import FoundFact
from rlsiron.io.fhir_context import Context, Entry, Irls, Pregnancy
from rlsiron.io.fhir_fields import (
    SNOMED,
    Resource,
    clip,
    codes,
    concept_text,
    fhir_date,
    mapping,
    mappings,
    number,
    status_codes,
    text,
)

_SEXES: Final = frozenset({"female", "male"})
_CURRENT: Final = frozenset({"active", "recurrence", "relapse"})
_NOT_TRUE: Final = frozenset({"refuted", "entered-in-error"})
_PREGNANCY_SNOMED: Final = "77386006"
_PREGNANCY_WORD: Final = "pregnan"
_IRLS: Final = re.compile(r"\birls\b|international restless legs", re.IGNORECASE)


def read_patient(ctx: Context, entry: Entry) -> None:
    patient, place = entry.resource, entry.place
    gender = text(patient.get("gender"))
    if gender in _SEXES:
        ctx.extract.facts.append(FoundFact("person.sex", gender, ctx.extract.origin(place, gender)))
    elif gender is not None:
        reason = f"sex recorded as {clip(gender)!r}: the ranges need female or male; give --sex"
        ctx.extract.needs_review(place, gender, reason)
    born = patient.get("birthDate")
    date = fhir_date(born)
    if date is not None and date.day is not None:
        origin = ctx.extract.origin(place, date.text)
        ctx.extract.facts.append(FoundFact("person.birth_date", date.day, origin))
    elif date is not None:
        reason = f"birth date recorded as {clip(date.text)}, without a day: give --age"
        ctx.extract.needs_review(place, date.text, reason)
    elif born is not None:
        ctx.problem(entry, place, "birthDate is not a date", born, path=("birthDate",))


def read_condition(ctx: Context, entry: Entry) -> None:
    condition = entry.resource
    name = concept_text(condition.get("code"))
    lifelong = name is not None and not LIFELONG.isdisjoint(read_conditions([name]).codes)
    not_current = _not_true(condition) if lifelong else _not_current(condition)
    if not_current is not None:
        ctx.extract.skipped[f"{clip(name or 'Condition')} ({not_current})"] += 1
        return
    if name is None:
        message = "names no condition (code.text or a coding display)"
        ctx.problem(entry, entry.place, message, path=("code",))
        return
    origin = ctx.extract.origin(entry.place, name)
    ctx.extract.facts.append(FoundFact("person.conditions", name, origin))
    if _PREGNANCY_SNOMED in codes(condition.get("code"), SNOMED) or _PREGNANCY_WORD in name.lower():
        onset = fhir_date(condition.get("onsetDateTime"))
        ctx.pregnancies.append(Pregnancy(onset.day if onset else None, entry.place, name))


def _not_current(condition: Resource) -> str | None:
    """Why a Condition is not one the person has now, or None when it is."""
    clinical = status_codes(condition.get("clinicalStatus"))
    if clinical and clinical.isdisjoint(_CURRENT):
        return clip(min(clinical))
    refuted = _not_true(condition)
    if refuted:
        return refuted
    # Any abatement[x] ends the condition, except STU3's abatementBoolean false.
    if any(k.startswith("abatement") and v not in (None, False) for k, v in condition.items()):
        return "abated"
    return None


def _not_true(condition: Resource) -> str | None:
    """Why a Condition was never the person's (refuted, entered in error), or None.

    The only reasons that drop a lifelong condition (conditions.LIFELONG): "resolved" or an
    abatement does not end haemochromatosis.
    """
    refuted = status_codes(condition.get("verificationStatus")) & _NOT_TRUE
    return min(refuted) if refuted else None


def read_medication(ctx: Context, entry: Entry) -> None:
    """MedicationStatement or MedicationRequest: the medicine as recorded, when active."""
    statement = entry.resource
    name = _medicine(ctx, statement)
    status = text(statement.get("status"))
    why_not = "not taken" if text(statement.get("taken")) == "n" else status  # STU3 taken
    if why_not not in (None, "active"):
        shown = clip(name or str(statement.get("resourceType")))
        ctx.extract.skipped[f"{shown} ({clip(str(why_not))})"] += 1
        return
    if name is None:
        message = "names no medicine (medicationCodeableConcept or a Medication it references)"
        ctx.problem(entry, entry.place, message, path=("medicationCodeableConcept",))
        return
    ctx.extract.facts.append(FoundFact("medications", name, ctx.extract.origin(entry.place, name)))


def _medicine(ctx: Context, statement: Resource) -> str | None:
    named = concept_text(statement.get("medicationCodeableConcept"))
    if named is not None:
        return named
    holder = statement.get("medicationReference")
    medication = ctx.resolve(holder, statement)
    if medication is not None and (named := concept_text(medication.get("code"))) is not None:
        return named
    return text((mapping(holder) or {}).get("display"))


def read_questionnaire_response(ctx: Context, entry: Entry) -> None:
    """An IRLS total, when an item clearly names it; any other response is skipped."""
    response = entry.resource
    found = _irls_total(response)
    if found is None or text(response.get("status")) == "entered-in-error":
        ctx.extract.skipped["QuestionnaireResponse"] += 1
        return
    label, answer = found
    total = number(answer)
    shown = f"{label} = {answer}"
    if not isinstance(total, int | float) or total != int(total) or not 0 <= total <= IRLS_MAX:
        reason = f"an IRLS total is a whole number from 0 to {IRLS_MAX}"
        ctx.extract.needs_review(entry.place, clip(shown), reason)
        return
    authored = fhir_date(response.get("authored"))
    day = authored.day if authored is not None else None
    ctx.irls.append(Irls(day, int(total), entry.place, shown))


def _irls_total(response: Resource) -> tuple[str, object] | None:
    """(item label, first answer value) of the item that names the IRLS total score."""
    whole = _IRLS.search(text(response.get("questionnaire")) or "") is not None
    stack = list(mappings(response.get("item")))
    while stack:
        item = stack.pop()
        label = " ".join(filter(None, (text(item.get("linkId")), text(item.get("text")))))
        names_irls = whole or _IRLS.search(label) is not None
        if names_irls and ("total" in label.lower() or "score" in label.lower()):
            for answer in mappings(item.get("answer")):
                for key in ("valueInteger", "valueDecimal"):
                    if answer.get(key) is not None:
                        return label, answer[key]
        stack += mappings(item.get("item"))
        stack += [
            nested for a in mappings(item.get("answer")) for nested in mappings(a.get("item"))
        ]
    return None


def settle(ctx: Context) -> None:
    """What needs the whole file: the pregnancy's weeks, the latest IRLS total."""
    _settle_pregnancy(ctx)
    if ctx.irls:
        latest = max(ctx.irls, key=lambda i: i.authored or dt.date.min)
        origin = ctx.extract.origin(latest.place, latest.printed)
        ctx.extract.facts.append(FoundFact("rls.irls_total", latest.total, origin))
        if len(ctx.irls) > 1:
            ctx.extract.skipped["IRLS total (an older response)"] += len(ctx.irls) - 1


def _settle_pregnancy(ctx: Context) -> None:
    """Weeks from the latest gestational age measured in the current pregnancy (on or after
    its onset); a current pregnancy without them is for review, never a guess.

    The weeks are those of the day measured, as the origin text says.
    """
    if not ctx.pregnancies:
        if ctx.gestations:
            ctx.extract.skipped["Gestational age (no current pregnancy)"] += len(ctx.gestations)
        return
    onsets = [p.onset for p in ctx.pregnancies if p.onset is not None]
    since = max(onsets, default=dt.date.min)
    measured = [
        (g.day, g.weeks, g.place, g.printed)
        for g in ctx.gestations
        if g.weeks is not None and g.day >= since
    ]
    if not measured:
        for pregnancy in ctx.pregnancies:
            reason = "pregnancy recorded, weeks unknown: give --pregnancy-weeks"
            ctx.extract.needs_review(pregnancy.place, pregnancy.text, reason)
        return
    _, weeks, place, printed = max(measured)
    origin = ctx.extract.origin(place, printed)
    ctx.extract.facts.append(FoundFact("person.pregnancy_weeks", weeks, origin))
