"""The conditions the rules read, recognised in the words people and records use.

`person.conditions` is free text ("hereditary haemochromatosis, on venesection", "CKD
stage 3", "rheumatoid_arthritis"). The rules read a closed vocabulary of codes
(REFERENCE.md, additions of 2026-11-24); `data/conditions.txt` lists, for review, the
terms that name each code, and the shared word matcher (`vocabulary.py`) finds them.
Every entry is accounted for: it names codes (`ConditionReading.matches`) or it is kept in
`ConditionReading.unused`, which the engine reports as `context.condition_not_used`, so
nothing the person gave is silently dropped.

Negation. Unlike a medicine list, a conditions list often says what is absent, and
records phrase it in routine ways: "CKD 3, not on dialysis", "coeliac excluded", "non-
dialysis CKD". Read at face value, the first would apply the dialysis rule to a person
not on dialysis and contradict `person.kidney` "ckd". So a term is not counted when it is
negated or is about a relative:
- after "no", "not", "without", "never", "denies", "negative for", "free of", "nil",
  "family history (of)" or "FH", with only neutral words between ("no known history of
  IBD", "no longer on dialysis"), and so is each further term joined by "or", "and",
  "nor", "/" or "&" ("no CKD or dialysis");
- right after the prefix "non" ("non-dialysis CKD": dialysis is negated, CKD is not);
- before "excluded", "ruled out", "negative" or "absent", with only neutral words
  between ("coeliac screen negative").
Anything else is taken at face value, which for the codes that block or temper iron is
the safe side: "no treatment for haemochromatosis yet" still reads haemochromatosis
(an unknown word ends a negation), "haemochromatosis: negative" too (a negation never
reaches across a comma, colon or bracket), and "?haemochromatosis" too. An entry whose
terms are all negated matches no code and is kept in `unused`, so it is still shown.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Final, Literal, TypeAlias, get_args

from rlsiron.core.knowledge.table import data_text
from rlsiron.core.knowledge.vocabulary import Hit, Term, Vocabulary, is_mark, key, tokens, words
from rlsiron.errors import ContradictionError
from rlsiron.pipe_table import parse_table

ConditionCode = Literal[
    "hemochromatosis",
    "inflammatory_disease",
    "malabsorption",
    "heavy_menstrual_bleeding",
    "blood_donor",
    "lactation",
    "ckd",
    "dialysis",
]
CONDITION_CODES: Final[tuple[ConditionCode, ...]] = get_args(ConditionCode)

# Conditions a record's "resolved", "inactive" or "remission" does not end. Haemochromatosis
# is genetic: after venesection it is recorded as in remission, yet iron stays contraindicated
# (EASL-2022); an importer that dropped it would lose the safety stop.
LIFELONG: Final[frozenset[ConditionCode]] = frozenset({"hemochromatosis"})

Kidney = Literal["normal", "ckd", "dialysis"]
"""`person.kidney`: "ckd" is chronic kidney disease not on dialysis."""
KidneyCondition = Literal["ckd", "dialysis"]

CONDITIONS_FILE = "conditions.txt"
_COLUMNS = ("code", "term", "typos", "note")
_NO_CODE = "-"


@dataclass(frozen=True, slots=True)
class ConditionMatch:
    """A code named by one entry of `person.conditions`, with the term that named it
    (as written in the data file)."""

    entry: str
    code: ConditionCode
    term: str


@dataclass(frozen=True, slots=True)
class ConditionReading:
    """What the rules read from `person.conditions`, and what they could not use."""

    codes: frozenset[ConditionCode]
    matches: tuple[ConditionMatch, ...]
    """One per (entry, code), in input order; entries differing only in case or
    punctuation count once."""
    unused: tuple[str, ...]
    """Entries that name no code (unknown, negated or about a relative), in input order."""


class _Role(Enum):
    """What a stretch of an entry is, for reading negation."""

    TERM = "a condition term"
    WORD = "any other word, or a phrase that only looks like a condition"
    BREAK = "a comma, colon, bracket or other separating mark"
    BEFORE = "negates the terms that follow"
    PREFIX = "negates the very next term"
    AFTER = "negates the terms before"
    NEUTRAL = "may stand between a negation and its term"
    JOINER = "joins terms under one negation"


_CUES: Final[Mapping[_Role, tuple[str, ...]]] = {
    _Role.BEFORE: (
        "no", "not", "without", "never", "denies", "denied", "negative for", "free of",
        "nil", "family history", "family hx", "FH",
    ),
    _Role.PREFIX: ("non",),
    _Role.AFTER: ("excluded", "ruled out", "negative", "absent"),
    _Role.NEUTRAL: (
        "known", "history", "hx", "of", "evidence", "sign", "signs", "any", "current",
        "currently", "longer", "on", "previous", "previously", "prior", "a", "an", "the",
        "diagnosed", "diagnosis", "been", "has", "have", "had", "was", "is", "screen",
        "serology", "test", "tested", "testing",
    ),
    _Role.JOINER: ("or", "and", "nor"),
}  # fmt: skip
_JOINING_MARKS: Final = frozenset("/&")

# A vocabulary code: a condition, a cue, or WORD for the "-" rows.
_Code: TypeAlias = ConditionCode | _Role


def parse_conditions(
    text: str, file: str = CONDITIONS_FILE
) -> tuple[Term[ConditionCode | None], ...]:
    """The terms of a `conditions.txt` text, None the code of a "-" row (a phrase that
    only looks like a condition); a bad row raises `DataFileError`."""
    cue_keys = {key(cue) for cues in _CUES.values() for cue in cues}
    seen: dict[tuple[str, str], int] = {}
    terms: list[Term[ConditionCode | None]] = []
    for row in parse_table(text, file, _COLUMNS):
        code = None if row["code"] == _NO_CODE else row.choice("code", CONDITION_CODES)
        term_key = key(row["term"])
        if not term_key:
            raise row.error(f"the term {row['term']!r} has no letters or digits")
        if term_key in cue_keys:
            raise row.error(f"the term {row['term']!r} is a negation or linking word")
        if (row["code"], term_key) in seen:
            raise row.error(
                f"{row['code']} {row['term']!r} is already listed at line "
                f"{seen[row['code'], term_key]}"
            )
        seen[row["code"], term_key] = row.line
        fuzzy = row.choice("typos", ("yes", "no")) == "yes"
        terms.append(Term(row["term"], code, fuzzy))
    return tuple(terms)


@cache
def _vocabulary() -> Vocabulary[_Code]:
    """Data terms first (so a match reports the reviewed term), then the codes, then the
    cues; built on first use."""
    terms: list[Term[_Code]] = [
        Term(t.text, _Role.WORD if t.code is None else t.code, t.fuzzy)
        for t in parse_conditions(data_text(CONDITIONS_FILE))
    ]
    terms += [Term(code, code) for code in CONDITION_CODES]
    terms += [Term(cue, role) for role, cues in _CUES.items() for cue in cues]
    return Vocabulary(terms)


def read_conditions(entries: Sequence[str]) -> ConditionReading:
    """Read `person.conditions`: the codes named, by which entry, and the entries unused.

    Negated terms and terms about a relative are not counted (module docstring).
    """
    if isinstance(entries, str):
        raise TypeError("read_conditions takes a sequence of entries, not a single string")
    if not entries:
        return _NONE_READ
    vocabulary = _vocabulary()
    matches: list[ConditionMatch] = []
    unused: list[str] = []
    seen: set[tuple[tuple[str, ...], ConditionCode | None]] = set()
    for entry in entries:
        same_entry = words(entry)
        toks = tokens(entry)
        named = _affirmed(_items(toks, vocabulary.scan(toks)))
        if not named and (same_entry, None) not in seen:
            seen.add((same_entry, None))
            unused.append(entry)
        for code, term in named.items():
            if (same_entry, code) not in seen:
                seen.add((same_entry, code))
                matches.append(ConditionMatch(entry, code, term))
    return ConditionReading(frozenset(m.code for m in matches), tuple(matches), tuple(unused))


_NONE_READ = ConditionReading(frozenset(), (), ())

_Item: TypeAlias = tuple[_Role, tuple[Hit[_Code], ...]]


def _items(toks: Sequence[str], hits: Sequence[Hit[_Code]]) -> list[_Item]:
    """The entry as a sequence of roles: each found term or cue, each other word, each mark."""
    at: dict[int, list[Hit[_Code]]] = {}
    for hit in hits:
        at.setdefault(hit.start, []).append(hit)
    items: list[_Item] = []
    i = 0
    while i < len(toks):
        group = at.get(i)
        if group:
            code = group[0].code
            items.append((code if isinstance(code, _Role) else _Role.TERM, tuple(group)))
            i = group[0].end
            continue
        if not is_mark(toks[i]):
            items.append((_Role.WORD, ()))
        elif set(toks[i]) <= _JOINING_MARKS:
            items.append((_Role.JOINER, ()))
        else:
            items.append((_Role.BREAK, ()))
        i += 1
    return items


def _affirmed(items: Sequence[_Item]) -> dict[ConditionCode, str]:
    """The codes named and not negated, in order, each with the first term that named it."""
    negated: set[int] = set()
    for n, (role, _) in enumerate(items):
        if role is _Role.BEFORE:
            negated.update(_scope(items, n + 1, 1))
        elif role is _Role.AFTER:
            negated.update(_scope(items, n - 1, -1))
        elif role is _Role.PREFIX and n + 1 < len(items) and items[n + 1][0] is _Role.TERM:
            negated.add(n + 1)
    named: dict[ConditionCode, str] = {}
    for n, (role, hits) in enumerate(items):
        if role is _Role.TERM and n not in negated:
            for hit in hits:
                if not isinstance(hit.code, _Role):
                    named.setdefault(hit.code, hit.term)
    return named


def _scope(items: Sequence[_Item], start: int, step: int) -> Iterator[int]:
    """The terms a negation reaches from `start` walking by `step`: the first term past
    neutral words, then each further term joined to it by "or", "and", "/" and the like."""
    want_term = True
    n = start
    while 0 <= n < len(items):
        role = items[n][0]
        if role is _Role.TERM and want_term:
            yield n
            want_term = False
        elif role is _Role.JOINER and not want_term:
            want_term = True
        elif role is not _Role.NEUTRAL:
            return
        n += step


def kidney_from_conditions(codes: Collection[ConditionCode]) -> KidneyCondition | None:
    """The kidney status the conditions state, if any.

    "ckd" and "dialysis" together give "dialysis": dialysis is chronic kidney disease
    stage 5D, so "CKD" and "on haemodialysis" describe the same person.
    """
    if "dialysis" in codes:
        return "dialysis"
    if "ckd" in codes:
        return "ckd"
    return None


def reconcile_kidney(
    kidney: Kidney | None, reading: ConditionReading, *, field: str = "person.kidney"
) -> Kidney | None:
    """`person.kidney` checked against the conditions, which are its synonyms.

    The conditions fill in a kidney status not given. A given status must agree with
    them: "dialysis" agrees with a CKD condition (dialysis is CKD stage 5D); "normal"
    disagrees with either, and "ckd" (chronic kidney disease not on dialysis) disagrees
    with a dialysis condition, since the two apply different iron rules and guessing
    which is right would be guessing the rule. A disagreement raises
    `ContradictionError` at `field`, naming the entry.
    """
    stated = kidney_from_conditions(reading.codes)
    if stated is None or kidney == "dialysis":
        return kidney
    if kidney is None or kidney == stated:
        return stated
    entry = next(m.entry for m in reading.matches if m.code == stated)
    consistent: tuple[Kidney, ...] = ("dialysis",) if stated == "dialysis" else ("ckd", "dialysis")
    raise ContradictionError(
        f"kidney {kidney!r} contradicts the condition {entry!r}, read as {stated}",
        field=field,
        value=kidney,
        accepted=consistent,
        hint=(
            'correct the kidney status or the condition; "ckd" means chronic kidney '
            "disease not on dialysis"
        ),
    )
