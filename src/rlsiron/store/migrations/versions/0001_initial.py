"""The initial schema: people and their records.

Written by Alembic's autogenerate from `rlsiron.store.models`, then reviewed: timestamps
are spelled as SQLAlchemy's own type (a migration must not change when the model's Python
type does), indexes are created without batch mode (SQLite can add them in place), and the
downgrade drops tables children first (each drop takes its indexes).

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHILDREN = (
    "assessments",
    "conditions",
    "iron_courses",
    "lab_results",
    "medicines",
    "symptom_entries",
)


def _owned(table: str) -> tuple[sa.Column[int], sa.Column[int], sa.ForeignKeyConstraint]:
    """The id and person_id every record has, its row going with its person."""
    return (
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f(f"fk_{table}_person_id_people"),
            ondelete="CASCADE",
        ),
    )


def _id(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("units", sa.Text(), nullable=False),
        sa.Column("profile", sa.Text(), nullable=False),
        sa.Column("sex", sa.Text(), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("pregnancy_weeks", sa.Integer(), nullable=True),
        sa.Column("pregnancy_noted", sa.Date(), nullable=True),
        sa.Column("postmenopausal", sa.Boolean(), nullable=True),
        sa.Column("kidney", sa.Text(), nullable=True),
        sa.Column("diet", sa.Text(), nullable=True),
        sa.Column("iron_symptoms", sa.JSON(), nullable=False),
        sa.Column("rls_urge", sa.Boolean(), nullable=True),
        sa.Column("rls_rest", sa.Boolean(), nullable=True),
        sa.Column("rls_movement_relief", sa.Boolean(), nullable=True),
        sa.Column("rls_evening", sa.Boolean(), nullable=True),
        sa.Column("rls_not_mimic", sa.Boolean(), nullable=True),
        sa.CheckConstraint(
            "diet IN ('omnivore', 'pescatarian', 'vegetarian', 'vegan')",
            name=op.f("ck_people_diet"),
        ),
        sa.CheckConstraint(
            "kidney IN ('normal', 'ckd', 'dialysis')", name=op.f("ck_people_kidney")
        ),
        sa.CheckConstraint(
            "profile IN ('aasm-2024', 'ferritin-50')", name=op.f("ck_people_profile")
        ),
        sa.CheckConstraint("sex IN ('female', 'male')", name=op.f("ck_people_sex")),
        sa.CheckConstraint("units IN ('conventional', 'si')", name=op.f("ck_people_units")),
        sa.CheckConstraint(
            "(pregnancy_weeks IS NULL) = (pregnancy_noted IS NULL)",
            name=op.f("ck_people_pregnancy_dated"),
        ),
        _id("people"),
        sa.UniqueConstraint("email", name=op.f("uq_people_email")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "assessments",
        *_owned("assessments"),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("engine_version", sa.Text(), nullable=False),
        sa.Column("profile", sa.Text(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("output", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('indicated', 'not_indicated', 'contraindicated', 'test_first')",
            name=op.f("ck_assessments_decision"),
        ),
        sa.CheckConstraint(
            "profile IN ('aasm-2024', 'ferritin-50')", name=op.f("ck_assessments_profile")
        ),
        _id("assessments"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_assessments_person_as_of", "assessments", ["person_id", "as_of"])
    op.create_table(
        "conditions",
        *_owned("conditions"),
        sa.Column("text", sa.Text(), nullable=False),
        _id("conditions"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_conditions_person", "conditions", ["person_id"])
    op.create_table(
        "iron_courses",
        *_owned("iron_courses"),
        sa.Column("route", sa.Text(), nullable=False),
        sa.Column("product", sa.Text(), nullable=True),
        sa.Column("started", sa.Date(), nullable=False),
        sa.Column("ended", sa.Date(), nullable=True),
        sa.CheckConstraint("route IN ('oral', 'iv')", name=op.f("ck_iron_courses_route")),
        _id("iron_courses"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_iron_courses_person_started", "iron_courses", ["person_id", "started"])
    op.create_table(
        "lab_results",
        *_owned("lab_results"),
        sa.Column("test", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("value_form", sa.Text(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("reference_range", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("flag", sa.Text(), nullable=True),
        sa.Column("assay", sa.Text(), nullable=True),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column("source_at", sa.Text(), nullable=True),
        sa.Column("source_text", sa.Text(), nullable=True),
        sa.Column("source_note", sa.Text(), nullable=True),
        sa.Column("canonical_test", sa.Text(), nullable=False),
        sa.Column("canonical_value", sa.Double(), nullable=False),
        sa.Column("canonical_qualifier", sa.Text(), nullable=False),
        sa.Column("canonical_unit", sa.Text(), nullable=False),
        sa.Column("plausible", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "canonical_qualifier IN ('=', '<', '<=', '>', '>=')",
            name=op.f("ck_lab_results_canonical_qualifier"),
        ),
        sa.CheckConstraint(
            "value_form IN ('number', 'text', 'quantity')",
            name=op.f("ck_lab_results_value_form"),
        ),
        _id("lab_results"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_lab_results_person_date", "lab_results", ["person_id", "date"])
    op.create_table(
        "medicines",
        *_owned("medicines"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("started", sa.Date(), nullable=True),
        sa.Column("ended", sa.Date(), nullable=True),
        _id("medicines"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_medicines_person_started", "medicines", ["person_id", "started"])
    op.create_table(
        "symptom_entries",
        *_owned("symptom_entries"),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("irls_total", sa.Integer(), nullable=True),
        sa.Column("irls_items", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("nights_affected", sa.Integer(), nullable=True),
        sa.Column("severity", sa.Integer(), nullable=True),
        sa.Column("sleep_quality", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('irls', 'diary')", name=op.f("ck_symptom_entries_kind")),
        _id("symptom_entries"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_symptom_entries_person_date", "symptom_entries", ["person_id", "date"])


def downgrade() -> None:
    for table in _CHILDREN:
        op.drop_table(table)
    op.drop_table("people")
