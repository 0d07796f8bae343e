"""``paperbot export`` then ``paperbot import`` keeps when each 👍 was given (a trial: lena's 👍 of 2024-05-02
came back dated 2022-11-28, the paper's publication, and the "newest 👍 first" order changed)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from recommender.store import Feedback, Member, Paper, Store

LIBRARY = r"""@article{kernels, title = {Sparse Graph Kernels}, author = {Lovelace, Ada}, year = 2022, month = nov,
  day = 28, doi = {10.1145/3366423.3380048}, timestamp = {2024-05-02T09:30:15Z}}
@article{burrows, title = {Burrow Planning with Graph Networks}, author = {Mole, Mia}, year = 2024, month = jun,
  day = 1, timestamp = {2023-01-15}}
@misc{tunnels, title = {Attention over Tunnels}, author = {Vole, Vic}, year = 2021, month = mar, eprint = {2101.00001},
  archiveprefix = {arXiv}}
"""
UTC = dt.UTC


def _likes(db_url: str, user: str) -> list[tuple[str, dt.datetime]]:
    """The user's 👍 as (title, created_at in UTC), in the export's order: newest 👍 first."""
    store = Store(db_url)
    try:
        with store.session() as s:
            rows = s.execute(select(Paper.title, Feedback.created_at).join(Feedback, Feedback.paper_id == Paper.id)
                             .join(Member, Member.id == Feedback.member_id)
                             .where(Member.user_ref == user, Feedback.value > 0)
                             .order_by(Feedback.created_at.desc(), Feedback.id)).all()
    finally:
        store.dispose()
    return [(title, when if when.tzinfo else when.replace(tzinfo=UTC)) for title, when in rows]


@pytest.mark.parametrize(("fmt", "field", "kept"), [
    ("bibtex", "timestamp = {2024-05-02T09:30:15Z}", "second"),
    ("ris", "Y2  - 2024-05-02T09:30:15Z", "second"),
    ("csl-json", '"accessed": {"date-parts": [[2024, 5, 2]]}', "day"),
])
def test_an_exported_library_imports_back_with_its_like_dates_and_order(cli, db_url, sample_digests, tmp_path,
                                                                         fmt, field, kept):
    assert cli("ingest", sample_digests).exit_code == 0
    for user in ("lena", "mia"):
        assert cli("users", "add", user).exit_code == 0
    (tmp_path / "lena.bib").write_text(LIBRARY, encoding="utf-8")
    assert cli("import", "lena", tmp_path / "lena.bib").exit_code == 0
    assert cli("like", "lena", "#6").exit_code == 0  # now, to the microsecond
    lena = _likes(db_url, "lena")
    assert [(t, w) for t, w in lena if t != lena[0][0]] == [  # as the library dated them
        ("Sparse Graph Kernels", dt.datetime(2024, 5, 2, 9, 30, 15, tzinfo=UTC)),
        ("Burrow Planning with Graph Networks", dt.datetime(2023, 1, 15, tzinfo=UTC)),
        ("Attention over Tunnels", dt.datetime(2021, 3, 1, tzinfo=UTC))]  # no date added: published

    out = tmp_path / f"lena.{fmt}"
    done = cli("export", "lena", "--format", fmt, "--output", out)
    assert done.exit_code == 0, done.output
    assert cli("import", "mia", out).exit_code == 0

    mia = _likes(db_url, "mia")
    assert [t for t, _ in mia] == [t for t, _ in lena]  # newest 👍 first, as before
    if kept == "second":
        assert [w for _, w in mia] == [w.replace(microsecond=0) for _, w in lena]
    else:  # a CSL date holds the day
        assert [w for _, w in mia] == [dt.datetime(w.year, w.month, w.day, tzinfo=UTC) for _, w in lena]
    again = cli("export", "mia", "--format", fmt).stdout
    assert again == cli("export", "lena", "--format", fmt).stdout  # the same file, the same 👍 dates
    text = out.read_text(encoding="utf-8")  # where Zotero and JabRef read the date a paper was added
    assert field in (json.dumps(json.loads(text)[1]) if fmt == "csl-json" else text)


def test_likes_of_one_day_keep_their_order_through_export_and_import(cli, db_url, tmp_path):
    """Papers 👍'd at one date (a CSL date holds the day) came back in reverse order, and flipped again on
    every round trip: the export broke ties newest id first, the import stores a file in its order."""
    items = [{"id": f"p{i}", "type": "article", "title": f"Paper {name} of one day", "accessed": {"date-parts": [[2024, 5, 2]]}}
             for i, name in enumerate(("Alpha", "Beta", "Gamma"))]
    (tmp_path / "day.json").write_text(json.dumps(items), encoding="utf-8")
    for user in ("lena", "mia"):
        assert cli("users", "add", user).exit_code == 0
    assert cli("import", "lena", tmp_path / "day.json").exit_code == 0
    first = cli("export", "lena", "--format", "csl-json")
    (tmp_path / "again.json").write_text(first.stdout, encoding="utf-8")
    assert [i["title"] for i in json.loads(first.stdout)] == [i["title"] for i in items]  # the file's order
    assert cli("import", "mia", tmp_path / "again.json").exit_code == 0
    assert [i["title"] for i in json.loads(cli("export", "mia", "--format", "csl-json").stdout)] == [
        i["title"] for i in items]
