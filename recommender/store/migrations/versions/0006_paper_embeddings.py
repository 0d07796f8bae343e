"""paper embeddings: one sentence-embedding vector per paper and model version

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
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
    with op.batch_alter_table('paper_embeddings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_embeddings_paper_id'), ['paper_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('paper_embeddings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_embeddings_paper_id'))
    op.drop_table('paper_embeddings')
