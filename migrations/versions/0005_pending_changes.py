"""community_groups.pending_changes: an approved group's published changes wait for review

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 14:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("community_groups") as batch_op:
        batch_op.add_column(sa.Column("pending_changes", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("community_groups") as batch_op:
        batch_op.drop_column("pending_changes")
