"""doi key index: papers looked up by DOI with its ASCII letters lowercased, alike on SQLite and PostgreSQL

A library import matches an entry to a stored paper by DOI, its ASCII letters case-insensitive (DOIs are, and
only in those: DOI Handbook 2.4). It compared ``lower(doi)``, which SQLite computes on ASCII letters only and
PostgreSQL in the database's locale (``Ä`` lowered to ``ä`` in ``C.UTF-8``), against Python's ``str.lower()``:
a DOI holding a non-ASCII capital matched no paper on SQLite, and another DOI on PostgreSQL. The lookup now
compares ``recommender.sources.records.doi_key`` with the same ASCII-only lowering in SQL
(``recommender.store.dialects.doi_key_sql``: SQLite's ``lower(doi)``, PostgreSQL's ``lower(doi COLLATE "C")``),
and this expression index serves it; it was a scan of every paper.

Revision ID: 0021
Revises: 0018
Create Date: 2026-12-07
"""
from alembic import op

revision = '0021'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    collate = ' COLLATE "C"' if op.get_bind().dialect.name == "postgresql" else ""
    op.execute(f"CREATE INDEX ix_papers_doi_key ON papers (lower(doi{collate}))")


def downgrade() -> None:
    op.execute("DROP INDEX ix_papers_doi_key")
