"""Month names as lab reports and exports print them: whole, cut ("Sept."), any case.

Shared by the table and lab-report readers, which both meet "4 Mar 2025" and "March 4, 2025".
"""

from __future__ import annotations

from typing import Final

# Months are told apart by their first three letters.
MONTH_STEMS: Final = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)


def month_number(word: str) -> int | None:
    """1-12 for a month's name or its start ("Mar", "March", "sept"), else None."""
    stem = word.casefold()[: len(MONTH_STEMS[0])]
    return MONTH_STEMS.index(stem) + 1 if stem in MONTH_STEMS else None
