"""`rlsiron admin`: what the server's operator does that no page can (no mail server is
assumed, so nothing is ever sent by email).

    rlsiron admin create-clinic "Sleep clinic" --admin ada@clinic.example
    rlsiron admin reset-password ada@clinic.example --password-stdin < new-password
    rlsiron admin invite-clinician "Sleep clinic"          # prints a single-use code

The database is chosen exactly as `rlsiron serve` chooses it (`web.settings.Settings`:
`--data-dir`, else `DATABASE_URL`, else the user's data directory) and migrated first, so
the first administrator can be made before the server first starts. A password is read
with a hidden prompt (asked twice) or, for scripts, from standard input, and must pass the
app's own length rules. Bad input (an unknown clinic or account, a taken name, a short
password) is said on stderr with exit status 2.

Store, web and argon2 modules are imported inside the commands: `rlsiron` imports this
module at start, and the cold start of an assessment is a measured target.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rlsiron.store import Database
    from rlsiron.web.settings import Settings

admin = typer.Typer(
    name="admin",
    help="The clinic's operator: the first administrator, passwords, invitations.",
    no_args_is_help=True,
)

DataDir = Annotated[
    Path | None,
    typer.Option(
        help="Where the SQLite database lives, as for `rlsiron serve` (default: the user's "
        "data directory; DATABASE_URL=postgresql://... takes the shared database)."
    ),
]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from standard input (its first line) instead of a prompt.",
    ),
]


def register(app: typer.Typer) -> None:
    """`rlsiron admin ...` added to the `rlsiron` command."""
    app.add_typer(admin)


def settings_for(data_dir: Path | None) -> Settings:
    """The settings `rlsiron serve --data-dir` would use (the environment's otherwise)."""
    from rlsiron.web.settings import Settings

    return Settings() if data_dir is None else Settings(data_dir=data_dir)


def open_database(data_dir: Path | None) -> tuple[Settings, Database]:
    """The app's database, migrated to head (a new data directory gets its schema)."""
    from rlsiron.store import Database, migrate

    settings = settings_for(data_dir)
    migrate(settings.database())
    return settings, Database.open(settings.database())


def _new_password_hash(settings: Settings, from_stdin: bool) -> str:
    """A new password, read and checked against the app's rules, as argon2id."""
    from rlsiron.cli import env, fail
    from rlsiron.web.passwords import Passwords

    if from_stdin:
        lines = env.stdin.read().splitlines()
        password = lines[0] if lines else ""
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    least, most = settings.password_min_length, settings.password_max_length
    if len(password) < least:
        fail(
            f"the password is shorter than {least} characters: a passphrase of a few words "
            "is long enough and easy to remember"
        )
    if len(password) > most:
        fail(f"the password is longer than {most} characters")
    return Passwords().hash(password)


@admin.command("create-clinic")
def create_clinic(
    name: Annotated[str, typer.Argument(help="The clinic's name, as its staff will see it.")],
    admin_email: Annotated[
        str,
        typer.Option(
            "--admin",
            help="The first administrator's email; the account is created (asking for its "
            "password) when there is none.",
        ),
    ],
    data_dir: DataDir = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """A new clinic with its first administrator.

    The name is checked before a password is asked for; a new account is made first, then
    the clinic with its administrator in one transaction (an account without a clinic is a
    whole account, as one signed up on the page is).
    """
    from rlsiron.cli import env, fail
    from rlsiron.errors import RlsironError
    from rlsiron.store import create_person, find_account
    from rlsiron.store.clinic import create_organisation, free_clinic_name

    settings, db = open_database(data_dir)
    try:
        free_clinic_name(db, name)
        account = find_account(db, admin_email)
        if account is None:
            password_hash = _new_password_hash(settings, password_stdin)
            admin_id = create_person(db, admin_email, password_hash).id
            made = "a new account"
        else:
            admin_id, made = account.id, "the existing account (its password is unchanged)"
        clinic = create_organisation(db, name, first_admin=admin_id)
    except RlsironError as exc:
        fail(exc.describe())
    finally:
        db.close()
    env.stdout.write(
        f"clinic {clinic.name!r} (id {clinic.id}) created; its administrator is "
        f"{admin_email.strip().lower()}, {made}\n"
    )


@admin.command("reset-password")
def reset_password(
    email: Annotated[str, typer.Argument(help="The account's email.")],
    data_dir: DataDir = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """A new password for the account; every session of it ends."""
    from rlsiron.cli import env, fail
    from rlsiron.store import find_account
    from rlsiron.store.clinic import reset_password as replace_password

    settings, db = open_database(data_dir)
    try:
        account = find_account(db, email)
        if account is None:
            fail(f"no account has the email {email!r}")
        replace_password(db, account.id, _new_password_hash(settings, password_stdin))
    finally:
        db.close()
    env.stdout.write(f"the password of {account.email} is changed; every session of it ended\n")


@admin.command("invite-clinician")
def invite_clinician(
    clinic: Annotated[str, typer.Argument(help="The clinic's name.")],
    data_dir: DataDir = None,
) -> None:
    """A clinician's single-use invitation code, printed alone on standard output.

    Whoever enters it, signed in, on the page "Your clinics" becomes a clinician of the
    clinic; what it is and when it expires is said on stderr.
    """
    from rlsiron.cli import env, fail
    from rlsiron.store.clinic import invite_staff, organisation_named

    settings, db = open_database(data_dir)
    lifetime = settings.invitation_lifetime
    try:
        found = organisation_named(db, clinic)
        if found is None:
            fail(f"no clinic is named {clinic!r}")
        now = env.now
        code = invite_staff(db, found.id, "clinician", created_by=None, now=now, lifetime=lifetime)
    finally:
        db.close()
    env.stdout.write(f"{code}\n")
    env.stderr.write(
        f"rlsiron: a clinician's invitation to {found.name!r}: it works once, until "
        f"{(now + lifetime).isoformat(timespec='minutes')}; they enter it on the "
        "page Your clinics (/clinics)\n"
    )


@admin.command("refresh-worklist")
def refresh_worklists(data_dir: DataDir = None) -> None:
    """Assess every linked patient of every clinic again as of today (run it nightly).

    A page view recomputes only patients whose records changed; a standing also ages with
    the calendar (a panel passing a year, a recheck falling due), which this catches.
    """
    from sqlalchemy import select

    from rlsiron.cli import env
    from rlsiron.store import models as orm
    from rlsiron.store.worklist import refresh_worklist

    _, db = open_database(data_dir)
    try:
        with db.reading() as session:
            clinics = session.execute(
                select(orm.Organisation.id, orm.Organisation.name).order_by(orm.Organisation.id)
            ).all()
        for clinic_id, name in clinics:
            done = refresh_worklist(db, clinic_id, env.today, every_day=True)
            env.stdout.write(f"{name}: {done} of its patients assessed again\n")
    finally:
        db.close()
