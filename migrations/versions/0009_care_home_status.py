"""care_homes.status (active | deregistered) and import_reviews (uncertain continuations)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 03:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("care_homes") as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=15), nullable=False,
                                      server_default="active"))
        batch_op.create_index(batch_op.f("ix_care_homes_status"), ["status"], unique=False)
    op.create_table(
        "import_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("care_home_id", sa.Integer(), nullable=False),
        sa.Column("regulator", sa.String(length=20), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("incoming", sa.JSON(), nullable=False),
        sa.Column("deregister_if_different", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["care_home_id"], ["care_homes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("import_reviews") as batch_op:
        batch_op.create_index(batch_op.f("ix_import_reviews_care_home_id"), ["care_home_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_import_reviews_status"), ["status"], unique=False)


def downgrade():
    with op.batch_alter_table("import_reviews") as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_reviews_status"))
        batch_op.drop_index(batch_op.f("ix_import_reviews_care_home_id"))
    op.drop_table("import_reviews")
    with op.batch_alter_table("care_homes") as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_homes_status"))
        batch_op.drop_column("status")
