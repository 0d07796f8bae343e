"""paper embeddings: one sentence-embedding vector per paper and model version

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('paper_embeddings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=128), nullable=False),
    sa.Column('model_version', sa.String(length=64), nullable=False),
    sa.Column('dim', sa.Integer(), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('paper_id', 'model', 'model_version', name='uq_paper_embedding')
    )
    op.create_index('ix_paper_embeddings_paper_id', 'paper_embeddings', ['paper_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_paper_embeddings_paper_id', table_name='paper_embeddings')
    op.drop_table('paper_embeddings')
