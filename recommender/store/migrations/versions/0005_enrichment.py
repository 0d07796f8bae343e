"""enrichment: papers.doi and the arxiv_lookups cache of arXiv API answers by title

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('doi', sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f('ix_papers_doi'), ['doi'], unique=False)
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
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_papers_doi'))
        batch_op.drop_column('doi')
