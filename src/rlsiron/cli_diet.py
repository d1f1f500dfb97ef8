"""`rlsiron foods`, `rlsiron meal` and `rlsiron plan-day`: the diet on the command line.

Diet modules are imported inside the commands: `rlsiron` imports this module at start, and
the cold start of an assessment is a measured target.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds the diet's commands to the `rlsiron` command."""
    del app  # the commands arrive with issue 10
