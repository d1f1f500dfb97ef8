"""`rlsiron backup PATH` and `rlsiron restore PATH`: the operator's commands.

The database is chosen as `rlsiron serve` chooses it (`web.settings.Settings`): `--data-dir`
for the SQLite file there, or `DATABASE_URL` for PostgreSQL, so the commands act on the
database the app serves. The work is `store.backup`'s; here are only the options and the
messages. Modules are imported inside the commands, as in `cli.py` (a cold start of the
CLI is measured), and `cli` itself there too: it imports this module while it loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rlsiron.web.settings import Settings

_DATA_DIR_HELP = (
    "Where the app's SQLite database lives, as for `rlsiron serve` (default: the user's data "
    "directory; DATABASE_URL=postgresql://... chooses PostgreSQL)."
)
DataDir = Annotated[Path | None, typer.Option(help=_DATA_DIR_HELP)]
_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _settings(data_dir: Path | None) -> Settings:
    from rlsiron.web.settings import Settings

    return Settings() if data_dir is None else Settings(data_dir=data_dir)


def backup(
    path: Annotated[Path, typer.Argument(help="The backup file to write (replaced if there).")],
    data_dir: DataDir = None,
) -> None:
    """Back up the app's database: a SQLite copy, or a pg_dump custom archive."""
    from rlsiron import cli
    from rlsiron.store.backup import BackupError
    from rlsiron.store.backup import backup as back_up

    try:
        backend = back_up(_settings(data_dir).database(), path)
    except BackupError as exc:
        cli.fail(str(exc))
    size = path.stat().st_size
    cli.env.stderr.write(
        f"rlsiron: {_NAMES[backend]} database backed up to {path} ({size} bytes)\n"
    )


def restore(
    path: Annotated[Path, typer.Argument(help="A backup written by `rlsiron backup`.")],
    data_dir: DataDir = None,
    force: Annotated[
        bool, typer.Option(help="Replace a database that holds data (it is lost).")
    ] = False,
) -> None:
    """Restore a backup into the app's database (empty, unless --force) and migrate it.
    Stop the app first."""
    from rlsiron import cli
    from rlsiron.store.backup import BackupError
    from rlsiron.store.backup import restore as restore_backup

    try:
        backend = restore_backup(_settings(data_dir).database(), path, force=force)
    except BackupError as exc:
        cli.fail(str(exc))
    cli.env.stderr.write(f"rlsiron: {path} restored into the {_NAMES[backend]} database\n")


def register(app: typer.Typer) -> None:
    """Adds `backup` and `restore` to the `rlsiron` command."""
    app.command()(backup)
    app.command()(restore)
