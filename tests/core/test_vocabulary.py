"""The shared word matcher that medicines, conditions and assays are recognised with.

`typed_like` is the hypothesis strategy the vocabulary tests share: a term as people
type it (any case, other spacing and hyphens, split or joined words, any separating mark
where the term has one, words around it).
"""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlsiron.core.knowledge.vocabulary import Hit, Term, Vocabulary, is_mark, key, tokens, words

# --- A strategy for the ways a term is typed ------------------------------------------

_JOINS = ["", " ", "  ", "-", " - ", ".", "_"]
_MARKS = ["/", " / ", "+", ", ", ";", " & "]
_PIECE = re.compile(r"([^\W_]+)|([^\w\s.'’-]+)|([\s.'’_-]+)")


@st.composite
def typed_like(
    draw: st.DrawFn, term: str, before: tuple[str, ...] = ("",), after: tuple[str, ...] = ("",)
) -> str:
    """`term` in any case, its words joined or spaced or hyphenated differently, at most
    one word split in two, any separating mark for its own, between `before` and `after`."""
    out: list[str] = []
    for match in _PIECE.finditer(term):
        word, mark, _ = match.groups()
        if word is not None:
            out.append("".join(c.upper() if draw(st.booleans()) else c.lower() for c in word))
        elif mark is not None:
            out.append(draw(st.sampled_from(_MARKS)))
        else:
            out.append(draw(st.sampled_from(_JOINS)))
    text = "".join(out)
    letters = [i for i in range(1, len(text)) if text[i - 1].isalpha() and text[i].isalpha()]
    if letters and draw(st.booleans()):
        cut = draw(st.sampled_from(letters))
        text = text[:cut] + draw(st.sampled_from([" ", "-"])) + text[cut:]
    return draw(st.sampled_from(before)) + text + draw(st.sampled_from(after))


# --- Tokens ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sertraline 50mg", ("sertraline", "50", "mg")),
        ("Chlor-Trimeton", ("chlor", "trimeton")),
        ("Crohn's disease", ("crohn", "s", "disease")),
        ("rheumatoid_arthritis", ("rheumatoid", "arthritis")),
        ("Tylenol P.M.", ("tylenol", "p", "m")),
        ("C282Y/H63D", ("c", "282", "y", "/", "h", "63", "d")),
        ("a ), b", ("a", "),", "b")),
        ("(Zoloft)", ("zoloft",)),
        ("  ", ()),
        ("STRASSE Straße", ("strasse", "strasse")),
    ],
)
def test_tokens_are_words_digits_and_runs_of_separating_marks(
    text: str, expected: tuple[str, ...]
) -> None:
    assert tokens(text) == expected


def test_words_drop_the_marks_and_key_joins_the_words() -> None:
    assert words("sertraline, 50 mg") == words("Sertraline 50mg") == ("sertraline", "50", "mg")
    assert key("Chlor-Trimeton") == key("chlor trimeton") == "chlortrimeton"
    assert key("C282Y/H63D") == key("C282Y + H63D") == "c282y|h63d"
    assert key(" - ") == ""
    assert is_mark("/") and not is_mark("a") and not is_mark("50")


# --- Matching ---------------------------------------------------------------------------

_VOCAB = Vocabulary(
    [
        Term("sertraline", "sertraline", fuzzy=True),
        Term("Zoloft", "sertraline"),
        Term("Advil PM", "diphenhydramine"),
        Term("Unisom", "doxylamine"),
        Term("Unisom SleepGels", "diphenhydramine"),
        Term("Symbyax", "fluoxetine"),
        Term("Symbyax", "olanzapine"),
        Term("citalopram", "citalopram", fuzzy=True),
        Term("escitalopram", "escitalopram", fuzzy=True),
        Term("C282Y/H63D", "hfe"),
        Term("promazine", "promazine", fuzzy=True),
        Term("promethazine", "promethazine", fuzzy=True),
        Term("Abilify", "aripiprazole"),
        Term("lithium", "lithium", fuzzy=True),
        Term("ESRD", "dialysis", fuzzy=True),
    ]
)


def _codes(entry: str) -> list[str]:
    return list(_VOCAB.find(entry))


@pytest.mark.parametrize(
    ("entry", "codes"),
    [
        ("Zoloft 50 mg", ["sertraline"]),
        ("advil p.m. caplets", ["diphenhydramine"]),
        ("AdvilPM", ["diphenhydramine"]),
        ("Advil", []),
        ("Unisom 25mg", ["doxylamine"]),
        ("Unisom Sleep Gels", ["diphenhydramine"]),  # the longest term wins
        ("Symbyax 6/25", ["fluoxetine", "olanzapine"]),
        ("escitalopram", ["escitalopram"]),  # words, not substrings
        ("Zoloftx", []),
        ("Zoloft, escitalopram", ["sertraline", "escitalopram"]),
        ("C282Y/H63D", ["hfe"]),
        ("c282y + h63d", ["hfe"]),  # any separating mark stands for the term's own
        ("C282Y H63D", []),  # but the term's mark is not optional
        ("Advil/PM", []),  # and no term is joined across a mark
        ("Advil (PM)", []),
        ("Ad vil P M", ["diphenhydramine"]),  # two pieces more than its words at most
        ("A d vil P M", []),
    ],
)
def test_terms_are_found_by_their_words(entry: str, codes: list[str]) -> None:
    assert _codes(entry) == codes


def test_find_gives_each_code_with_its_terms_in_order() -> None:
    assert _VOCAB.find("sertraline (Zoloft), sertraline") == {
        "sertraline": ("sertraline", "Zoloft", "sertraline")
    }


def test_scan_gives_token_spans_and_one_hit_per_code_of_a_shared_term() -> None:
    toks = tokens("take Symbyax daily")
    assert _VOCAB.scan(toks) == (
        Hit("fluoxetine", "Symbyax", 1, 2),
        Hit("olanzapine", "Symbyax", 1, 2),
    )


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        ("sertaline", ["sertraline"]),
        ("setraline 50mg", ["sertraline"]),
        ("lithum", ["lithium"]),
        ("ability", []),  # Abilify is a brand: never fuzzy
        ("xertraline", []),  # another first letter is never a typo we guess at
        ("promezine", []),  # close to promazine (0.89) and promethazine (0.86): no guess
        ("promazine", ["promazine"]),
        ("esrd", ["dialysis"]),  # exact
        ("esrdd", []),  # fuzzy needs 6+ letters
        ("citalopran", ["citalopram"]),
        ("ser traline", ["sertraline"]),  # split, then exact
    ],
)
def test_misspellings_are_accepted_only_for_long_fuzzy_words_of_one_meaning(
    typed: str, codes: list[str]
) -> None:
    assert _codes(typed) == codes


def test_a_term_without_words_is_refused() -> None:
    with pytest.raises(ValueError, match="has no words"):
        Vocabulary([Term("--", "x")])


def test_a_term_listed_twice_for_one_code_gives_one_hit() -> None:
    vocab = Vocabulary([Term("breastfeeding", "lactation"), Term("breast-feeding", "lactation")])
    assert vocab.find("breast feeding") == {"lactation": ("breastfeeding",)}


def test_the_vocabulary_keeps_its_terms() -> None:
    assert _VOCAB.terms[0] == Term("sertraline", "sertraline", fuzzy=True)


# --- Properties -------------------------------------------------------------------------

_TERMS = sorted({t.text for t in _VOCAB.terms})


@given(st.sampled_from(_TERMS).flatmap(lambda t: st.tuples(st.just(t), typed_like(t))))
def test_any_term_is_found_however_it_is_typed(case: tuple[str, str]) -> None:
    term, typed = case
    expected = {t.code for t in _VOCAB.terms if key(t.text) == key(term)}
    assert expected <= set(_VOCAB.find(typed))


@given(st.text(max_size=80))
def test_any_text_is_scanned_into_ordered_non_overlapping_hits(text: str) -> None:
    toks = tokens(text)
    spans = list(dict.fromkeys((hit.start, hit.end) for hit in _VOCAB.scan(toks)))
    for start, end in spans:
        assert 0 <= start < end <= len(toks)
        assert not is_mark(toks[start])
    assert all(a[1] <= b[0] for a, b in pairwise(spans))


@given(st.text(max_size=80))
def test_tokens_never_start_or_end_with_a_mark_nor_hold_two_marks_in_a_row(text: str) -> None:
    toks = tokens(text)
    assert all(toks)
    if toks:
        assert not is_mark(toks[0]) and not is_mark(toks[-1])
    assert not any(is_mark(a) and is_mark(b) for a, b in pairwise(toks))
