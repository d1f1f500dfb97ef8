"""The person's revision (`models.Person.revision`): one more with every change to what the
engine reads, so the app can keep a person's assessment until it no longer stands.

Existing people start at 0, as new ones do (a server default, so no row is rewritten by
hand); SQLite adds a column with a constant default in place, without batch mode.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("people", sa.Column("revision", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("revision")
