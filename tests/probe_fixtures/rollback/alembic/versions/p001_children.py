"""children

Revision ID: p001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "p001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("children", sa.Column("id", sa.BigInteger(), primary_key=True))


def downgrade() -> None:
    op.drop_table("children")
