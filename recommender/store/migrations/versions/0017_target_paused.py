"""target paused: why a channel or member that is on gets nothing for now

``channels.paused`` and ``members.paused`` hold a short reason, set from the chat platform's events
(``bot/pauses.py``): ``bot removed`` when the bot was removed from the target's workspace (a Discord
server that kicked it, or was deleted), ``left`` when the member left it. A paused channel gets no
digest and no journal club, a paused member no DM digest and no mention, while their settings stay
as they were, so the bot's return (or the member's) resumes them. Rows written before keep NULL.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('channels', sa.Column('paused', sa.String(length=32), nullable=True))
    op.add_column('members', sa.Column('paused', sa.String(length=32), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite >= 3.35 and PostgreSQL), never a batch copy: dropping the old tables with
    # foreign keys on would cascade to channel_changes, feedback, mentions, club votes and onboardings.
    op.execute('ALTER TABLE members DROP COLUMN paused')
    op.execute('ALTER TABLE channels DROP COLUMN paused')
