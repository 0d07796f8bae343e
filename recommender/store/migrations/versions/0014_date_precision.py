"""date precision, and Slack's HTML entities decoded in text stored by older versions

``papers.published_precision`` (``year``, ``month``; NULL for a day, so every row stored before
means what it did) lets a year alone show as ``2019``, not as ``2019-01-01``.

Slack sends ``&``, ``<`` and ``>`` typed in a slash command as ``&amp;``, ``&lt;`` and ``&gt;``;
versions before the input was decoded stored them so (``R&amp;D``) in declared interests
(``members.interests``) and channel topics (``channels.topic``). They are decoded here, in one pass
as the Slack adapter decodes its input, for Slack people and channels only (``platform = 'slack'``):
on Discord and the command line ``&amp;`` is what was typed.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""
import re

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_ENTITY = re.compile(r"&(amp|lt|gt);")
_CHARACTERS = {"amp": "&", "lt": "<", "gt": ">"}


def _decoded(text):
    return _ENTITY.sub(lambda m: _CHARACTERS[m.group(1)], text) if isinstance(text, str) else text


def upgrade() -> None:
    op.add_column('papers', sa.Column('published_precision', sa.String(length=8), nullable=True))
    conn = op.get_bind()
    members = sa.table('members', sa.column('id', sa.Integer), sa.column('platform', sa.String),
                       sa.column('interests', sa.JSON))
    channels = sa.table('channels', sa.column('id', sa.Integer), sa.column('platform', sa.String),
                        sa.column('topic', sa.Text))
    for row in conn.execute(sa.select(members.c.id, members.c.interests).where(members.c.platform == 'slack')).all():
        interests = [_decoded(i) for i in row.interests] if isinstance(row.interests, list) else row.interests
        if interests != row.interests:
            conn.execute(members.update().where(members.c.id == row.id).values(interests=interests))
    for row in conn.execute(sa.select(channels.c.id, channels.c.topic).where(channels.c.platform == 'slack')).all():
        topic = _decoded(row.topic)
        if topic != row.topic:
            conn.execute(channels.update().where(channels.c.id == row.id).values(topic=topic))


def downgrade() -> None:
    # The entities are not put back: the decoded text is what was typed. Plain ALTER TABLE, never a batch
    # copy of ``papers`` (as in 0005: recreating it would break SQLite's full-text view of 0004).
    op.execute('ALTER TABLE papers DROP COLUMN published_precision')  # SQLite >= 3.35 and PostgreSQL
