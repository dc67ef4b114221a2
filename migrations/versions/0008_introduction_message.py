"""introductions.message: the care home's words to the group when it asks

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 13:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("introductions") as batch_op:
        batch_op.add_column(sa.Column("message", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("introductions") as batch_op:
        batch_op.drop_column("message")
