"""Indexes for the charts' monthly counts (registrations, introductions, visits done)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:00:00

"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_groups_created_at", "community_groups", ["created_at"]),
    ("ix_groups_nation_created_at", "community_groups", ["nation", "created_at"]),
    ("ix_introductions_created_at", "introductions", ["created_at"]),
    ("ix_visit_occurrences_status_starts_at", "visit_occurrences", ["status", "starts_at"]),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
