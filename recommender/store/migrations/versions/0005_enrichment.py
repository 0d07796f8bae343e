"""enrichment: papers.doi and the arxiv_lookups cache of arXiv API answers by title

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both backends, never a batch copy of ``papers``: on SQLite, recreating
# the table would break the full-text view of migration 0004 (``papers_fts_source``).


def upgrade() -> None:
    op.add_column('papers', sa.Column('doi', sa.String(length=255), nullable=True))
    op.create_index('ix_papers_doi', 'papers', ['doi'], unique=False)
    op.create_table('arxiv_lookups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title_key', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('arxiv_id', sa.String(length=64), nullable=True),
    sa.Column('record', sa.JSON(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('title_key')
    )


def downgrade() -> None:
    op.drop_table('arxiv_lookups')
    op.drop_index('ix_papers_doi', table_name='papers')
    op.execute('ALTER TABLE papers DROP COLUMN doi')  # SQLite >= 3.35 and PostgreSQL
