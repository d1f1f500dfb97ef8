"""`rlsiron admin` as an operator runs it, on a temporary SQLite data directory, checked
through the app itself: the first administrator signs in with the password given and finds
the clinic; after a reset the old password and every old session are refused and the new
password works; an invitation printed by the CLI makes a clinician. Bad input is exit 2
with the reason on stderr and nothing written."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner, Result

from rlsiron import cli
from rlsiron.store import Database, create_share_code, find_account, redeem_share_code
from rlsiron.store.clinic import clinics_of, organisation_named
from tests.store.helpers import make_person
from tests.store.test_clinic import snapshot
from tests.web.conftest import Clock, Visitor, make_app

runner: Final = CliRunner()
PASSWORD: Final = "a long passphrase for the clinic"
NEW_PASSWORD: Final = "another passphrase, just as long"
CLINIC: Final = "Sleep clinic"
NOW: Final = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)


def run(*args: str, stdin: str | None = None) -> Result:
    return runner.invoke(cli.app, ["admin", *args], input=stdin)


def succeeded(result: Result) -> Result:
    assert result.exception is None, result.exception
    assert result.exit_code == 0, result.stderr
    return result


def refused(result: Result, reason: str) -> None:
    """Exit 2, the reason on stderr and no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert reason in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def app(data_dir: Path) -> Iterator[FastAPI]:
    """The app `rlsiron serve --data-dir` would serve from the same directory."""
    built = make_app(str(data_dir / "rlsiron.db"), data_dir, Clock())
    yield built
    built.state.rlsiron.db.close()


def database(data_dir: Path) -> Database:
    return Database.open(data_dir / "rlsiron.db")


def new_email() -> str:
    return f"{uuid.uuid4().hex[:12]}@Clinic.example"


def signed_in(app: FastAPI, email: str, password: str) -> Visitor | None:
    """A browser signed in with the email and password, None when refused."""
    visitor = Visitor(app, email=email)
    answer = visitor.call("POST", "/api/v1/session", json={"email": email, "password": password})
    if answer.status_code != 200:
        return None
    visitor.csrf = answer.json()["csrf_token"]
    return visitor


def create_clinic(data_dir: Path, email: str, name: str = CLINIC) -> Result:
    args = ("create-clinic", name, "--admin", email, "--password-stdin")
    return run(*args, "--data-dir", str(data_dir), stdin=f"{PASSWORD}\n")


# ---------------------------------------------------------------- create-clinic


def test_the_first_administrator_signs_in_and_finds_the_clinic(data_dir: Path) -> None:
    email = new_email()
    done = succeeded(create_clinic(data_dir, email))  # before the app ever started
    assert f"clinic '{CLINIC}'" in done.stdout and "a new account" in done.stdout
    assert PASSWORD not in done.stdout + done.stderr

    app = make_app(str(data_dir / "rlsiron.db"), data_dir, Clock())
    try:
        admin = signed_in(app, email, PASSWORD)
        assert admin is not None
        (clinic,) = admin.call("GET", "/api/v1/me/clinics").json()
        assert (clinic["organisation"], clinic["role"]) == (CLINIC, "admin")
        members = admin.call("GET", f"/api/v1/clinics/{clinic['organisation_id']}/members")
        assert [m["email"] for m in members.json()] == [email.lower()]
    finally:
        app.state.rlsiron.db.close()


def test_the_password_is_asked_twice_without_being_shown(data_dir: Path, app: FastAPI) -> None:
    email = new_email()
    result = run(
        "create-clinic", CLINIC, "--admin", email, "--data-dir", str(data_dir),
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip
    succeeded(result)
    assert "New password" in result.stdout and "Repeat for confirmation" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    assert signed_in(app, email, PASSWORD) is not None


def test_an_existing_account_becomes_administrator_with_its_password_unchanged(
    data_dir: Path, app: FastAPI
) -> None:
    person = Visitor(app).sign_up()  # signs up with tests.web.conftest.PASSWORD
    done = succeeded(
        run("create-clinic", "Other clinic", "--admin", person.email, "--data-dir", str(data_dir))
    )
    assert "its password is unchanged" in done.stdout
    assert "New password" not in done.stdout  # nothing was asked
    (clinic,) = person.call("GET", "/api/v1/me/clinics").json()
    assert clinic["role"] == "admin"


def test_a_taken_name_a_short_password_or_a_bad_email_writes_nothing(data_dir: Path) -> None:
    succeeded(create_clinic(data_dir, new_email()))
    db = database(data_dir)
    try:
        before = snapshot(db)
        refused(create_clinic(data_dir, new_email()), "a clinic of this name exists already")
        email = new_email()
        short = run(
            "create-clinic", "Second", "--admin", email, "--password-stdin", "--data-dir",
            str(data_dir), stdin="too short\n",
        )  # fmt: skip
        refused(short, "the password is shorter than 16 characters")
        refused(create_clinic(data_dir, "not an email", name="Third"), "is not an email address")
        blank = run("create-clinic", "  ", "--admin", email, "--data-dir", str(data_dir))
        refused(blank, "a clinic needs a name")
        assert "New password" not in blank.stdout  # refused before a password is asked for
        assert find_account(db, email) is None
        assert organisation_named(db, "Second") is None and organisation_named(db, "Third") is None
        assert snapshot(db) == before
    finally:
        db.close()


# ---------------------------------------------------------------- reset-password


def test_a_reset_password_works_and_ends_every_old_session(data_dir: Path, app: FastAPI) -> None:
    email = new_email()
    succeeded(create_clinic(data_dir, email))
    old_session = signed_in(app, email, PASSWORD)
    assert old_session is not None
    assert old_session.call("GET", "/api/v1/me").status_code == 200

    args = ("reset-password", email.upper(), "--password-stdin", "--data-dir", str(data_dir))
    done = succeeded(run(*args, stdin=f"{NEW_PASSWORD}\n"))
    assert "every session of it ended" in done.stdout

    assert old_session.call("GET", "/api/v1/me").status_code == 401  # signed out
    assert signed_in(app, email, PASSWORD) is None
    again = signed_in(app, email, NEW_PASSWORD)
    assert again is not None and again.call("GET", "/api/v1/me").status_code == 200


def test_a_reset_for_nobody_or_with_a_short_password_changes_nothing(
    data_dir: Path, app: FastAPI
) -> None:
    email = new_email()
    succeeded(create_clinic(data_dir, email))
    session = signed_in(app, email, PASSWORD)
    assert session is not None
    nobody = run(
        "reset-password",
        new_email(),
        "--password-stdin",
        "--data-dir",
        str(data_dir),
        stdin=f"{NEW_PASSWORD}\n",
    )
    refused(nobody, "no account has the email")
    short = run(
        "reset-password", email, "--password-stdin", "--data-dir", str(data_dir), stdin="short\n"
    )
    refused(short, "shorter than 16 characters")
    assert session.call("GET", "/api/v1/me").status_code == 200
    assert signed_in(app, email, PASSWORD) is not None


# ---------------------------------------------------------------- invite-clinician


def test_the_printed_invitation_makes_a_clinician(data_dir: Path, app: FastAPI) -> None:
    succeeded(create_clinic(data_dir, new_email()))
    done = succeeded(run("invite-clinician", f" {CLINIC} ", "--data-dir", str(data_dir)))
    code = done.stdout.strip()
    assert "\n" not in code and "works once" in done.stderr
    colleague = Visitor(app).sign_up()
    joined = colleague.call("POST", "/api/v1/me/clinics/join", json={"code": code})
    assert joined.status_code == 201, joined.text
    assert (joined.json()["organisation"], joined.json()["role"]) == (CLINIC, "clinician")


def test_the_nightly_refresh_assesses_each_clinics_patients_again(data_dir: Path) -> None:
    succeeded(create_clinic(data_dir, new_email()))
    db = database(data_dir)
    try:
        found = organisation_named(db, CLINIC)
        assert found is not None
        patient = make_person(db)
        code = create_share_code(db, patient.id, now=NOW, lifetime=dt.timedelta(days=1))
        redeem_share_code(db, code, found.id, now=NOW)
    finally:
        db.close()
    first = succeeded(run("refresh-worklist", "--data-dir", str(data_dir)))
    assert first.stdout == f"{CLINIC}: 1 of its patients assessed again\n"
    again = succeeded(run("refresh-worklist", "--data-dir", str(data_dir)))
    assert again.stdout == f"{CLINIC}: 0 of its patients assessed again\n"  # done for today


def test_an_unknown_clinic_is_refused(data_dir: Path) -> None:
    refused(run("invite-clinician", "Nowhere", "--data-dir", str(data_dir)), "no clinic is named")


def test_without_data_dir_the_database_is_the_one_serve_would_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = tmp_path / "elsewhere.db"
    monkeypatch.setenv("DATABASE_URL", str(chosen))
    email = new_email()
    result = run("create-clinic", CLINIC, "--admin", email, "--password-stdin", stdin=PASSWORD)
    succeeded(result)
    db = Database.open(chosen)
    try:
        account = find_account(db, email)
        assert account is not None
        assert [c.organisation for c in clinics_of(db, account.id)] == [CLINIC]
    finally:
        db.close()
