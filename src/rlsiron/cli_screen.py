"""`rlsiron screen`: care gaps for a population, with the engine's own rules.

Screener modules (Ibis, DuckDB, PySpark) are imported inside the command: `rlsiron` imports
this module at start, and the cold start of an assessment is a measured target.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds `screen` to the `rlsiron` command."""
    del app  # the command arrives with issue 9
