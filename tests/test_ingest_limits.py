"""Values a column cannot hold (an over-long title, arXiv id or DOI; an upvote count beyond a 32-bit integer)
refuse their digest at parse time, naming file and line, alike on SQLite and PostgreSQL; nothing of it is stored."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from recommender.ingest import ingest, ingest_bytes
from recommender.store import Digest, DigestEntry, Paper

INT_MAX = 2**31 - 1


def item(paper_id: str = "2405.00001", title: str = "A Fine Paper", upvotes: object = 3) -> dict:
    return {"paper": {"id": paper_id, "title": title, "summary": "An abstract long enough to be one.",
                      "authors": [{"name": "Ada Lovelace"}], "publishedAt": "2024-05-24T17:59:00.000Z",
                      "upvotes": upvotes},
            "publishedAt": "2024-05-27T01:00:00.000Z"}


def digest(*items: dict) -> bytes:
    return json.dumps([item("2405.09000", "The Good Paper Before It"), *items], indent=2).encode()


def second_item_line(data: bytes) -> int:
    text = data.decode()
    return text.count("\n", 0, text.index('"paper"', text.index('"paper"') + 1))  # the line of its opening brace


def stored(store) -> tuple[int, int, int]:
    with store.session() as s:
        return (s.scalar(select(func.count(Paper.id))), s.scalar(select(func.count(Digest.id))),
                s.scalar(select(func.count()).select_from(DigestEntry)))


@pytest.mark.parametrize(("bad", "words"), [
    (item(title="Long " * 201), "title too long (1004 characters once normalised for matching; at most 1000)"),
    (item(paper_id="10.1234/" + "x" * 250), "DOI too long (258 characters; at most 255)"),
    (item(paper_id="a" * 60 + "/1234567"), "arXiv id too long (68 characters; at most 64)"),
    # 1000 characters, but 3000 bytes: PostgreSQL's index on the title holds at most 2704 (it failed there alone)
    (item(title="中" * 1000), "title too long (3000 bytes of UTF-8 once normalised for matching; at most 2000)"),
    (item(upvotes=INT_MAX + 1), f"upvote count {INT_MAX + 1} out of range"),
    (item(upvotes=-(2**63) - 1), f"upvote count {-(2**63) - 1} out of range"),
])
def test_value_the_store_cannot_hold_refuses_the_file_at_its_line(store, bad, words):
    data = digest(bad)
    result = ingest_bytes(store, data, "day.json")
    assert result.error is not None and words in result.error
    assert result.error.startswith(f"day.json:{second_item_line(data)}: ")
    assert stored(store) == (0, 0, 0)  # not even the good paper before it


def test_values_at_the_limits_are_stored(store):
    title = "x" * 1000
    data = digest(item(paper_id="10.1234/" + "y" * 247, title=title, upvotes=INT_MAX), item(upvotes=-(2**31)))
    result = ingest_bytes(store, data, "day.json")
    assert (result.error, result.new) == (None, 3)
    with store.session() as s:
        assert s.scalar(select(func.max(DigestEntry.upvotes))) == INT_MAX
        assert s.scalar(select(Paper.title).where(Paper.doi.is_not(None))) == title


def test_a_refused_file_fails_alone_in_a_batch(store, tmp_path):
    (tmp_path / "a_bad.json").write_bytes(digest(item(title="Long " * 201)))
    (tmp_path / "b_good.json").write_bytes(json.dumps([item()]).encode())
    results = ingest(store, [tmp_path])
    assert [r.error is None for r in results] == [False, True]
    assert "title too long" in results[0].error and stored(store) == (1, 1, 1)


def test_a_doi_holding_a_nul_is_no_doi_and_stores_nothing_postgresql_cannot_hold(store):
    """A NUL in an id: PostgreSQL text refuses it at commit (the batch failed there), SQLite stored it."""
    result = ingest_bytes(store, digest(item(paper_id="10.1234/a\u0000b", title="A Paper With A Broken Id")), "d.json")
    assert (result.error, result.new) == (None, 2)
    with store.session() as s:
        assert s.scalar(select(Paper.doi).where(Paper.title == "A Paper With A Broken Id")) is None
