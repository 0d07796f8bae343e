"""Where ``paperbot ingest`` prints what went wrong, with stdout and stderr sent to real files and pipes.

A skipped entry, a parser's warning and a failed digest's error go to stderr, and to stdout too unless the two
are one place (one terminal, file or pipe): a reader of stdout alone has them under the table.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def folder(tmp_path, sample_digests) -> Path:
    """A folder of digests: a page cut off mid-card (a warning), a malformed JSON (an error), notes (skipped)."""
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "cut.txt").write_bytes((sample_digests / "001_22f0a1ce284fcda3.txt").read_bytes()[:30000])
    (folder / "bad.json").write_text("{bad")
    (folder / "NOTES.md").write_text("notes")
    return folder


def ingest(db_url: str, folder: Path, stdout, stderr, **env: str) -> subprocess.CompletedProcess:
    """``paperbot ingest folder`` in its own process at 80 columns, its streams where the caller sends them."""
    return subprocess.run([sys.executable, "-m", "bot.cli", "--database-url", db_url, "ingest", str(folder)],
                          stdout=stdout, stderr=stderr, env={**os.environ, "COLUMNS": "80", **env}, check=False)


def notes(folder: Path) -> list[str]:
    """The starts of the three lines of ``folder``'s problems, in the order printed (its files in name order)."""
    return ["skipped NOTES.md: not a digest file type (.md)", f"error {folder / 'bad.json'}:1: not valid JSON",
            f"warning {folder / 'cut.txt'}:149: last card"]


def lines_of(text: str) -> list[str]:
    """``text``'s lines as a terminal would leave them: Rich's escape codes (a forced terminal's progress bar,
    its styles) removed, and a line rewritten after a carriage return split there."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).splitlines()


def under_the_table(text: str) -> list[str]:
    lines = lines_of(text)
    last_row = max(i for i, line in enumerate(lines) if line.startswith(("│", "└")))
    return lines[last_row + 1:]


def found(lines: list[str], folder: Path) -> list[str]:
    """Which of ``folder``'s problem lines (:func:`notes`) ``lines`` has, in its order, each as often as it is there."""
    return [start for line in lines for start in notes(folder) if line.startswith(start)]


@pytest.mark.parametrize("env", [{}, {"FORCE_COLOR": "1", "NO_COLOR": "1"}], ids=["plain", "forced-terminal"])
def test_ingest_redirected_to_a_file_has_its_warnings_and_errors_under_the_table(db_url, folder, tmp_path, env):
    """``paperbot ingest drop > out.txt``: the warning of the cut page went to the terminal alone, and with Rich's
    terminal forced (``FORCE_COLOR=1``, as CI services set it) the error did too, both streams taken for one
    terminal. The file now has each line under its table, and stderr has them all as well."""
    out, error = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("w") as stdout, error.open("w") as stderr:
        assert ingest(db_url, folder, stdout, stderr, **env).returncode == 1
    assert found(under_the_table(out.read_text()), folder) == notes(folder), out.read_text()
    assert found(lines_of(error.read_text()), folder) == notes(folder), error.read_text()


@pytest.mark.parametrize("place", ["file", "pipe"])
def test_ingest_and_its_stderr_in_one_place_have_each_line_once(db_url, folder, tmp_path, place):
    """``paperbot ingest drop > out.txt 2>&1`` or ``paperbot ingest drop 2>&1 | less``: one place, each line once."""
    if place == "file":
        out = tmp_path / "out.txt"
        with out.open("w") as f:
            assert ingest(db_url, folder, f, subprocess.STDOUT).returncode == 1
        text = out.read_text()
    else:
        text = ingest(db_url, folder, subprocess.PIPE, subprocess.STDOUT).stdout.decode()
    assert found(lines_of(text), folder) == notes(folder), text


def test_ingest_piped_with_stderr_apart_has_its_lines_in_the_pipe_too(db_url, folder, tmp_path):
    """``paperbot ingest drop | less`` (or ``| tee log.txt``), stderr on the terminal: the pipe's reader is not
    the terminal that shows stderr, so the lines are in the pipe under the table as well as on stderr (twice on
    screen with ``| cat``; a pager or a tee'd file would otherwise have ``error: see below`` and nothing below)."""
    error = tmp_path / "err.txt"
    with error.open("w") as stderr:
        piped = ingest(db_url, folder, subprocess.PIPE, stderr)
    assert found(under_the_table(piped.stdout.decode()), folder) == notes(folder), piped.stdout.decode()
    assert found(lines_of(error.read_text()), folder) == notes(folder), error.read_text()
