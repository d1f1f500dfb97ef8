"""Who the results of an HL7 v2 message are about: its PID segments.

A file may hold several patients, and one patient in several messages: `hl7v2` groups the
PIDs that `same_patient` says are one person, and reads from each the facts the core needs
about them (sex and birth date), leaving an unknown or other sex to the user. The identifiers
are what the user names with `rlsiron import --patient` when a file holds more than one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from rlsiron.io.extract import Extract, FoundFact
from rlsiron.io.hl7v2_messages import Segment, Unreadable, day, get, repetitions, text_at

# --- field positions (HL7 v2.5.1; the same in v2.3) -----------------------------------------------
_PATIENT_ID: Final = "PID.3.1.1"  # CX, repeating: id ^ check digit ^ scheme ^ authority ^ type
_PATIENT_ID_AUTHORITY: Final = "PID.3.1.4"
_PATIENT_ID_TYPE: Final = "PID.3.1.5"
_BIRTH: Final = "PID.7.1.1"  # TS: time ^ degree of precision
_SEX: Final = "PID.8"

# --- vocabularies ---------------------------------------------------------------------------------
# HL7 table 0001 (administrative sex): only F and M say which reference ranges apply.
_SEXES: Final = {"F": "female", "M": "male"}
_SEX_UNSETTLED: Final = {"U": "unknown", "O": "other", "A": "ambiguous", "N": "not applicable"}


@dataclass(frozen=True, slots=True)
class PatientId:
    """One identifier of PID-3: the number, who assigned it, and its type (MR, PI, SS)."""

    number: str
    authority: str = ""
    kind: str = ""

    def __str__(self) -> str:
        issued = " ".join(part for part in (self.kind, self.authority) if part)
        return f"{self.number} ({issued})" if issued else self.number


def patient_ids(pid: Segment) -> tuple[PatientId, ...]:
    count = repetitions(pid.raw, _PATIENT_ID)
    ids = (
        PatientId(
            text_at(pid.raw, _PATIENT_ID, r).strip(),
            text_at(pid.raw, _PATIENT_ID_AUTHORITY, r).strip(),
            text_at(pid.raw, _PATIENT_ID_TYPE, r).strip(),
        )
        for r in range(1, count + 1)
    )
    return tuple(i for i in ids if i.number)


def same_patient(ids: tuple[PatientId, ...], other: tuple[PatientId, ...]) -> bool:
    """Whether two PIDs share an identifier (number and authority).

    A patient without identifiers is never joined to another: two such messages may be
    about two people.
    """
    keys = {(i.number, i.authority) for i in ids}
    return bool(keys & {(i.number, i.authority) for i in other})


def read_person(pid: Segment, extract: Extract) -> None:
    """Sex (PID-8) and birth date (PID-7); an unknown or other sex is left to the user."""
    origin = extract.origin(pid.place, pid.text)
    sex = get(pid, _SEX).upper()
    if sex in _SEXES:
        extract.facts.append(FoundFact("person.sex", _SEXES[sex], origin))
    elif sex in _SEX_UNSETTLED:
        extract.needs_review(
            pid.place,
            pid.text,
            f"sex (PID-8) is {sex!r} ({_SEX_UNSETTLED[sex]}): the reference ranges need female "
            "or male; give the sex yourself",
        )
    elif sex:
        extract.problem(pid.place, "PID-8 is not a sex code (F, M, O, U, A, N)", sex)
    birth = get(pid, _BIRTH)
    if birth:
        try:
            extract.facts.append(FoundFact("person.birth_date", day(birth, "PID-7"), origin))
        except Unreadable as exc:
            extract.problem(pid.place, exc.message, exc.received, exc.hint)
