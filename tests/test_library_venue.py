"""What a library says of where a paper appeared: its venue (BibTeX journal or booktitle), its entry type
(article, inproceedings, misc) and its pages, stored by an import and written back by an export in every format,
so a round trip keeps them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from recommender.imports import parse_library
from recommender.store import Paper, Store

BIB = r"""@inproceedings{vaswani2017,
  title = {Attention Is All You Need},
  author = {Vaswani, Ashish},
  booktitle = {Advances in Neural Information Processing Systems 30 ({NeurIPS})},
  pages = {5998--6008},
  eprint = {1706.03762},
  year = 2017
}

@article{lecun2015,
  title = {Deep Learning},
  author = {LeCun, Yann},
  journal = {Nature},
  pages = {436--444},
  doi = {10.1038/nature14539},
  year = 2015, month = may
}

@misc{ba2016,
  title = {Layer Normalization},
  author = {Ba, Jimmy Lei},
  eprint = {1607.06450},
  year = 2016
}
"""

#: (venue, entry type, pages) of each entry, as stored.
STORED = {"Attention Is All You Need": ("Advances in Neural Information Processing Systems 30 (NeurIPS)", "inproceedings",
                                        "5998-6008"),
          "Deep Learning": ("Nature", "article", "436-444"),
          "Layer Normalization": (None, "misc", None)}


def _stored(db_url: str) -> dict[str, tuple]:
    store = Store(db_url)
    try:
        with store.session() as s:
            return {t: (v, e, p) for t, v, e, p in s.execute(select(Paper.title, Paper.venue, Paper.entry_type, Paper.pages))}
    finally:
        store.dispose()


def test_a_bibtex_entrys_venue_type_and_pages_are_read():
    entries = parse_library(BIB, "lib.bib")
    assert {e.record.title: (e.record.venue, e.record.entry_type, e.record.pages) for e in entries} == STORED


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csl-json"])
def test_venue_type_and_pages_survive_import_export_and_import_again(cli, db_url, tmp_path, fmt):
    bib = tmp_path / "mine.bib"
    bib.write_text(BIB, encoding="utf-8")
    for user in ("ada", "bob"):
        assert cli("users", "add", user).exit_code == 0
    assert cli("import", "ada", bib).exit_code == 0
    assert _stored(db_url) == STORED
    out = tmp_path / f"ada.{ {'bibtex': 'bib', 'ris': 'ris', 'csl-json': 'json'}[fmt]}"
    done = cli("export", "ada", "-o", out)
    assert done.exit_code == 0, done.output
    text = out.read_text(encoding="utf-8")
    if fmt == "bibtex":
        assert "@inproceedings{" in text and "@article{" in text and "@misc{" in text
        assert "booktitle = {Advances in Neural Information Processing Systems 30 (NeurIPS)}" in text
        assert "journal = {Nature}" in text and "pages = {436--444}" in text
    elif fmt == "ris":
        assert "TY  - CPAPER" in text and "TY  - JOUR" in text and "TY  - GEN" in text
        assert "T2  - Nature" in text and "SP  - 436" in text and "EP  - 444" in text
    else:
        items = {item["title"]: item for item in json.loads(text)}
        assert items["Deep Learning"]["type"] == "article-journal" and items["Deep Learning"]["page"] == "436-444"
        assert items["Attention Is All You Need"]["type"] == "paper-conference"
        assert items["Layer Normalization"]["type"] == "article"  # CSL's preprint type
    back = parse_library(text, out.name)
    assert {e.record.title: (e.record.venue, e.record.entry_type, e.record.pages) for e in back} == STORED
    # stored papers keep what they have; a store without them would take them from the file
    assert cli("import", "bob", out).exit_code == 0
    assert _stored(db_url) == STORED
