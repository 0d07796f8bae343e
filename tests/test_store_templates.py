"""The ``store`` and ``papers_store`` fixtures' databases, copies of session templates (``tests/store_templates.py``),
are what migrating an empty database (and ingesting the samples) gives: schema, rows and sequences alike."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from store_templates import fill

from recommender.store import Store
from recommender.store.db import at_head, make_engine

_PG_CATALOG = {
    # A column's place among its table's, not its number: a dropped column leaves a gap in the numbers.
    "columns": """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attgenerated,
                         a.attidentity, a.attstorage, pg_get_expr(d.adbin, d.adrelid),
                         rank() OVER (PARTITION BY a.attrelid ORDER BY a.attnum)
                  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                  WHERE c.relnamespace = current_schema()::regnamespace AND a.attnum > 0 AND NOT a.attisdropped""",
    "relations": """SELECT relname, relkind, relpersistence, array_to_string(reloptions, ',') FROM pg_class
                    WHERE relnamespace = current_schema()::regnamespace""",
    "constraints": """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
                      WHERE connamespace = current_schema()::regnamespace""",
    "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()",
    "sequences": """SELECT sequencename, data_type::text, start_value, increment_by, last_value FROM pg_sequences
                    WHERE schemaname = current_schema()""",
    "owned sequences": """SELECT s.relname, t.relname, a.attname FROM pg_depend d JOIN pg_class s ON s.oid = d.objid
                          JOIN pg_class t ON t.oid = d.refobjid
                          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
                          WHERE s.relkind = 'S' AND s.relnamespace = current_schema()::regnamespace""",
    "triggers": """SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                   WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace""",
    "functions": "SELECT proname, pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace = current_schema()::regnamespace",
}


def _describe(url: str) -> dict:
    """Every table's definition and rows, the sequences and where they stand, as the database itself tells them."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                out = {"master": sorted(conn.execute(sa.text("SELECT type, name, tbl_name, sql FROM sqlite_master")).all()),
                       "journal_mode": conn.execute(sa.text("PRAGMA journal_mode")).scalar()}
            else:  # the schema's own name, different in the two databases, is left out of definitions
                schema = conn.execute(sa.text("SELECT current_schema()")).scalar()
                out = {name: sorted(tuple(re.sub(rf"\b{schema}\.", "", v) if isinstance(v, str) else v for v in row)
                                    for row in conn.execute(sa.text(sql)).all())
                       for name, sql in _PG_CATALOG.items()}
            meta = sa.MetaData()
            meta.reflect(conn)
            for table in meta.sorted_tables:
                columns = [c for c in table.columns if c.computed is None]  # (generated: from the others, in definitions)
                rows = conn.execute(sa.select(*columns)).all()  # (a time stamped when written: a time, not which)
                out[f"rows of {table.name}"] = sorted((tuple("<time>" if isinstance(v, dt.datetime) else v for v in row)
                                                       for row in rows), key=repr)
            return out
    finally:
        engine.dispose()


def _same_as_migrated(copy_url: str, migrated_url: str, content: str) -> dict:
    """Migrate (and fill) ``migrated_url``, check the copy at ``copy_url`` describes the same; the copy's description."""
    st = Store(migrated_url)
    fill(st, content)
    st.dispose()
    copy, migrated = _describe(copy_url), _describe(migrated_url)
    assert copy.keys() == migrated.keys()
    for part in copy:
        assert copy[part] == migrated[part], part
    return copy


def test_the_store_fixture_is_an_empty_migrated_database(store, db_url, second_db_url):
    assert at_head(store.engine)
    copy = _same_as_migrated(db_url, second_db_url, "schema")
    assert copy["rows of alembic_version"] and not copy["rows of papers"]


def test_the_papers_store_fixture_is_a_migrated_database_holding_the_samples(papers_store, db_url, second_db_url):
    assert at_head(papers_store.engine)
    copy = _same_as_migrated(db_url, second_db_url, "papers")
    assert len(copy["rows of papers"]) == 216
