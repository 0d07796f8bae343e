"""more authors: a paper whose author list stops short, as a library's "and others" said

``papers.more_authors`` (false for every paper stored before) is true when a library import read the paper's
author list with ``and others`` (BibTeX) or ``et al.`` after it, so that ``paperbot export`` writes it back: a
trial's "Frantar, Elias and Alistarh, Dan and others" came back as a complete list of two authors. A digest that
later lists the authors in full replaces the list and clears it.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('papers', sa.Column('more_authors', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.execute('ALTER TABLE papers DROP COLUMN more_authors')  # SQLite >= 3.35 and PostgreSQL
