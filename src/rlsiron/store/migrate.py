"""Schema migrations (Alembic) configured from code: no alembic.ini at run time.

The app calls `migrate(url)` on start; `downgrade(url)` goes back to an empty database.
The migration scripts live in the package (`migrations/`), so an installed wheel carries
them. To write the next migration after changing `models.py`, autogenerate it against a
database at head and review it (SQLite and PostgreSQL tests check models and migrations
agree):

    from alembic import command
    from rlsiron.store.migrate import alembic_config, migrate
    from rlsiron.store.database import engine_for, writing
    migrate("/tmp/dev.db")
    with writing(engine_for("/tmp/dev.db")) as connection:
        command.revision(alembic_config(connection), "what changed", autogenerate=True,
                         rev_id="0002")
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from rlsiron.store.database import engine_for, writing

MIGRATIONS: Final = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection) -> Config:
    """Alembic's configuration for the package's scripts, run on `connection`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # A new revision is linted and formatted as the rest of the code (only when one is
    # written, by a developer: ruff is a dev dependency).
    hooks = {"ruff_fix": "check --fix --exit-zero", "ruff_format": "format"}
    config.set_section_option("post_write_hooks", "hooks", ", ".join(hooks))
    for hook, command_line in hooks.items():
        config.set_section_option("post_write_hooks", f"{hook}.type", "module")
        config.set_section_option("post_write_hooks", f"{hook}.module", "ruff")
        options = f"{command_line} REVISION_SCRIPT_FILENAME"
        config.set_section_option("post_write_hooks", f"{hook}.options", options)
    config.attributes["connection"] = connection
    return config


def migrate(target: str | Path, revision: str = "head") -> None:
    """Upgrade the database (a URL, or a SQLite file path) to `revision`, in one transaction."""
    _run(target, lambda config: command.upgrade(config, revision))


def downgrade(target: str | Path, revision: str = "base") -> None:
    """Downgrade to `revision`; the default, base, drops every table of the store."""
    _run(target, lambda config: command.downgrade(config, revision))


def _run(target: str | Path, step: Callable[[Config], None]) -> None:
    engine = engine_for(target, foreign_keys=False)
    try:
        with writing(engine) as connection:
            step(alembic_config(connection))
    finally:
        engine.dispose()
