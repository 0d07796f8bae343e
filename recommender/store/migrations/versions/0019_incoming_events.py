"""incoming events: a chat platform's events received and not yet handled, so a killed process loses none

``incoming_events`` holds ``(platform, event_id)``, the event's kind, workspace and payload (Slack's
callback as JSON), when it was received, and how often it was dispatched again. Slack's Events API never
redelivers an event it got a ``200`` for, and the app handles it after that answer; the adapter stores the
event before answering, the command layer deletes it in the transaction of its effect (beside its
``handled_events`` row), and what a killed process left is dispatched again.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incoming_events',
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('workspace', sa.String(length=64), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replays', sa.Integer(), nullable=False),
    sa.Column('replayed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('platform', 'event_id')
    )
    op.create_index('ix_incoming_events_received_at', 'incoming_events', ['received_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_incoming_events_received_at', table_name='incoming_events')
    op.drop_table('incoming_events')
