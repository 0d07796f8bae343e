"""tfidf rows: the TF-IDF rows of stored papers, in batches, per fitted model

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tfidf_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_state_id', sa.Integer(), nullable=False),
    sa.Column('n_rows', sa.Integer(), nullable=False),
    sa.Column('paper_ids', sa.LargeBinary(), nullable=False),
    sa.Column('indptr', sa.LargeBinary(), nullable=False),
    sa.Column('indices', sa.LargeBinary(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['model_state_id'], ['model_state.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_tfidf_rows_model_state_id', 'tfidf_rows', ['model_state_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_tfidf_rows_model_state_id', table_name='tfidf_rows')
    op.drop_table('tfidf_rows')
