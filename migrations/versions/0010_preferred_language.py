"""preferred_language on groups, care homes (their contact) and users; each email's language

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 04:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Everyone already here has been written to in English so far.
TABLES = ("community_groups", "care_homes", "users")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("preferred_language", sa.String(2), nullable=False,
                                          server_default="en"))
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(2), nullable=False,
                                      server_default="en"))


def downgrade():
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_column("language")
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("preferred_language")
