"""The column headings a lab table prints, from data/table_headers.txt.

Exports name the same column many ways ("Collection Date", "DATE", "Datum"); the spellings are
data a reviewer can check line by line, each with where it comes from, read here with the
knowledge tables' own reader. A malformed row (an unknown role, a spelling listed twice) fails
when the table reader is first imported, naming the file and line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from types import MappingProxyType
from typing import Final, Literal, NamedTuple, get_args

from rlsiron.core.labs.analytes import normalise_name
from rlsiron.pipe_table import Row, parse_table

Role = Literal[
    "date",
    "time",
    "code",
    "test",
    "value",
    "unit",
    "range",
    "low",
    "high",
    "flag",
    "assay",
    "patient",
]
ROLES: Final[tuple[Role, ...]] = get_args(Role)

_FILE: Final = "table_headers.txt"
_COLUMNS: Final = ("role", "header", "source")


class Spelling(NamedTuple):
    """What a heading holds, and how it ranks against other spellings of that role."""

    role: Role
    rank: int  # the row's place in the file: the first spelling listed wins a role


def read_spellings(
    rows: Sequence[Row],
) -> tuple[Mapping[str, Spelling], Mapping[Role, tuple[str, ...]]]:
    """Normalised spelling -> (role, rank), and each role's spellings as printed.

    Fails with the file and line of a row whose role is unknown, whose source is empty, or
    whose heading is already listed once normalised.
    """
    spellings: dict[str, Spelling] = {}
    printed: dict[Role, list[str]] = {role: [] for role in ROLES}
    for rank, row in enumerate(rows):
        role = row.choice("role", ROLES)
        key = normalise_name(row["header"])
        if not key:
            raise row.error(f"header {row['header']!r} has no letters or digits")
        if not row["source"]:
            raise row.error("column 'source' is empty")
        if key in spellings:
            raise row.error(f"header {row['header']!r} repeats a spelling of {spellings[key].role}")
        spellings[key] = Spelling(role, rank)
        printed[role].append(row["header"])
    return MappingProxyType(spellings), MappingProxyType({r: tuple(h) for r, h in printed.items()})


_SPELLINGS, _PRINTED = read_spellings(
    parse_table(
        resources.files("rlsiron.io").joinpath("data", _FILE).read_text(encoding="utf-8"),
        _FILE,
        _COLUMNS,
    )
)


def role_of(heading: str) -> Role | None:
    """The role of a heading, or None when it is not one the tables list."""
    spelling = _SPELLINGS.get(normalise_name(heading))
    return None if spelling is None else spelling.role


def roles_of(headings: Sequence[str]) -> dict[Role, int]:
    """Role -> column index of a header row; of two columns for one role, the better spelling."""
    best: dict[Role, tuple[int, int]] = {}  # role -> (rank, column)
    for column, heading in enumerate(headings):
        spelling = _SPELLINGS.get(normalise_name(heading))
        if spelling is not None:
            candidate = (spelling.rank, column)
            best[spelling.role] = min(best.get(spelling.role, candidate), candidate)
    return {role: column for role, (_, column) in best.items()}


def accepted_headings() -> tuple[str, ...]:
    """Every role with its spellings, for a message about a header nothing matched."""
    return tuple(f"{role}: {', '.join(_PRINTED[role])}" for role in ROLES if _PRINTED[role])
