"""mentions: who opted in, which channels name them, and who was named on which day

* ``members.mentions``: the person opted in (``/papers mentions me on``); off by default.
* ``channels.mentions``: the channel's digest names the opted-in members a paper fits best
  (``/papers mentions on``); off by default.
* ``mentions``: one row per member named under a channel digest paper, unique per member
  and day (the one-mention-a-day cap), written with the digest's papers before posting.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (SQLite supports it): a batch copy of ``members`` would cascade-delete the feedback
    op.add_column('members', sa.Column('mentions', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('channels', sa.Column('mentions', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.create_table('mentions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id', 'day', name='uq_mention_member_day')
    )
    op.create_index('ix_mentions_delivery_id', 'mentions', ['delivery_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_mentions_delivery_id', table_name='mentions')
    op.drop_table('mentions')
    op.drop_column('channels', 'mentions')
    op.drop_column('members', 'mentions')
