"""case life: bodemeis versions and reviews, escalations with an owner, postponements, absences,
closings with aftercare, the aanbrengende partner, and the escalation a reminder is about

Every column is added without rebuilding a table (SQLite would refuse to drop a table that
other rows point at), so existing cases, agreements and reminders stay as they are.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "absence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("stand_in_user_id", sa.String(length=32), nullable=False),
        sa.Column("set_by", sa.String(length=32), nullable=False),
        sa.Column("set_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id"),
    )
    op.create_table(
        "case_closure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("closed_by", sa.String(length=32), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("afsluitingsplan_id", sa.Integer(), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("aftercare_answer", sa.String(length=20), nullable=True),
        sa.Column("aftercare_by", sa.String(length=32), nullable=True),
        sa.Column("aftercare_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopened_by", sa.String(length=32), nullable=True),
        sa.Column("reopened_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_closure_case_id", "case_closure", ["case_id"], unique=False)
    op.create_table(
        "bodemeis_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("successor_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=32), nullable=False),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreement.id"]),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.ForeignKeyConstraint(["successor_id"], ["agreement.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agreement_id", "meeting_id", name="uq_bodemeis_review_meeting"),
    )
    op.create_index(
        "ix_bodemeis_review_agreement_id", "bodemeis_review", ["agreement_id"], unique=False
    )
    op.create_table(
        "escalation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("occurrence", sa.String(length=10), nullable=False),
        sa.Column("raised_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("raised_by", sa.String(length=32), nullable=True),
        sa.Column("owner_user_id", sa.String(length=32), nullable=True),
        sa.Column("picked_up_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=32), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('bodemeis_not_met', 'check_unanswered', 'action_not_possible')",
            name="ck_escalation_kind",
        ),
        sa.CheckConstraint(
            "resolution IS NULL OR resolution IN ('extra_overleg', 'afspraak_aangepast', "
            "'opgelost')",
            name="ck_escalation_resolution",
        ),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreement.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "agreement_id", "occurrence", name="uq_escalation_source"),
    )
    op.create_index("ix_escalation_agreement_id", "escalation", ["agreement_id"], unique=False)
    op.create_index(
        "ix_escalation_case_resolved", "escalation", ["case_id", "resolved_at"], unique=False
    )
    op.create_table(
        "postponement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("from_due", sa.Date(), nullable=False),
        sa.Column("to_due", sa.Date(), nullable=False),
        sa.Column("by", sa.String(length=32), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("consent_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["agreement_id"], ["agreement.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_postponement_agreement_id", "postponement", ["agreement_id"], unique=False)

    # Plain ADD COLUMNs (and indexes), which SQLite does without rebuilding the table.
    op.add_column("agreement", sa.Column("reminded_user_id", sa.String(length=32), nullable=True))
    op.add_column("agreement", sa.Column("previous_id", sa.Integer(), nullable=True))
    op.add_column(
        "agreement", sa.Column("version", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column(
        "agreement",
        sa.Column("superseded_at", storage.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "agreement",
        sa.Column("ended_at", storage.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("agreement", sa.Column("ended_by", sa.String(length=32), nullable=True))
    op.add_column("agreement", sa.Column("end_reason", sa.Text(), nullable=True))
    op.create_index("uq_agreement_previous", "agreement", ["previous_id"], unique=True)
    op.add_column("case", sa.Column("referring_partner", sa.Text(), nullable=True))
    op.add_column("reminder", sa.Column("escalation_id", sa.Integer(), nullable=True))
    op.create_index("ix_reminder_escalation_id", "reminder", ["escalation_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_reminder_escalation_id", table_name="reminder")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_column("escalation_id")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_column("referring_partner")
    op.drop_index("uq_agreement_previous", table_name="agreement")
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.drop_column("end_reason")
        batch_op.drop_column("ended_by")
        batch_op.drop_column("ended_at")
        batch_op.drop_column("superseded_at")
        batch_op.drop_column("version")
        batch_op.drop_column("previous_id")
        batch_op.drop_column("reminded_user_id")
    op.drop_table("postponement")
    op.drop_table("escalation")
    op.drop_table("bodemeis_review")
    op.drop_table("case_closure")
    op.drop_table("absence")
