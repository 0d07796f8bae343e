"""handled events: a chat platform's events whose effect is stored, so a redelivered one does nothing

``handled_events`` holds ``(platform, event_id)``, the event's kind and when it was handled. Slack
redelivers an event it thinks was lost (same ``event_id``, ``X-Slack-Retry-Num``); the command layer
inserts the id in the transaction of the event's effect (a library import, a 👍/👎 reaction, a
channel rename), so a retry of an event done finds it and one whose first delivery failed does
the work. Rows are kept a day.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('handled_events',
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('platform', 'event_id')
    )
    op.create_index('ix_handled_events_handled_at', 'handled_events', ['handled_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_handled_events_handled_at', table_name='handled_events')
    op.drop_table('handled_events')
