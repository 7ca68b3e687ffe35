"""notes on children, with a downgrade that names the wrong column

Revision ID: p002
Revises: p001
"""

import sqlalchemy as sa
from alembic import op

revision = "p002"
down_revision = "p001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("children", sa.Column("notes", sa.Text()))


def downgrade() -> None:
    op.drop_column("children", "note")
