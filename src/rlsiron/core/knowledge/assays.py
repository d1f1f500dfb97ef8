"""The ferritin assay of a lab result, read from the name on the report.

Only the manufacturer matters to the rules: a Roche ferritin reads higher than the
Beckman one the thresholds come from (ASSAY-116). `assay` is therefore a closed
vocabulary of manufacturers (REFERENCE.md, additions of 2026-11-24, "Assays");
`data/assays.txt` lists, for review, the manufacturer, platform and analyser names that
stand for each, and the shared word matcher (`vocabulary.py`) finds them, so "Roche cobas
e 801" and "Elecsys" both read as roche.

An assay is never guessed: text that names no manufacturer, or two different ones
("Beckman or Roche"), raises `UnknownTermError` listing the accepted names, and the
person can always say "other".
"""

from __future__ import annotations

from functools import cache
from typing import Final, Literal, get_args

from rlsiron.core.knowledge.table import data_text
from rlsiron.core.knowledge.vocabulary import Term, Vocabulary, key
from rlsiron.errors import UnknownTermError
from rlsiron.pipe_table import parse_table

Assay = Literal["roche", "beckman", "abbott", "siemens", "other"]
ASSAYS: Final[tuple[Assay, ...]] = get_args(Assay)

ASSAYS_FILE = "assays.txt"
_COLUMNS = ("code", "term", "typos", "shown", "note")


def parse_assays(text: str, file: str = ASSAYS_FILE) -> tuple[tuple[Term[Assay], bool], ...]:
    """The terms of an `assays.txt` text, each with whether it is shown in error messages;
    a bad row raises `DataFileError`."""
    seen: dict[str, int] = {}
    terms: list[tuple[Term[Assay], bool]] = []
    for row in parse_table(text, file, _COLUMNS):
        code = row.choice("code", ASSAYS)
        term_key = key(row["term"])
        if not term_key:
            raise row.error(f"the term {row['term']!r} has no letters or digits")
        if term_key in seen:
            raise row.error(f"the term {row['term']!r} is already listed at line {seen[term_key]}")
        seen[term_key] = row.line
        fuzzy = row.choice("typos", ("yes", "no")) == "yes"
        terms.append((Term(row["term"], code, fuzzy), row.choice("shown", ("yes", "no")) == "yes"))
    return tuple(terms)


@cache
def _assays() -> tuple[Vocabulary[Assay], tuple[str, ...]]:
    """The vocabulary (data terms, then the codes) and the accepted names, on first use."""
    rows = parse_assays(data_text(ASSAYS_FILE))
    vocabulary = Vocabulary([*(term for term, _ in rows), *(Term(c, c) for c in ASSAYS)])
    accepted: list[str] = []
    for code in ASSAYS:
        names = [t.text for t, shown in rows if shown and t.code == code and key(t.text) != code]
        accepted.append(f"{code} ({', '.join(names)})" if names else code)
    return vocabulary, tuple(accepted)


def resolve_assay(text: str, *, field: str) -> Assay:
    """The manufacturer `text` names, or `UnknownTermError` at `field` listing the
    accepted names when it names none or more than one."""
    vocabulary, accepted = _assays()
    codes = list(vocabulary.find(text))
    if len(codes) == 1:
        return codes[0]
    message = (
        f"names more than one assay manufacturer ({', '.join(codes)})"
        if codes
        else "is not a ferritin assay we know"
    )
    raise UnknownTermError(
        message,
        field=field,
        value=text,
        accepted=accepted,
        hint='give the manufacturer or the analyser, or "other" for any other assay',
    )
