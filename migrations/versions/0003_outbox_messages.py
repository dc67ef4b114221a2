"""outbox_messages: every email to send, sent by a background task

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 13:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("template", sa.String(length=60), nullable=False),
        sa.Column("to_email", sa.String(length=254), nullable=False),
        sa.Column("to_name", sa.String(length=200), nullable=False),
        sa.Column("recipient_role", sa.String(length=20), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("about_type", sa.String(length=30), nullable=True),
        sa.Column("about_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_key", "to_email", name="uq_outbox_event_recipient"),
    )
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.create_index("ix_outbox_status_due", ["status", "next_attempt_at"])
        batch_op.create_index("ix_outbox_about", ["about_type", "about_id"])
        batch_op.create_index(batch_op.f("ix_outbox_messages_created_at"), ["created_at"])


def downgrade():
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_created_at"))
        batch_op.drop_index("ix_outbox_about")
        batch_op.drop_index("ix_outbox_status_due")
    op.drop_table("outbox_messages")
