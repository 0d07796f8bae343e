"""delivery told: when the person whose DM digest could not be delivered was told so

``deliveries.told_at`` is set, in the transaction that appends " · person told" to the row's
``error``, once an ``unreachable`` member digest has been mentioned to that person in a private
answer to one of their ``/papers`` commands (``bot/commands/dm_notice.py``): each failure is
told once. Rows written before keep NULL (a failure nobody was told of yet).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('deliveries', sa.Column('told_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite >= 3.35 and PostgreSQL), never a batch copy: dropping the old ``deliveries``
    # with foreign keys on (paperbot's engines turn them on) would cascade to delivery_items and mentions.
    op.execute('ALTER TABLE deliveries DROP COLUMN told_at')
