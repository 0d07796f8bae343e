"""Tables of ``paperbot ingest``, ``users list`` and ``channels list`` in an 80-column terminal, as a new user's
trial read them (and at 120 columns)."""

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
    result = cli("ingest", bad_id, malformed, env={"TTY_COMPATIBLE": "1"})  # stdout and stderr: one terminal
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


def test_a_failed_ingest_with_stdout_redirected_prints_its_error_under_the_table_there(cli, tmp_path, width):
    """The trial's ``paperbot ingest … > out.txt``: the table in the file said ``error: see below`` and nothing
    followed, the error having gone to the terminal (stderr) alone. Read apart, stdout has the error line under
    its table too, and stderr still has it; on one terminal it is printed once (the test above)."""
    bad = tmp_path / "bad.json"
    bad.write_text("{bad")
    result = cli("ingest", bad)
    assert result.exit_code == 1
    assert "see below" in " ".join(" ".join(cells(result.stdout)).split())
    for stream in (result.stdout, result.stderr):
        errors = [line for line in stream.splitlines() if str(bad) in line]
        assert len(errors) == 1 and errors[0].startswith(f"error {bad}:1: not valid JSON"), stream
    lines = result.stdout.splitlines()
    last_row = max(i for i, line in enumerate(lines) if line.startswith(("│", "└")))
    assert any(line.startswith(f"error {bad}:1: ") for line in lines[last_row + 1:]), result.stdout


def test_a_failed_ingest_into_one_file_prints_its_error_once(tmp_path, db_url):
    """``paperbot ingest bad.json > out.txt 2>&1``: stdout and stderr are one file, which has the error once."""
    import os
    import subprocess
    import sys

    bad = tmp_path / "bad.json"
    bad.write_text("{bad")
    out = tmp_path / "out.txt"
    with out.open("w") as f:
        code = subprocess.run([sys.executable, "-m", "bot.cli", "--database-url", db_url, "ingest", str(bad)],
                              stdout=f, stderr=subprocess.STDOUT, env={**os.environ, "COLUMNS": "80"}).returncode
    text = out.read_text()
    assert code == 1, text
    assert "error: see" in text and len([line for line in text.splitlines() if str(bad) in line]) == 1, text


def add_chat_rows(store) -> None:
    """The trial's two Slack workspaces with a channel ``papers`` each and a member ``kim`` each, beside local ones."""
    from recommender.store import Channel, Member

    with store.session() as session:
        for workspace, zone in (("T0AAAAAAAAA", "Europe/Berlin"), ("T0BBBBBBBBB", "America/Los_Angeles")):
            session.add(Channel(platform="slack", workspace=workspace, channel_ref=f"C{workspace[2:]}", name="papers",
                                topic="graph neural networks for molecules", digest_time="09:00", timezone=zone))
            session.add(Member(platform="slack", workspace=workspace, user_ref=f"U{workspace[2:]}", display_name="kim",
                               interests=["diffusion models"], subscribed=True, digest_time="08:00", timezone=zone))
        session.add(Channel(platform="discord", workspace="112233445566778899", channel_ref="998877665544332211",
                            name="papers", digest_time="10:00", timezone="Europe/Paris"))


@pytest.mark.parametrize("what", ["channels", "users"])
def test_lists_tell_two_chat_workspaces_apart(cli, store, what, width):
    """``slack │ papers`` twice, in two workspaces, looked the same (only ``--json`` told them apart): the
    list shows each chat row's workspace id whole (as ``channels remove --workspace`` takes it), and every
    timezone whole, within the terminal's width."""
    assert cli("users", "add", "ada", "--interests", "graphs").exit_code == 0
    assert cli("channels", "add", "lab", "--timezone", "Europe/Paris").exit_code == 0
    add_chat_rows(store)
    result = cli(what, "list")
    assert result.exit_code == 0, result.output
    assert all(len(line) <= width for line in result.output.splitlines()), result.output
    words = " ".join(cells(result.output)).split()
    for workspace in ("T0AAAAAAAAA", "T0BBBBBBBBB", *(["112233445566778899"] if what == "channels" else [])):
        assert workspace in words, result.output
    for zone in ("Europe/Berlin", "America/Los_Angeles", *(["Europe/Paris"] if what == "channels" else [])):
        assert zone in words, result.output
    assert "…" not in result.output


@pytest.mark.parametrize("what", ["channels", "users"])
def test_lists_keep_their_headers_whole_beside_a_long_timezone(cli, store, what, width):
    """Beside a Discord server id and ``America/Argentina/Buenos_Aires`` at 80 columns, ``users list`` cut its
    headers (``intere`` over ``sts``, ``mentio`` over ``ns``) and its interests mid-word (``diffus`` over ``ion``):
    the timezone's column alone was fixed to its whole name. As in ``status``, the name is now broken after a
    slash where it must be, and headers and words stay whole."""
    from recommender.store import Channel, Member

    zone = "America/Argentina/Buenos_Aires"
    assert cli("users", "add", "ada", "--interests", "graph neural networks; diffusion models").exit_code == 0
    assert cli("users", "subscribe", "ada", "--time", "07:30", "--timezone", zone).exit_code == 0
    assert cli("channels", "add", "baires", "--timezone", zone, "--topic", "diffusion models").exit_code == 0
    with store.session() as session:
        session.add(Channel(platform="discord", workspace="112233445566778899", channel_ref="998877665544332211",
                            name="papers", topic="graph neural networks", digest_time="10:00", timezone=zone))
        session.add(Member(platform="discord", workspace="112233445566778899", user_ref="80351110224678912",
                           display_name="elif", interests=["diffusion models"], subscribed=True, digest_time="08:00",
                           timezone=zone))
    result = cli(what, "list")
    assert result.exit_code == 0, result.output
    assert all(len(line) <= width for line in result.output.splitlines()), result.output
    headers = [cell.strip() for line in result.output.splitlines() if line.startswith("┃")
               for cell in line.split("┃")[1:-1]]
    expected = ["platform,", "workspace", "user", "interests", "DM", "digest", "mentions"] if what == "users" else \
        ["platform,", "workspace", "channel", "topic", "digest"]
    assert set(expected) <= set(" ".join(headers).split()), result.output
    words = set(" ".join(cells(result.output)).split())
    assert {"112233445566778899", "graph", "neural", "diffusion", "models"} <= words, result.output
    assert zone in words or {"America/Argentina/", "Buenos_Aires"} <= words, result.output  # whole, or after a slash


def test_run_once_prints_an_inbox_error_whole_under_its_table(cli, tmp_path, monkeypatch, width):
    """``run --once``'s last column cut the failed file's path with "…" at 80 columns
    (``/tmp/…/inbox/badid.jso…``): its row says where to look and the error follows the table whole, once."""
    import os
    import time

    monkeypatch.setenv("PAPERBOT_DATA_DIR", str(tmp_path / "data"))
    inbox = tmp_path / "data" / "inbox"
    inbox.mkdir(parents=True)
    bad = inbox / "badid.json"
    bad.write_text("{bad")
    os.utime(bad, (time.time() - 3600, time.time() - 3600))  # settled
    result = cli("run", "--once", "--no-bootstrap")
    assert result.exit_code == 1
    summary = result.stdout  # the log's lines (stderr) say it too, as one logfmt line each
    assert "…" not in summary and "see below" in " ".join(cells(summary))
    errors = [line for line in summary.splitlines() if "badid.json" in line]
    assert len(errors) == 1 and errors[0].startswith("error ingest inbox: badid.json: "), summary
    moved = inbox / "failed" / "badid.json"  # where the file is now, not where it was
    assert errors[0].endswith(f"{moved}:1: not valid JSON: Expecting property name enclosed in double quotes"), summary


def test_run_once_lists_the_journal_club_jobs_it_ran(cli, store, tmp_path, monkeypatch, width):
    """``run --once`` ran the journal club's due poll but its table listed the sources and digests only: the poll
    has a row of its own (here ``empty``: nobody 👍'd a paper in the channel that week)."""
    import datetime as dt

    from sqlalchemy import select

    from recommender.store import Channel

    monkeypatch.setenv("PAPERBOT_DATA_DIR", str(tmp_path / "data"))
    assert cli("channels", "add", "lab", "--timezone", "UTC").exit_code == 0
    now = dt.datetime.now(dt.UTC)
    slot = now - dt.timedelta(minutes=5)  # this week's slot passed 5 minutes ago, a day after the club was set
    with store.session() as session:
        lab = session.scalar(select(Channel).where(Channel.channel_ref == "lab"))
        lab.club_weekday, lab.club_time, lab.club_since = slot.weekday(), f"{slot:%H:%M}", now - dt.timedelta(days=1)
    result = cli("run", "--once", "--no-bootstrap")
    assert result.exit_code == 0, result.output
    assert all(len(line) <= width for line in result.stdout.splitlines()), result.stdout
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    club = [line for line in rows if "club" in line]
    assert club and "empty" in club[0], result.stdout
    assert "club poll #lab (cli)" in " ".join(" ".join(cells(result.stdout)).split()), result.stdout


def test_stats_names_its_database_on_one_line(cli, db_url, width):
    """The database's URL was the table's title, wrapped to the table's 22 columns at any terminal width
    (``sqlite:////tmp/cols80/`` over ``paperbot.db``)."""
    result = cli("stats")
    assert result.exit_code == 0
    assert f"Database: {db_url}" in result.stdout.splitlines()


def test_run_once_names_a_failed_digest_under_its_table_as_its_row_does(width):
    """The row said ``digest #papers (slack)`` and the error line under the table ``digest #papers: …``: with
    Slack and Discord both running, two channels of one name were told apart by order alone."""
    from io import StringIO

    from rich.console import Console

    from bot.cli.run import print_once_summary
    from bot.delivery import DeliveryOutcome
    from bot.delivery.post import DeliveryTarget
    from bot.service.once import OnceReport

    report = OnceReport(digests=[
        (DeliveryTarget("channel", 1, "slack", "T1", "C1", "papers"), DeliveryOutcome("unreachable", error="not_in_channel")),
        (DeliveryTarget("channel", 2, "discord", "G1", "9", "papers"), DeliveryOutcome("failed", error="503 Service Unavailable")),
    ])
    out = StringIO()
    print_once_summary(Console(file=out, width=width), report)
    errors = [line for line in out.getvalue().splitlines() if line.startswith("error ")]
    assert errors == ["error digest #papers (slack): not_in_channel", "error digest #papers (discord): 503 Service Unavailable"]
