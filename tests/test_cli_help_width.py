"""``paperbot … --help`` in an 80-column terminal (and a 120-column one), as a new user's trial read it.

The trial found docstrings' hard line breaks kept (ragged lines of 30 characters under full ones), the
command list's ``start`` line cut to ``pick…`` mid-sentence, ``run --help``'s help text wrapped at 19
characters beside a wide column of option names, and ``[digest]`` missing from a help text (read as
markup). These walk every command, so a new one is held to the same.
"""

from __future__ import annotations

import re

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()
WIDTHS = (80, 120)


def _paths(command=None, path=()) -> list[tuple[str, ...]]:
    """Every command and group of ``paperbot``, as the words typed before ``--help``."""
    command = command or get_command(app)
    found = [path]
    for name, sub in getattr(command, "commands", {}).items():
        found += _paths(sub, (*path, name))
    return found


PATHS = _paths()


def help_of(path: tuple[str, ...], width: int) -> str:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": str(width)}, terminal_width=width)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= width for line in lines), result.output
    return result.output


def _prose(text: str) -> list[list[str]]:
    """The paragraphs of the help text between the usage line and the first panel, each a list of lines."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("Usage:")) + 1
    end = next((i for i, line in enumerate(lines) if line.startswith("╭")), len(lines))
    paragraphs, current = [], []
    for line in lines[start:end]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(current)
            current = []
    return paragraphs + ([current] if current else [])


def _panel(text: str, title: str) -> list[str]:
    """The inner lines of the panel named ``title`` (``Commands``, ``Options``), borders removed."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"╭─ {title} "))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("╰"))
    return [line[1:-1] for line in lines[start + 1:end]]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "paperbot")
def test_help_paragraphs_are_filled_not_broken_where_the_docstring_was(path, width):
    """A paragraph's lines run to the terminal's width; only its last line is short (the trial's
    ``channels remove --help`` had lines of 33, 36 and 45 characters between full ones)."""
    for paragraph in _prose(help_of(path, width)):
        short = [line for line in paragraph[:-1] if len(line) < width - 20]
        assert not short, f"{' '.join(path)}: {short}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "paperbot")
def test_the_command_list_gives_each_command_one_whole_line(path, width):
    """Each command's summary fits its row: the trial's ``start`` row read ``so a user's pick…``, a word cut
    where a line holding two emoji was measured in characters, not cells."""
    text = help_of(path, width)
    if "╭─ Commands " not in text:
        return
    rows = _panel(text, "Commands")
    assert "…" not in "\n".join(rows), text
    continued = [row for row in rows if row.startswith("  ")]  # a summary wrapped onto a second line
    assert not continued, text


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "paperbot")
def test_option_help_has_room_beside_the_option_names(path):
    """At 80 columns the help text column keeps at least 35 characters (``run --help`` wrapped at 19: the
    range ``[0<=x<=65535]`` typer printed beside ``--port`` widened the column of types)."""
    text = help_of(path, 80)
    line = next(line for line in text.splitlines() if "Show this message and exit." in line)
    assert len(line) - 1 - line.index("Show this message") >= 35, text


def test_brackets_and_angle_brackets_in_help_are_shown_as_written():
    """Help text is not markup: ``[digest]`` (a settings table) and ``#<paper id>`` stay."""
    assert "[digest] time setting" in " ".join(help_of(("users", "subscribe"), 80).replace("│", " ").split())
    assert "#<paper id>" in help_of(("like",), 80)


def test_port_out_of_range_is_still_a_usage_error():
    result = runner.invoke(app, ["run", "--port", "70000"])
    assert result.exit_code == 2 and "give 0 to 65535" in " ".join(result.output.replace("│", " ").split())


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "paperbot")
def test_help_names_parameters_as_written(path):
    """typer 0.29 printed a type after every parameter, ``--json <bool>`` beside a flag (it takes no value),
    ``PERSON <str>`` and ``FILE|DIR|URL <list[str]>`` beside named arguments, and braces around a required
    argument in the usage line, ``paperbot picks [OPTIONS] {PERSON}``. Options that take a value keep theirs."""
    text = help_of(path, 80)
    assert not re.search(r"<[\w.\[\]|,-]+>", text), text  # #<paper id> is help text
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "{" not in usage and "}" not in usage, usage
    if path == ("picks",):
        assert usage.split() == ["Usage:", "paperbot", "picks", "[OPTIONS]", "PERSON"]
    if path == ("ingest",):
        assert usage.split()[-1] == "FILE|DIR|URL..."
    if path == ("papers",):
        assert usage.split()[-2:] == ["PERSON", "[TEXT]…"]
    if path == ("export",):
        assert re.search(r"--format +bibtex\|ris\|csl-json +Library format", text), text
    if path == ("users", "subscribe"):
        assert re.search(r"--time +HH:MM +Local delivery time", text), text


def test_a_usage_error_shows_the_usage_line_as_written():
    result = runner.invoke(app, ["picks"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 2 and "Usage: paperbot picks [OPTIONS] PERSON" in result.output, result.output
