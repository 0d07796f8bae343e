"""Block Kit rendering stays within Slack's limits and cuts long text cleanly."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from bot.commands import Reply
from bot.digest import DigestMessage
from bot.slack.blocks import (
    ACTION_SHARE,
    BUTTON_VALUE_MAX,
    MAX_BLOCKS,
    SECTION_MAX,
    digest_message,
    paper_message,
    paper_mrkdwn,
    parse_share_value,
    parse_vote_value,
    reply_message,
    share_value,
    vote_value,
)
from recommender.pick import Pick

from slack_fake import block_errors

pytestmark = pytest.mark.strict_logs

WORDS = "graph neural message passing sparse attention pruning transformer diffusion ".split()


def item(n: int, *, title_words=12, abstract_words=40, authors=3, url=True) -> Pick:
    text = lambda k: " ".join(WORDS[(n + i) % len(WORDS)] for i in range(k))  # noqa: E731
    return Pick(
        paper_id=n, ref=f"2401.{n:05d}", title=f"Paper {n}: " + text(title_words),
        url=f"https://arxiv.org/abs/2401.{n:05d}" if url else None,
        authors=tuple(f"Author {a} <x&y>" for a in range(authors)), source_kind="arxiv_atom", published=dt.date(2024, 1, 2),
        abstract=text(abstract_words), reason="matches graph, sparse; similar to 👍 “Paper 1”",
    )


def check_limits(text: str, blocks: list[dict]) -> None:
    assert text and len(text) <= 3000
    assert len(blocks) <= MAX_BLOCKS
    for b in blocks:
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= 150 and b["text"]["type"] == "plain_text"
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= SECTION_MAX
        if b["type"] == "context":
            assert all(len(e["text"]) <= 2000 for e in b["elements"])
        if b["type"] == "actions":
            assert all(len(e["value"]) <= 2000 and len(e["text"]["text"]) <= 75 for e in b["elements"])
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids))
    assert block_errors(blocks) == []  # valid Block Kit per slack_sdk.models.blocks


def test_block_check_catches_invalid_blocks():
    assert block_errors([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}])
    assert block_errors([{"type": "sparkle"}])
    assert block_errors([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}])


def test_a_normal_digest_has_header_sections_reasons_and_buttons():
    digest = DigestMessage("Papers for #reading, Mon 23 Nov 2026", dt.date(2026, 11, 23), [item(n) for n in range(1, 6)])
    text, blocks = digest_message(digest, delivery_id=7)
    check_limits(text, blocks)
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": digest.title, "emoji": True}}
    section = next(b for b in blocks if b.get("block_id") == "paper-1")["text"]["text"]
    assert section.startswith("*1. <https://arxiv.org/abs/2401.00001|Paper 1: ")
    assert "Author 0 &lt;x&amp;y&gt;, Author 1 &lt;x&amp;y&gt;, Author 2 &lt;x&amp;y&gt; · arXiv · 2024-01-02" in section
    assert [b["type"] for b in blocks[2:6]] == ["section", "context", "actions", "divider"]
    assert blocks[3]["elements"][0]["text"].startswith("Why: matches graph")
    assert [e["value"] for e in blocks[4]["elements"]] == ["7:1", "7:1"]
    assert text.startswith("Papers for #reading") and "\n5. Paper 5" in text


def test_twenty_huge_papers_fit_in_fifty_blocks_with_clean_cuts():
    items = [item(n, title_words=60, abstract_words=2000, authors=40) for n in range(1, 21)]
    digest = DigestMessage("A" * 400, dt.date(2026, 11, 23), items, intro="No new papers yesterday. " * 200)
    text, blocks = digest_message(digest)
    check_limits(text, blocks)
    assert blocks[0]["text"]["text"].endswith("…") and len(blocks[0]["text"]["text"]) <= 150
    assert len([b for b in blocks if b["type"] == "actions"]) == 20  # every paper keeps its buttons
    section = next(b for b in blocks if b.get("block_id") == "paper-1")["text"]["text"]
    assert "Author 0" in section and "and 37 more" in section
    abstract = section.split("\n")[2]
    assert abstract.endswith("…") and not abstract.endswith(" …")
    assert abstract[:-1].split()[-1] in WORDS  # cut at a word boundary
    assert "_Why: matches graph" in section  # compact layout folds the reason into the section


@pytest.mark.parametrize("n", [1, 11, 12, 16, 17, 20, 24, 40])
def test_any_size_fits(n):
    text, blocks = digest_message(DigestMessage("Papers", dt.date(2026, 11, 23), [item(i) for i in range(1, n + 1)]))
    check_limits(text, blocks)
    shown = [b for b in blocks if b.get("block_id", "").startswith("paper-")]
    assert len(shown) == n or (len(shown) < n and blocks[-1]["elements"][0]["text"].startswith(f"…and {n - len(shown)} more"))


def test_thread_reply_carries_one_paper_and_a_longer_abstract():
    text, blocks = paper_message(item(3, abstract_words=3000), 3)
    check_limits(text, blocks)
    assert text.startswith("3. Paper 3") and len(blocks) == 2
    assert 1000 < len(blocks[0]["text"]["text"]) <= SECTION_MAX
    assert "React 👍 or 👎" in blocks[1]["elements"][0]["text"]


def test_paper_without_link_or_date_or_authors():
    bare = Pick(9, "#9", "Untitled <b>work</b>", None, (), "", None, "")
    text, blocks = digest_message(DigestMessage("D", dt.date(2026, 1, 1), [bare]))
    check_limits(text, blocks)
    # no link, no authors, no source name: the title, the date says it is unknown, then its #id
    assert next(b for b in blocks if b.get("block_id") == "paper-9")["text"]["text"] == "*1. Untitled &lt;b&gt;work&lt;/b&gt;*\nundated · #9"


def test_reply_usage_is_escaped_and_papers_get_buttons_and_share():
    text, blocks = reply_message(Reply("`25:99` is not a time", usage="subscribe", ok=False))
    check_limits(text, blocks)
    assert "`/papers &lt;command&gt;`" in blocks[0]["text"]["text"] and "<command>" not in text
    assert blocks[0]["text"]["text"].startswith("`25:99` is not a time\n\n*Usage:* `/papers &lt;command&gt;`")
    text, blocks = reply_message(Reply("unknown command `serch`", usage="serch", ok=False))  # one line, escaped
    assert blocks[0]["text"]["text"] == ("unknown command `serch`\n\nDid you mean `/papers search &lt;query&gt;`? "
                                         "`/papers help` lists every command.")
    reply = Reply("Top 2 for “gnn”:", [item(1), item(2)])
    text, blocks = reply_message(reply, share_command="search gnn")
    check_limits(text, blocks)
    assert blocks[-1]["elements"][0]["action_id"] == ACTION_SHARE and blocks[-1]["elements"][0]["value"] == "ids:1,2:search gnn"
    assert parse_share_value("ids:1,2:search gnn") == ([1, 2], "search gnn")
    assert parse_share_value("search gnn") is None  # a button posted before the ids were carried
    long = share_value("search " + "word " * 1000, [item(1), item(2)])
    assert len(long) == BUTTON_VALUE_MAX and parse_share_value(long)[0] == [1, 2]
    assert [e["value"] for e in blocks[3]["elements"]] == ["-:1", "-:1"]
    _, shared = reply_message(Reply("x", [item(1)], ephemeral=False), share_command="search gnn")
    assert all(b.get("block_id") != "share" for b in shared)
    text, shared = reply_message(Reply("Top 1 for “<gnn>”:", [item(1)]), share_command="search <gnn>", shared_by="U1")
    check_limits(text, shared)
    assert shared[0]["text"]["text"] == "<@U1> shared `/papers search &lt;gnn&gt;`:\nTop 1 for “&lt;gnn&gt;”:"
    assert all(b.get("block_id") != "share" for b in shared)


def test_long_reply_text_is_split_into_sections():
    text, blocks = reply_message(Reply("\n".join(f"line {i} " + "x" * 200 for i in range(40))))
    check_limits(text, blocks)
    assert len(blocks) > 1 and all(b["type"] == "section" for b in blocks)


def test_vote_values_round_trip_and_reject_garbage():
    assert parse_vote_value(vote_value(5, 9)) == (5, 9) and parse_vote_value(vote_value(5)) == (5, None)
    for bad in ("", "x:1", "1:", "1:x", "1;2"):
        with pytest.raises(ValueError):
            parse_vote_value(bad)


def test_manifest_declares_what_the_app_uses():
    from pathlib import Path

    from bot.slack.app import BOT_SCOPES, COMMAND

    manifest = (Path(__file__).resolve().parent.parent / "config" / "slack-manifest.yaml").read_text()
    bot_scopes = manifest.split("bot:\n", 1)[1].split("settings:", 1)[0]
    assert sorted(line.strip(" -") for line in bot_scopes.splitlines() if line.strip().startswith("- ")) == sorted(BOT_SCOPES)
    for needed in (f"command: {COMMAND}", "- reaction_added", "- reaction_removed", "- channel_rename", "- group_rename",
                   "- app_uninstalled", "- tokens_revoked", "is_enabled: true"):
        assert needed in manifest


def test_a_long_authors_line_is_clipped_before_the_reference_not_it():
    """A collaboration's author list stored as one name (an import): the meta line is clipped, and still ends
    with the paper's reference, what `/papers like` takes (Discord shows it in the footer)."""
    long = dataclasses.replace(item(7), ref="#7", authors=("The ATLAS Collaboration: " + "A. Author, " * 60,))
    meta = paper_mrkdwn(long).splitlines()[1]
    assert len(meta) <= 500 and meta.endswith("… · #7")


def test_a_clipped_meta_line_never_cuts_an_escaped_character_in_two():
    """Clipped before it is escaped: '&' is '&amp;' in mrkdwn, and a cut inside it would show '&am'."""
    for n in range(150, 170):  # one word: the clip cannot fall on a space
        authors = ("R&D" * n,)
        meta = paper_mrkdwn(dataclasses.replace(item(7), ref="#7", authors=authors)).splitlines()[1]
        assert meta.endswith(" · #7") and not re.search(r"&(?!amp;|lt;|gt;)", meta), meta[-30:]


def test_an_escaped_meta_line_stays_within_500_and_the_section_within_slacks_limit():
    """Escaping lengthens '&' fivefold: a meta line clipped to 500 before escaping grew to 2,500 characters,
    and beside a long title the section went over Slack's 3000 (the block refused)."""
    huge = dataclasses.replace(item(7), title="word " * 280, authors=("R&D <Lab> " * 12,) * 4)
    text = paper_mrkdwn(huge)
    meta = text.splitlines()[1]
    assert len(meta) <= 500 and meta.endswith(" · 2401.00007") and len(text) <= SECTION_MAX
    assert not re.search(r"&(?!amp;|lt;|gt;)", meta)
