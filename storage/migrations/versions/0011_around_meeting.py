"""around the meeting: the regisseurs' prep summary, the view of the people involved per role
(replacing the one family score, whose rows move to the role "gezin"), and whether they were
informed of the outcome

Revision ID: 0011
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prep_summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_by", sa.String(length=32), nullable=False),
        sa.Column("written_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id"),
    )
    op.create_table(
        "involved_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("step_key", sa.String(length=120), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 10", name="ck_involved_view_score"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "role", name="uq_involved_view_meeting_role"),
    )
    op.create_index("ix_involved_view_meeting_id", "involved_view", ["meeting_id"], unique=False)
    op.create_table(
        "outcome_informed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id"),
    )
    # The one family score becomes the view of the family as a whole (its text stays encrypted
    # with the same key: the ciphertext moves as it is).
    op.execute(
        "INSERT INTO involved_view"
        " (meeting_id, role, step_key, score, text, recorded_by, recorded_at)"
        " SELECT meeting_id, 'gezin', step_key, value, text, recorded_by, recorded_at"
        " FROM family_view"
    )
    op.drop_table("family_view")


def downgrade() -> None:
    op.create_table(
        "family_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("step_key", sa.String(length=120), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("value BETWEEN 1 AND 10", name="ck_family_view_value"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id"),
    )
    op.execute(
        "INSERT INTO family_view (meeting_id, step_key, value, text, recorded_by, recorded_at)"
        " SELECT meeting_id, step_key, score, text, recorded_by, recorded_at FROM involved_view"
        " WHERE role = 'gezin' AND score IS NOT NULL"
    )
    op.drop_table("outcome_informed")
    op.drop_index("ix_involved_view_meeting_id", table_name="involved_view")
    op.drop_table("involved_view")
    op.drop_table("prep_summary")
