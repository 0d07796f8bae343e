"""doi key index and venue: papers looked up by DOI with its ASCII letters lowercased, alike on SQLite and
PostgreSQL; a paper's venue, entry type and pages kept

``papers.venue``, ``papers.entry_type`` and ``papers.pages`` (nullable) hold where a paper appeared (a BibTeX
``journal`` or ``booktitle``), its entry type (``article``, ``inproceedings``, ``misc``...) and its pages
(``436-444``), as a library import reads them, so ``paperbot export`` writes them back; every paper stored
before has none.

A library import matches an entry to a stored paper by DOI, its ASCII letters case-insensitive (DOIs are, and
only in those: DOI Handbook 2.4). It compared ``lower(doi)``, which SQLite computes on ASCII letters only and
PostgreSQL in the database's locale (``Ä`` lowered to ``ä`` in ``C.UTF-8``), against Python's ``str.lower()``:
a DOI holding a non-ASCII capital matched no paper on SQLite, and another DOI on PostgreSQL. The lookup now
compares ``recommender.sources.records.doi_key`` with the same ASCII-only lowering in SQL
(``recommender.store.dialects.doi_key_sql``: SQLite's ``lower(doi)``, PostgreSQL's ``lower(doi COLLATE "C")``),
and this expression index serves it; it was a scan of every paper.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('papers', sa.Column('venue', sa.Text(), nullable=True))
    op.add_column('papers', sa.Column('entry_type', sa.String(length=32), nullable=True))
    op.add_column('papers', sa.Column('pages', sa.Text(), nullable=True))
    collate = ' COLLATE "C"' if op.get_bind().dialect.name == "postgresql" else ""
    op.execute(f"CREATE INDEX ix_papers_doi_key ON papers (lower(doi{collate}))")


def downgrade() -> None:
    op.execute("DROP INDEX ix_papers_doi_key")
    for column in ('pages', 'entry_type', 'venue'):
        op.execute(f'ALTER TABLE papers DROP COLUMN {column}')  # SQLite >= 3.35 and PostgreSQL
