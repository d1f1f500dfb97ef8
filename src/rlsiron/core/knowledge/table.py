"""The core's packaged knowledge files (`core/knowledge/data/`), read as pipe tables."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources

from rlsiron.pipe_table import Row, parse_table

_PACKAGE = "rlsiron.core.knowledge"


@cache
def data_text(name: str) -> str:
    """The text of a packaged data file (`data/<name>`)."""
    return resources.files(_PACKAGE).joinpath("data", name).read_text(encoding="utf-8")


def load_table(name: str, columns: Sequence[str]) -> tuple[Row, ...]:
    """The rows of the packaged data file `name`."""
    return parse_table(data_text(name), name, columns)
