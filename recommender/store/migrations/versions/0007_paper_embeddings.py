"""paper embeddings: one sentence-embedding vector per paper and model version

A store made on the branch where this migration was 0006 (commit 7aba5fb, 2 Dec;
renumbered by cae76f4 after main's 0006, message refs) is stamped 0006 but has
``paper_embeddings`` and lacks what that branch never had: 0004 (unique title key,
full-text index) and 0006 (``deliveries.first_claimed_at``, ``heartbeat_at``).
Creating the table again failed ("table paper_embeddings already exists"). Such a
store is repaired here instead: the table it has is kept with its rows, and the
missing migrations' upgrades are run, each only when its objects are absent (read
with ``sqlalchemy.inspect``), on SQLite and PostgreSQL alike.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import context, op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

INDEX = 'ix_paper_embeddings_paper_id'


def _repair_renumbered_store(bind) -> None:
    """Run 0004 and 0006 where a store stamped 0006 by the old numbering never ran them."""
    script = context.script
    indexes = {ix['name'] for ix in sa.inspect(bind).get_indexes('papers')}
    if script.get_revision('0004').module.UNIQUE_INDEX not in indexes:
        script.get_revision('0004').module.upgrade()
    if 'first_claimed_at' not in {c['name'] for c in sa.inspect(bind).get_columns('deliveries')}:
        script.get_revision('0006').module.upgrade()
    if INDEX not in {ix['name'] for ix in sa.inspect(bind).get_indexes('paper_embeddings')}:
        op.create_index(INDEX, 'paper_embeddings', ['paper_id'], unique=False)


def upgrade() -> None:
    bind = op.get_bind()
    if sa.inspect(bind).has_table('paper_embeddings'):
        _repair_renumbered_store(bind)
        return
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
    op.create_index(INDEX, 'paper_embeddings', ['paper_id'], unique=False)


def downgrade() -> None:
    op.drop_index(INDEX, table_name='paper_embeddings')
    op.drop_table('paper_embeddings')
