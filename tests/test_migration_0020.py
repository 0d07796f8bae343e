"""0020's DOI key index, made on either backend with the expression the DOI lookup writes, and the papers' venue,
entry type and pages: a downgrade drops them alone (the plain ``ix_papers_doi`` stays)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from recommender.store.db import alembic_config, make_engine, upgrade


def _indexes(conn) -> dict[str, str]:
    if conn.dialect.name == "sqlite":
        rows = conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'papers'"))
    else:
        rows = conn.execute(sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'papers' "
                                    "AND schemaname = current_schema()"))
    return {name: sql or "" for name, sql in rows}


def test_the_doi_key_index_and_venue_columns_are_made_and_a_downgrade_drops_them_alone(db_url):
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            made = _indexes(conn)
        assert "ix_papers_doi" in made
        expected = 'lower(((doi)::text COLLATE "C"))' if engine.dialect.name == "postgresql" else "lower(doi)"
        assert expected in made["ix_papers_doi_key"], made["ix_papers_doi_key"]
        with engine.begin() as conn:
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0019")
        with engine.connect() as conn:
            left = _indexes(conn)
        assert "ix_papers_doi_key" not in left and "ix_papers_doi" in left
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("papers")}
        assert not columns & {"venue", "entry_type", "pages"} and "doi" in columns
        upgrade(engine)  # and back
        with engine.connect() as conn:
            assert "ix_papers_doi_key" in _indexes(conn)
            assert {"venue", "entry_type", "pages"} <= {c["name"] for c in sa.inspect(conn).get_columns("papers")}
    finally:
        engine.dispose()
