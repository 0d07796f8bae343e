"""unique title key for papers without an arXiv id; full-text index over title, abstract, authors

1. Papers without an arXiv id are deduplicated by their normalised title key,
   which had no unique constraint, so racing ingests stored one paper several
   times. Existing duplicates are merged onto the lowest id (digest entries,
   feedback and delivery items move to it; where both rows carry the same
   member's feedback or the same delivery, the kept row's wins; the longest
   abstract and author list win), then a partial unique index makes the key
   unique among papers with no arXiv id (papers with one are keyed by it).
2. Full-text index. SQLite: an FTS5 table ``papers_fts`` with external content
   (the view ``papers_fts_source``: title, abstract, author names joined by
   spaces), Porter stemming, kept in sync by triggers. PostgreSQL: a stored
   generated ``tsvector`` column ``papers.search_vector`` (title weight A,
   abstract B, author names C) with a GIN index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

UNIQUE_INDEX = 'uq_papers_title_key_no_arxiv'

papers = sa.table(
    'papers', sa.column('id', sa.Integer), sa.column('arxiv_id', sa.String), sa.column('title_key', sa.String),
    sa.column('abstract', sa.Text), sa.column('authors', sa.JSON),
)
entries = sa.table('digest_entries', sa.column('paper_id', sa.Integer))
feedback = sa.table('feedback', sa.column('member_id', sa.Integer), sa.column('paper_id', sa.Integer))
items = sa.table('delivery_items', sa.column('delivery_id', sa.Integer), sa.column('paper_id', sa.Integer))

SQLITE_UP = [
    """CREATE VIEW papers_fts_source AS
       SELECT id, title, abstract, (SELECT group_concat(value, ' ') FROM json_each(papers.authors)) AS authors
       FROM papers""",
    """CREATE VIRTUAL TABLE papers_fts USING fts5(
       title, abstract, authors, content='papers_fts_source', content_rowid='id',
       tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN
       INSERT INTO papers_fts(rowid, title, abstract, authors)
       SELECT id, title, abstract, authors FROM papers_fts_source WHERE id = new.id;
       END""",
    """CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
       INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
       VALUES ('delete', old.id, old.title, old.abstract,
               (SELECT group_concat(value, ' ') FROM json_each(old.authors)));
       END""",
    """CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract, authors ON papers BEGIN
       INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
       VALUES ('delete', old.id, old.title, old.abstract,
               (SELECT group_concat(value, ' ') FROM json_each(old.authors)));
       INSERT INTO papers_fts(rowid, title, abstract, authors)
       SELECT id, title, abstract, authors FROM papers_fts_source WHERE id = new.id;
       END""",
    # FTS5's 'rebuild' cannot read a view: index the existing papers explicitly.
    "INSERT INTO papers_fts(rowid, title, abstract, authors) SELECT id, title, abstract, authors FROM papers_fts_source",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS papers_fts_update",
    "DROP TRIGGER IF EXISTS papers_fts_delete",
    "DROP TRIGGER IF EXISTS papers_fts_insert",
    "DROP TABLE IF EXISTS papers_fts",
    "DROP VIEW IF EXISTS papers_fts_source",
]
POSTGRES_UP = [
    """ALTER TABLE papers ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
       setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
       setweight(to_tsvector('english'::regconfig, coalesce(abstract, '')), 'B') ||
       setweight(to_tsvector('simple'::regconfig, coalesce(authors::jsonb::text, '')), 'C')) STORED""",
    "CREATE INDEX ix_papers_search_vector ON papers USING gin (search_vector)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_papers_search_vector",
    "ALTER TABLE papers DROP COLUMN IF EXISTS search_vector",
]


def _merge_duplicate_title_keys(bind) -> None:
    groups = bind.execute(
        sa.select(papers.c.title_key).where(papers.c.arxiv_id.is_(None))
        .group_by(papers.c.title_key).having(sa.func.count() > 1)
    ).scalars().all()
    for key in groups:
        rows = bind.execute(
            sa.select(papers.c.id, papers.c.abstract, papers.c.authors)
            .where(papers.c.arxiv_id.is_(None), papers.c.title_key == key).order_by(papers.c.id)
        ).all()
        keep, dups = rows[0].id, [r.id for r in rows[1:]]
        abstract = max((r.abstract or "" for r in rows), key=len)
        authors = max((list(r.authors or []) for r in rows), key=len)
        bind.execute(sa.update(papers).where(papers.c.id == keep).values(abstract=abstract, authors=authors))
        bind.execute(sa.update(entries).where(entries.c.paper_id.in_(dups)).values(paper_id=keep))
        for dup in dups:  # one at a time: two duplicates may hold the same member's feedback
            for table, owner in ((feedback, feedback.c.member_id), (items, items.c.delivery_id)):
                kept_owners = sa.select(owner).where(table.c.paper_id == keep).scalar_subquery()
                bind.execute(
                    sa.update(table).where(table.c.paper_id == dup, owner.not_in(kept_owners)).values(paper_id=keep)
                )
                bind.execute(sa.delete(table).where(table.c.paper_id == dup))
        bind.execute(sa.delete(papers).where(papers.c.id.in_(dups)))


def upgrade() -> None:
    bind = op.get_bind()
    _merge_duplicate_title_keys(bind)
    op.create_index(
        UNIQUE_INDEX, 'papers', ['title_key'], unique=True,
        sqlite_where=sa.text('arxiv_id IS NULL'), postgresql_where=sa.text('arxiv_id IS NULL'),
    )
    for statement in SQLITE_UP if bind.dialect.name == 'sqlite' else POSTGRES_UP if bind.dialect.name == 'postgresql' else []:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for statement in SQLITE_DOWN if bind.dialect.name == 'sqlite' else POSTGRES_DOWN if bind.dialect.name == 'postgresql' else []:
        op.execute(statement)
    op.drop_index(UNIQUE_INDEX, table_name='papers')
