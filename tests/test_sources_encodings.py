"""Digest bytes that are UTF-8 but for stray bytes, or hold a NUL, are refused at their line; legacy encodings still read."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from recommender.ingest import ingest_bytes
from recommender.sources import parse_digest
from recommender.sources.records import ParseError
from recommender.store import Paper

from sources_helpers import card, page

META = "  * 4 authors\n·\nJul 30, 2023"  # '·' is two bytes in UTF-8
ASCII_META = "  * 4 authors\nJul 30, 2023"
UTF8_PAGE = page(card("Modèles génératifs à l'échelle", 1, META), card("Climate Beta", 2, META), card("Gamma", 3, META))
ASCII_PAGE = page(card("Alpha", 1, ASCII_META), card("Climate Beta", 2, ASCII_META))


def _line_of(data: bytes, needle: bytes) -> int:
    return data.count(b"\n", 0, data.index(needle)) + 1


@pytest.mark.parametrize("data, bad", [
    (UTF8_PAGE.encode().replace(b"Climate Beta", b"Climate \xff\xfe caf\xe9 Beta"), b"\xff"),  # stray bytes mid-file
    (UTF8_PAGE.encode().replace(b"Climate", b"\xffClimate"), b"\xff"),  # one stray byte before a title
    (ASCII_PAGE.encode().replace(b"Climate", b"\xffClimate"), b"\xff"),  # ... in an otherwise ASCII page
])
def test_stray_bytes_in_utf8_name_file_and_line_and_store_nothing(store, data, bad):
    with pytest.raises(ParseError) as failed:
        parse_digest(data, source="stray.txt")
    assert failed.value.source == "stray.txt" and failed.value.line == _line_of(data, bad)
    assert "not valid UTF-8" in failed.value.message and "0xFF" in failed.value.message
    result = ingest_bytes(store, data, "stray.txt")
    assert not result.ok and f"stray.txt:{_line_of(data, bad)}" in result.error
    with store.session() as s:
        assert s.scalar(select(func.count(Paper.id))) == 0


@pytest.mark.parametrize("text", [UTF8_PAGE, ASCII_PAGE])
def test_a_nul_is_reported_as_a_nul_at_its_line(text):
    data = text.encode().replace(b"Climate", b"Cli\x00mate")
    with pytest.raises(ParseError) as failed:
        parse_digest(data, source="nul.txt")
    assert failed.value.line == _line_of(data, b"\x00")
    assert "NUL" in failed.value.message and "control character" in failed.value.message
    assert "undecodable" not in failed.value.message


@pytest.mark.parametrize("text, encoding", [
    (page(card("Café naïve models for Élan", 1, ASCII_META), card("Über große Modelle für Ärzte", 2, ASCII_META)),
     "latin-1"),
    (page(card("The “Best” Model – Really…", 1, ASCII_META), card("Beta", 2, ASCII_META)), "cp1252"),
    (UTF8_PAGE, "utf-16"),
])
def test_legacy_encodings_still_read(text, encoding):
    titles = [p.title for p in parse_digest(text.encode(encoding), source="legacy.txt").papers]
    assert titles == [p.title for p in parse_digest(text, source="legacy.txt").papers]
