"""Token ids of CDS clients, remembered in the database until their tokens expire.

The CDS Hooks service refuses a token whose `jti` it has seen (`io.cdshooks.trust`). In one
process a set in memory does that; with several worker processes behind a proxy, a token
replayed to another worker would pass, so a clinic's deployment gives the service this
guard instead: one row per (issuer, jti), inserted only if absent, in one statement that the
database makes atomic across processes (SQLite's and PostgreSQL's ON CONFLICT DO NOTHING).
Expired rows are removed as new ones arrive (an index on the expiry keeps that cheap).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from anyio import to_thread
from sqlalchemy import Insert, delete
from sqlalchemy.dialects import postgresql, sqlite

from rlsiron.store import models as orm
from rlsiron.store.column_types import utc_now
from rlsiron.store.database import Database


def _insert_if_absent(dialect: str, issuer: str, jti: str, until: dt.datetime) -> Insert:
    """INSERT ... ON CONFLICT (issuer, jti) DO NOTHING, in the database's own dialect."""
    values = {"issuer": issuer, "jti": jti, "expires_at": until}
    key = ["issuer", "jti"]
    if dialect == "postgresql":
        return (
            postgresql.insert(orm.UsedTokenId)
            .values(values)
            .on_conflict_do_nothing(index_elements=key)
        )
    return sqlite.insert(orm.UsedTokenId).values(values).on_conflict_do_nothing(index_elements=key)


class DatabaseReplayGuard:
    """`io.cdshooks.trust.ReplayGuard` over the store: shared by every worker process."""

    def __init__(self, db: Database, now: Callable[[], dt.datetime] = utc_now) -> None:
        self._db = db
        self._now = now

    async def first_use(self, issuer: str, jti: str, expires: float) -> bool:
        """Whether this issuer's `jti` is new (it is then remembered until `expires`, epoch s)."""
        until = dt.datetime.fromtimestamp(expires, dt.UTC)
        return await to_thread.run_sync(self._remember, issuer, jti, until)

    def _remember(self, issuer: str, jti: str, until: dt.datetime) -> bool:
        with self._db.transaction() as session:
            session.execute(delete(orm.UsedTokenId).where(orm.UsedTokenId.expires_at < self._now()))
            statement = _insert_if_absent(self._db.engine.dialect.name, issuer, jti, until)
            # The row comes back only when it was inserted (rowcount is not reliable here:
            # psycopg reports -1 for this statement).
            return session.execute(statement.returning(orm.UsedTokenId.jti)).first() is not None
