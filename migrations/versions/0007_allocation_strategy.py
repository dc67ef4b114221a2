"""allocations: strategy (fair or total), max_homes_per_partner, the homes that got nobody

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 14:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("allocations") as batch_op:
        # Allocations stored before this maximised the total score.
        batch_op.add_column(sa.Column("strategy", sa.String(length=10), nullable=False,
                                      server_default="total"))
        batch_op.add_column(sa.Column("max_homes_per_partner", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("unserved", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("allocations") as batch_op:
        batch_op.drop_column("unserved")
        batch_op.drop_column("max_homes_per_partner")
        batch_op.drop_column("strategy")
