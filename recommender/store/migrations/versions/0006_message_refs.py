"""message refs as they are accepted: a delivery's first claim time and its claimant's heartbeat

Each message reference of a digest is now committed the moment the platform
accepts it, and a claim is taken over once its claimant stops beating (a
setting in seconds), no longer ten minutes after it was made.

* ``deliveries.first_claimed_at``: when the first attempt claimed the digest
  (``claimed_at`` moves on each takeover). A resumed Slack delivery looks for
  its own unrecorded messages from then on (``conversations.history``).
* ``deliveries.heartbeat_at``: the claimant's last sign of life, refreshed
  while it posts.

Existing rows get both from ``claimed_at``.

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
    op.execute('UPDATE deliveries SET first_claimed_at = claimed_at, heartbeat_at = claimed_at')


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite >= 3.35 and PostgreSQL), never a batch copy: dropping the old ``deliveries``
    # with foreign keys on would cascade to delivery_items.
    op.execute('ALTER TABLE deliveries DROP COLUMN heartbeat_at')
    op.execute('ALTER TABLE deliveries DROP COLUMN first_claimed_at')
