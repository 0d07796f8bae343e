"""reactions: the 👍/👎 each person has on a posted paper's message, while it stands

``reactions`` holds ``(member_id, delivery_id, paper_id, value)``: a member's 👍 (+1) or 👎 (-1) reaction
on the message of the delivered paper ``(delivery_id, paper_id)``, added with the reaction's feedback and
deleted when the reaction is removed (``bot/commands/feedback.py``). Removing the reaction the feedback holds
while the other still stands on that message makes the feedback the other, instead of retracting it.
Reactions added before this revision have no row: removing one retracts the feedback as before.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reactions',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id', 'paper_id'], ['delivery_items.delivery_id', 'delivery_items.paper_id'],
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'delivery_id', 'paper_id', 'value')
    )
    op.create_index('ix_reactions_item', 'reactions', ['delivery_id', 'paper_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_reactions_item', table_name='reactions')
    op.drop_table('reactions')
