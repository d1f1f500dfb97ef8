"""The reader of the data files: pipe-separated tables a clinician can review.

Below the core and the diet (as `errors` is), so that both read their tables the same way;
`core.knowledge.table` finds the core's own files.

Every knowledge file (`data/*.txt`) has the same shape, after pint's definitions file:
a header of `#` comment lines that explains the columns and the conventions, then one
line of column names, then one row per line, cells separated by `|`. Blank lines and
lines starting with `#` are ignored anywhere; a cell is stripped of surrounding spaces.

    # thresholds.txt: every clinical number ...
    id                   | subject | op | value | unit | evidence | sources   | meaning
    tsat.contraindicated | tsat    | >= | 45    | %    | P        | AASM-2024 | TSAT at which ...

This module only splits rows; each loader checks its own columns and values and raises
`DataFileError` naming the file and line, so a bad row fails at import, not at a patient.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


class DataFileError(Exception):
    """A shipped data file is malformed: a programming error, reported with file and line."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class Row:
    """One table row: its cells by column name, and where it came from."""

    file: str
    line: int
    cells: Mapping[str, str]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def __getitem__(self, column: str) -> str:
        return self.cells[column]

    def error(self, message: str) -> DataFileError:
        return DataFileError(self.where, message)

    def words(self, column: str) -> tuple[str, ...]:
        """A cell holding a space-separated list ("AASM-2024 AASLD-2011")."""
        return tuple(self.cells[column].split())

    def items(self, column: str, separator: str = ";") -> tuple[str, ...]:
        """A cell holding a list of phrases ("Iron, Total; Iron Bind.Cap.(TIBC)")."""
        return tuple(p.strip() for p in self.cells[column].split(separator) if p.strip())

    def number(self, column: str) -> float:
        try:
            return float(self.cells[column])
        except ValueError:
            raise self.error(f"column {column!r} is not a number: {self.cells[column]!r}") from None

    def optional_number(self, column: str) -> float | None:
        return None if self.cells[column] in ("", "-") else self.number(column)

    def choice(self, column: str, allowed: Sequence[T]) -> T:
        return choose(self.cells[column], allowed, f"column {column!r}", self.where)


def choose(value: object, allowed: Sequence[T], what: str, where: str) -> T:
    """The member of `allowed` equal to `value` (typed as the member, so a Literal stays
    narrow), or a DataFileError naming what was found and what is allowed."""
    for member in allowed:
        if member == value:
            return member
    raise DataFileError(where, f"{what} is {value!r}; allowed: {', '.join(map(str, allowed))}")


def _split(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("|")]


def parse_table(text: str, file: str, columns: Sequence[str]) -> tuple[Row, ...]:
    """Rows of `text`, whose header must name exactly `columns` in that order."""
    rows: list[Row] = []
    header: list[str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = _split(line)
        if header is None:
            header = cells
            if tuple(header) != tuple(columns):
                raise DataFileError(
                    f"{file}:{number}",
                    f"header is {' | '.join(header)}; expected {' | '.join(columns)}",
                )
            continue
        if len(cells) != len(header):
            raise DataFileError(
                f"{file}:{number}", f"{len(cells)} cells where the header has {len(header)}"
            )
        rows.append(Row(file, number, dict(zip(header, cells, strict=True))))
    if header is None:
        raise DataFileError(file, "no header line")
    return tuple(rows)


def unique(rows: Sequence[Row], column: str) -> Iterator[tuple[str, Row]]:
    """(key, row) pairs, refusing a key that appears twice."""
    seen: dict[str, Row] = {}
    for row in rows:
        key = row[column]
        if key in seen:
            raise row.error(f"{column} {key!r} already defined at line {seen[key].line}")
        seen[key] = row
        yield key, row
