"""reminder claims: the claim token that fences each claim's outcome, who claimed, and whether
an earlier claim may already have posted the reminder

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("maybe_posted", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # Rows caught mid-send by the upgrade were claimed without a token: whoever sent them
    # cannot be told apart from a dead process any more, so the sender looks before resending.
    op.execute("UPDATE reminder SET maybe_posted = true WHERE status = 'sending'")


def downgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_column("maybe_posted")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("claim_token")
