"""Server-side sign-in sessions: which person a browser's token belongs to, until when.

The token itself never reaches the database: a session is found by the SHA-256 of the
token. A slow hash (argon2) is not needed here, unlike for passwords: the token is 256
random bits, not something a person chose, so its hash cannot be reversed by guessing.
An expired session finds nobody; the person's expired rows are removed when they next sign
in. Deleting the person deletes their sessions (ON DELETE CASCADE). Times are given by the
caller (the app's clock), so tests need no waiting.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import delete, select

from rlsiron.store import models as orm
from rlsiron.store.database import Database
from rlsiron.store.owned import require_person


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(
    db: Database, person_id: int, token: str, *, now: dt.datetime, expires_at: dt.datetime
) -> None:
    """A new session for the person (`NotFoundError` when there is no such person)."""
    with db.transaction() as session:
        require_person(session, person_id, lock=True)
        session.execute(
            delete(orm.SignInSession).where(
                orm.SignInSession.person_id == person_id, orm.SignInSession.expires_at <= now
            )
        )
        session.add(
            orm.SignInSession(
                person_id=person_id,
                token_hash=token_hash(token),
                created_at=now,
                expires_at=expires_at,
            )
        )


def session_person(db: Database, token: str, *, now: dt.datetime) -> int | None:
    """The id of the person the token signs in, or None (unknown, ended or expired)."""
    with db.reading() as session:
        return session.scalars(
            select(orm.SignInSession.person_id).where(
                orm.SignInSession.token_hash == token_hash(token),
                orm.SignInSession.expires_at > now,
            )
        ).first()


def end_session(db: Database, token: str) -> None:
    """Sign one browser out (nothing happens for an unknown token)."""
    with db.transaction() as session:
        session.execute(
            delete(orm.SignInSession).where(orm.SignInSession.token_hash == token_hash(token))
        )


def end_sessions(db: Database, person_id: int) -> None:
    """Sign the person out everywhere (after a password change, for example)."""
    with db.transaction() as session:
        session.execute(delete(orm.SignInSession).where(orm.SignInSession.person_id == person_id))
