"""citation key: the key a person's library gave a paper, kept with the 👍 its import recorded

``feedback.citation_key`` (nullable) holds a library entry's citation key (BibTeX's key, RIS ``ID``, CSL-JSON
``id``) so that ``paperbot export`` writes it back: a trial imported ``nagel2020up`` and exported
``nagel2020down``, which broke every ``\\cite{}`` of the person's papers. Every 👍 recorded before has none and
exports with a key made from its paper, as before.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('feedback', sa.Column('citation_key', sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.execute('ALTER TABLE feedback DROP COLUMN citation_key')  # SQLite >= 3.35 and PostgreSQL
