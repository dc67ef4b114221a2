"""sign_in_failures: lock-out by account and client address, with back-off

Replaces users.failed_logins and users.locked_until, which let anyone lock an account from
anywhere and told known accounts from unknown ones.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 13:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_key", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("lockouts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_key", "address", name="uq_sign_in_failure"),
    )
    op.create_index(op.f("ix_sign_in_failures_updated_at"), "sign_in_failures",
                    ["updated_at"], unique=False)
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False,
                                      server_default="0"))
    op.drop_index(op.f("ix_sign_in_failures_updated_at"), table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
