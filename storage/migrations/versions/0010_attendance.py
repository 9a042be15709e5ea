"""attendance: who was at the table of a meeting, who marked it and when, and who was added
at the table; one running meeting per case

Plain ADD COLUMNs: existing invitees keep their rows, with no attendance recorded.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("meeting_invitee", sa.Column("attendance", sa.String(length=10), nullable=True))
    op.add_column(
        "meeting_invitee", sa.Column("attendance_by", sa.String(length=32), nullable=True)
    )
    op.add_column(
        "meeting_invitee",
        sa.Column("attendance_at", storage.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("meeting_invitee", sa.Column("added_by", sa.String(length=32), nullable=True))
    # A second /casus start used to start a second meeting of a case beside the running one:
    # the oldest running meeting of a case stays running, the strays end (no ended_at: they
    # were never held as meetings), so the index below can hold.
    op.execute(
        "UPDATE meeting SET status = 'ended' WHERE status = 'running' AND id NOT IN "
        "(SELECT MIN(id) FROM meeting WHERE status = 'running' GROUP BY case_id)"
    )
    op.create_index(
        "uq_meeting_one_running",
        "meeting",
        ["case_id"],
        unique=True,
        postgresql_where=sa.text("status = 'running'"),
        sqlite_where=sa.text("status = 'running'"),
    )


def downgrade() -> None:
    op.drop_index("uq_meeting_one_running", table_name="meeting")
    with op.batch_alter_table("meeting_invitee", schema=None) as batch_op:
        batch_op.drop_column("added_by")
        batch_op.drop_column("attendance_at")
        batch_op.drop_column("attendance_by")
        batch_op.drop_column("attendance")
