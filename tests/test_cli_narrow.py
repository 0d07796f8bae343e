"""Tables of ``paperbot ingest`` in an 80-column terminal, as a new user's trial read them (and at 120 columns)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(params=[80, 120])
def width(request, monkeypatch):
    """The terminal's width for ``console`` and ``err``, made at import (``COLUMNS`` is read then)."""
    from bot.cli.state import console, err

    monkeypatch.setattr(console, "width", request.param)
    monkeypatch.setattr(err, "width", request.param)
    return request.param


def cells(output: str) -> list[str]:
    """Every table cell's text, line by line: ``│ a │ b │`` gives ``a`` and ``b``."""
    return [cell.strip() for line in output.splitlines() if line.startswith("│") for cell in line.split("│")[1:-1]]


def test_a_failed_ingest_prints_its_error_once_whole_under_a_short_note(cli, tmp_path, width):
    """The trial's ingest of a Daily Papers JSON with an impossible arXiv id: the narrow note column folded the
    whole error a few characters a row (24 rows, ``/tmp/tria`` over ``l-files/b``), then the same error came
    again as an ``error`` line. The row now says where to look, the error is printed once, on one line,
    and a file name's brackets are text (``notes [b].json`` had read ``notes .json``)."""
    folder = tmp_path / "trial-files"
    folder.mkdir()
    bad_id = folder / "badid.json"
    bad_id.write_text(json.dumps([{"paper": {"id": "2413.00001", "title": "A paper", "summary": "x",
                                             "authors": [{"name": "A B"}], "publishedAt": "2024-01-01T00:00:00Z"}}]))
    malformed = folder / "notes [b].json"
    malformed.write_text("{bad")
    result = cli("ingest", bad_id, malformed)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    rows = [line for line in lines if line.startswith("│")]
    assert len(rows) <= 2 * 2 + 1, result.output  # two lines a file at most, and the total
    assert all(len(line) <= width for line in rows), result.output
    for path in (bad_id, malformed):
        errors = [line for line in lines if str(path) in line]
        assert len(errors) == 1 and errors[0].startswith(f"error {path}:1: "), result.output
    assert "which no arXiv paper can have" in result.output and "not valid JSON" in result.output
    assert "see below" in " ".join(cells(result.output))
    assert "[b].json" in " ".join(cells(result.output))

