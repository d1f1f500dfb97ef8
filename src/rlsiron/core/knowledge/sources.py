"""The sources that findings, rules and thresholds cite, by the short ids of REFERENCE.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from rlsiron.core.knowledge.table import load_table
from rlsiron.pipe_table import DataFileError, unique

SOURCES: Mapping[str, str] = MappingProxyType(
    {
        key: row["citation"]
        for key, row in unique(load_table("sources.txt", ("id", "citation")), "id")
    }
)


def check_sources(ids: Sequence[str], where: str) -> tuple[str, ...]:
    """The ids, refusing any that sources.txt does not define (named with `where`)."""
    unknown = [s for s in ids if s not in SOURCES]
    if unknown:
        raise DataFileError(where, f"unknown source ids {unknown}")
    return tuple(ids)
