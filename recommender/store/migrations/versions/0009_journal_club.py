"""journal club: a channel's weekly club setting and one vote per person and poll

* ``channels.club_weekday`` (0 = Monday … 6 = Sunday), ``channels.club_time``
  (``HH:MM``, the channel's timezone) and ``channels.club_since`` (UTC: when the
  club was last set; slots before it are not caught up). No weekday: no club.
* ``club_votes``: one row per (poll, member), the poll being the ``deliveries``
  row of kind ``club_poll``; a changed vote updates the row.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('club_weekday', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('club_time', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('club_since', sa.DateTime(timezone=True), nullable=True))
    op.create_table('club_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('voted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['deliveries.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('poll_id', 'member_id', name='uq_club_vote')
    )
    op.create_index('ix_club_votes_poll_id', 'club_votes', ['poll_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_club_votes_poll_id', table_name='club_votes')
    op.drop_table('club_votes')
    # Plain ALTER TABLE, never a batch copy of ``channels`` (whose rows others reference).
    for column in ('club_since', 'club_time', 'club_weekday'):
        op.execute(f'ALTER TABLE channels DROP COLUMN {column}')
