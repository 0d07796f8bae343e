"""Schema objects in our database that ``models.py`` does not describe, and why.

- APScheduler's job store creates ``apscheduler_jobs`` itself.
- slack_sdk's OAuth stores read and write the tables migration 0003 creates (frozen DDL).
- The full-text index of migration 0004 is written in each backend's own SQL:
  SQLite's FTS5 table ``papers_fts`` (with its shadow tables ``papers_fts_*``
  and the view ``papers_fts_source``); PostgreSQL's generated column
  ``papers.search_vector`` and its GIN index.
- The DOI key index of migration 0020, ``ix_papers_doi_key``, an expression index whose expression each
  backend writes its own way (:func:`recommender.store.dialects.doi_key_sql`).

Alembic's autogenerate must neither drop nor alter them (:func:`include_object`).
"""

from __future__ import annotations

EXTERNAL_TABLES = frozenset({"apscheduler_jobs", "slack_installations", "slack_bots", "slack_oauth_states"})
#: The full-text index (migration 0004): tables by prefix, the PostgreSQL column and index by name.
FULLTEXT_TABLE_PREFIX = "papers_fts"
FULLTEXT_COLUMNS = frozenset({"search_vector"})
FULLTEXT_INDEXES = frozenset({"ix_papers_search_vector"})
#: Expression indexes written in each backend's own SQL (migration 0020).
EXPRESSION_INDEXES = frozenset({"ix_papers_doi_key"})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic ``include_object`` hook: False for the library-owned and full-text objects above."""
    if type_ == "column" and name in FULLTEXT_COLUMNS:
        return False
    if type_ == "index" and name in FULLTEXT_INDEXES | EXPRESSION_INDEXES:
        return False
    table_name = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return not (table_name in EXTERNAL_TABLES or (table_name or "").startswith(FULLTEXT_TABLE_PREFIX))
