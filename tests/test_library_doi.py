"""A library entry matched to a stored paper by its DOI, alike on SQLite and PostgreSQL: DOIs are case-insensitive
in their ASCII letters only (the DOI Handbook, 2.4), and SQLite's lower() and PostgreSQL's (in the database's
locale) disagree on the others."""

import json

import pytest
from sqlalchemy import func, select, text

from bot.commands import Caller, Commands
from recommender.store import Paper


def csl(title: str, doi: str) -> bytes:
    return json.dumps([{"id": "k", "type": "article-journal", "title": title, "DOI": doi,
                        "issued": {"date-parts": [[2020]]}}]).encode()


def _import(store, settings, title: str, doi: str) -> None:
    reply = Commands(store, settings).import_library(Caller("cli", "local", "ada"), csl(title, doi), "lib.json")
    assert reply.ok, reply.text


def _papers(store) -> list[tuple[str, str]]:
    with store.session() as s:
        return [tuple(row) for row in s.execute(select(Paper.title, Paper.doi).order_by(Paper.id))]


@pytest.mark.parametrize(("stored", "listed", "same"), [
    ("10.1000/Ä", "10.1000/Ä", True),  # the same DOI, written alike: SQLite's lower() kept Ä, Python's gave ä
    ("10.1000/ABC-Ä", "10.1000/abc-Ä", True),  # ASCII letters differing in case: one DOI
    ("10.1000/Ä", "10.1000/ä", False),  # non-ASCII letters differing in case: two DOIs (PostgreSQL lowered Ä)
    ("10.1000/Σ", "10.1000/σ", False),
])
def test_a_doi_matches_the_same_papers_on_every_backend(store, settings, stored, listed, same):
    _import(store, settings, "The Journal Version", stored)
    _import(store, settings, "A Title Written Otherwise", listed)
    expected = [("The Journal Version", stored)] + ([] if same else [("A Title Written Otherwise", listed)])
    assert _papers(store) == expected


def test_the_doi_lookup_reads_an_index(store):
    from recommender.store.dialects import doi_key_sql

    with store.session() as s:
        query = select(Paper.id).where(doi_key_sql(s).in_(["10.1000/abc"]))
        sql = str(query.compile(s.get_bind(), compile_kwargs={"literal_binds": True}))
        if s.get_bind().dialect.name == "sqlite":
            plan = " ".join(str(row[-1]) for row in s.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
        else:
            s.execute(text("SET LOCAL enable_seqscan = off"))  # an empty table: the planner would scan it anyway
            plan = " ".join(row[0] for row in s.execute(text(f"EXPLAIN {sql}")))
        assert "ix_papers_doi_key" in plan, plan
        assert s.scalar(select(func.count()).select_from(Paper)) == 0
