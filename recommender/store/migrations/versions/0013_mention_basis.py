"""mention basis: what the named member's profile was made of when the fit was scored

``mentions.basis`` (``interests``, ``likes`` or ``interests+likes``) lets the line under a
channel digest's paper say "fits your interests" or "fits what you read" as it was: a
member with declared interests and no 👍 was told "this fits what you read". Rows written
before keep NULL (worded without a basis).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('mentions', sa.Column('basis', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_column('basis')
