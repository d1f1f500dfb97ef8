"""Closed vocabularies recognised in the words people type: medicines, conditions, assays.

A `Vocabulary` is built from (term text -> code) pairs, each reviewed in a data file, and
finds the codes that one free-text entry names. The matching is the same for every
vocabulary and deliberately conservative, because a false match ("this worsens your
RLS", "you have haemochromatosis") misleads, while a miss is shown to the clinician:

- words, not substrings: "Advil" is not "Advil PM", "metformin" is not "metoclopramide",
  "osteoarthritis" is not "arthritis"; anything else in the entry (doses, forms, salts,
  release codes, "stage 3") is simply extra words and is ignored;
- a name split or hyphenated differently ("Chlor-Trimeton", "Tylenol P.M.", "breast
  feeding") is joined back, into at most `_EXTRA_PIECES` more pieces than the term has,
  but never across a mark that separates items: comma, slash, plus, brackets, semicolon
  and the like. A term that itself holds such a mark ("C282Y/H63D") matches only across
  a mark, and any such mark will do ("C282Y + H63D");
- at each word the longest term wins, so "Unisom SleepGels" is not read as "Unisom";
- a misspelling is accepted only for a term marked `fuzzy` that is a single word of
  `_FUZZY_MIN_LENGTH`+ letters, typed as one word with the same first letter, at least
  `_FUZZY_CUTOFF` similar, and closer to that term's codes than to any other's. Short
  words and brand names look like ordinary words ("Abilify" ~ "ability"), so they are
  never marked fuzzy.

Everything is case-insensitive and Unicode-aware (casefold). The index is built when a
`Vocabulary` is made; the modules that own one make it on first use, so importing them
stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

C = TypeVar("C", bound=Hashable)

# A misspelt word must be this similar (difflib ratio) to one term: "sertaline" and
# "quetiepine" pass (0.95, 0.90); "serotonin" vs sertraline (0.63), "domperidone" vs
# risperidone (0.73), "duloxetine" vs fluoxetine (0.80) and "malignant" vs malignancy
# (0.84) do not.
_FUZZY_CUTOFF: Final = 0.85
_FUZZY_MIN_LENGTH: Final = 6
# How many more pieces than its own words a term may be typed in ("Advil P.M." is the
# two-word "Advil PM" in three pieces).
_EXTRA_PIECES: Final = 2

# A token is a run of letters, a run of digits, or a run of separating marks. Spaces,
# full stops, apostrophes, hyphens and underscores only end a word: "Crohn's" is the
# words "crohn" and "s", "rheumatoid_arthritis" two words.
_TOKEN = re.compile(r"([^\W\d_]+|\d+)|[^\w\s.'’-]+")
# Every mark stands for the same separator in a term's key.
_MARK_KEY: Final = "|"


def tokens(text: str) -> tuple[str, ...]:
    """The words of `text`, casefolded, with each run of separating marks as one token.

    Marks are kept (spaces removed) so that callers can tell a slash from a comma; marks
    at the start or end separate nothing and are dropped.
    """
    out: list[str] = []
    for match in _TOKEN.finditer(text.casefold()):
        if match.group(1) is not None:
            out.append(match.group(1))
        elif out and is_mark(out[-1]):
            out[-1] += match.group()
        elif out:
            out.append(match.group())
    if out and is_mark(out[-1]):
        out.pop()
    return tuple(out)


def is_mark(token: str) -> bool:
    """Whether a token from `tokens` is a run of separating marks rather than a word."""
    return not token[0].isalnum()


def words(text: str) -> tuple[str, ...]:
    """The words of `text` alone: two entries with the same words say the same thing."""
    return tuple(t for t in tokens(text) if not is_mark(t))


def key(text: str) -> str:
    """The form a term is indexed under: its words joined, marks as one separator.

    Empty when the text has no words; loaders refuse such a term.
    """
    return _key(tokens(text))


def _key(toks: Sequence[str]) -> str:
    return "".join(_MARK_KEY if is_mark(t) else t for t in toks)


@dataclass(frozen=True, slots=True)
class Term(Generic[C]):
    """One name for a code, as written in a data file."""

    text: str
    code: C
    fuzzy: bool = False
    """Whether a misspelling may be accepted (only single words of 6+ letters qualify)."""


@dataclass(frozen=True, slots=True)
class Hit(Generic[C]):
    """A term found in an entry: its code, its text as written in the vocabulary, and the
    tokens (`tokens(entry)[start:end]`) it covers."""

    code: C
    term: str
    start: int
    end: int


class Vocabulary(Generic[C]):
    """Finds the codes named in free text; see the module docstring for the rules."""

    __slots__ = ("_exact", "_fuzzy", "_pieces", "_span", "terms")

    def __init__(self, terms: Iterable[Term[C]]) -> None:
        self.terms: tuple[Term[C], ...] = tuple(terms)
        exact: dict[str, list[tuple[C, str]]] = {}
        pieces: dict[str, int] = {}
        fuzzy: dict[str, set[str]] = {}
        for term in self.terms:
            toks = tokens(term.text)
            k = _key(toks)
            if not k:
                raise ValueError(f"term {term.text!r} has no words")
            pairs = exact.setdefault(k, [])
            if all(code != term.code for code, _ in pairs):
                pairs.append((term.code, term.text))
            pieces[k] = max(pieces.get(k, 0), len(toks) + _EXTRA_PIECES)
            if term.fuzzy and len(toks) == 1 and k.isalpha() and len(k) >= _FUZZY_MIN_LENGTH:
                fuzzy.setdefault(k[0], set()).add(k)
        self._exact = {k: tuple(v) for k, v in exact.items()}
        # The most tokens each key may be typed in.
        self._pieces = pieces
        self._fuzzy = {k: tuple(sorted(v)) for k, v in fuzzy.items()}
        self._span = max(pieces.values(), default=1)

    def scan(self, toks: Sequence[str]) -> tuple[Hit[C], ...]:
        """Every term found in `toks` (from `tokens`), in order; a term that stands for
        two codes ("Symbyax", "IBD") gives two hits over the same tokens."""
        hits: list[Hit[C]] = []
        i = 0
        while i < len(toks):
            if is_mark(toks[i]):
                i += 1
                continue
            for end in range(min(i + self._span, len(toks)), i, -1):
                k = _key(toks[i:end])
                pairs = self._exact.get(k, ()) if end - i <= self._pieces.get(k, 0) else ()
                if pairs:
                    break
            else:
                end = i + 1
                pairs = self._misspelt(toks[i])
            hits += (Hit(code, term, i, end) for code, term in pairs)
            i = end
        return tuple(hits)

    def find(self, entry: str) -> dict[C, tuple[str, ...]]:
        """The codes `entry` names, in order of first appearance, each with the terms that
        named it in order (a generic and its brand: "sertraline (Zoloft)")."""
        found: dict[C, list[str]] = {}
        for hit in self.scan(tokens(entry)):
            found.setdefault(hit.code, []).append(hit.term)
        return {code: tuple(terms) for code, terms in found.items()}

    def _misspelt(self, word: str) -> tuple[tuple[C, str], ...]:
        """The (code, term) pairs of the one term `word` is a misspelling of, if any."""
        if len(word) < _FUZZY_MIN_LENGTH or not word.isalpha():
            return ()
        from difflib import get_close_matches  # only when needed: keeps CLI start-up light

        close = get_close_matches(word, self._fuzzy.get(word[0], ()), n=3, cutoff=_FUZZY_CUTOFF)
        # Close to terms of different codes: guessing would be a coin toss.
        meanings = {frozenset(code for code, _ in self._exact[k]) for k in close}
        return self._exact[close[0]] if len(meanings) == 1 else ()
