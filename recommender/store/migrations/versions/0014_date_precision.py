"""date precision: papers.published_precision

``papers.published_precision`` (``year``, ``month``; NULL for a day, so every row stored before
means what it did) lets a year alone show as ``2019``, not as ``2019-01-01``.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('papers', sa.Column('published_precision', sa.String(length=8), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE, never a batch copy of ``papers`` (as in 0005: recreating it would break
    # SQLite's full-text view of 0004).
    op.execute('ALTER TABLE papers DROP COLUMN published_precision')  # SQLite >= 3.35 and PostgreSQL
