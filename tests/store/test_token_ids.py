"""The CDS clients' token ids in the database: each used once across every worker process."""

from __future__ import annotations

import datetime as dt
import uuid

import anyio
from sqlalchemy import func, select

from rlsiron.store import Database
from rlsiron.store import models as orm
from rlsiron.store.token_ids import DatabaseReplayGuard

NOW = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(minutes=5)


def test_a_token_id_is_new_once_for_every_process_until_it_expires(db: Database) -> None:
    # Two guards over one database stand for two worker processes.
    first, second = DatabaseReplayGuard(db, lambda: NOW), DatabaseReplayGuard(db, lambda: NOW)
    jti = uuid.uuid4().hex
    assert anyio.run(first.first_use, "https://ehr.example/", jti, LATER.timestamp())
    assert not anyio.run(second.first_use, "https://ehr.example/", jti, LATER.timestamp())
    assert not anyio.run(first.first_use, "https://ehr.example/", jti, LATER.timestamp())
    # The same jti from another issuer is another token.
    assert anyio.run(second.first_use, "https://other.example/", jti, LATER.timestamp())


def test_expired_token_ids_are_forgotten(db: Database) -> None:
    jti = uuid.uuid4().hex
    before = DatabaseReplayGuard(db, lambda: NOW)
    assert anyio.run(before.first_use, "https://ehr.example/", jti, LATER.timestamp())
    after = DatabaseReplayGuard(db, lambda: LATER + dt.timedelta(seconds=1))
    assert anyio.run(after.first_use, "https://ehr.example/", uuid.uuid4().hex, LATER.timestamp())
    with db.reading() as session:
        kept = session.scalar(
            select(func.count()).select_from(orm.UsedTokenId).where(orm.UsedTokenId.jti == jti)
        )
    assert kept == 0
