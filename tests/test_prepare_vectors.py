"""Ranking after ``Recommender.prepare`` only reads: new papers' vectors are stored in a transaction of their own.

On SQLite a transaction that stored a row holds the database's write lock until it ends, so a ranking
that stored new papers' TF-IDF rows on its way held every other writer (a 👍, a command) until it was done.
"""

import sqlite3

import pytest

from bot.commands import Caller, Commands
from recommender.ingest import ingest_bytes
from recommender.store import Member

from sources_helpers import card, page


def write_lock_free(url: str) -> bool:
    """Whether another connection can take SQLite's write lock at once."""
    other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


@pytest.mark.parametrize("prepared", [True, False])
@pytest.mark.parametrize("hybrid", [False, pytest.param(True, marks=pytest.mark.semantic)])  # embeddings stored too
def test_picks_after_prepare_hold_no_write_lock(papers_store, settings, prepared, hybrid):
    if papers_store.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    cmds = Commands(papers_store, settings)
    reader = Caller("cli", "local", "ada")
    cmds.interests_add(reader, "graph neural networks")
    cmds.picks(reader, 5)  # the model and every stored paper's row are in place
    new = page(*(card(f"Graph Sampling Method Number {n} for Message Passing Networks", 900 + n) for n in range(5)))
    assert ingest_bytes(papers_store, new.encode(), "new.txt").new == 5  # stored with no TF-IDF row yet
    rec = cmds.recommender
    if prepared:
        with papers_store.session() as session:
            assert rec.prepare(session) > 0
    with papers_store.session() as session:
        member = session.query(Member).one()
        picks = rec.picks(session, [member], 5)[0]
        locked = not write_lock_free(str(papers_store.engine.url))
    assert picks
    assert locked is not prepared  # without prepare, the ranking's session stored the rows and holds the lock
