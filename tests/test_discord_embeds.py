"""Discord rendering within limits, reaction emoji, callers and how replies are answered."""

from __future__ import annotations

import datetime as dt

import discord
import pytest

from bot.commands import Reply
from bot.digest import DigestMessage
from bot.discord.client import reaction_value
from bot.discord.cog import POSTING_PERMISSIONS, answer, caller_of, missing_channel_permissions, permissions_warning
from bot.discord.embeds import (
    CONTENT_MAX,
    EMBED_TOTAL_MAX,
    chunk_embeds,
    header_content,
    paper_embed,
    reply_content,
    reply_embeds,
)
from recommender.pick import Pick

from discord_helpers import FakeInteraction

pytestmark = pytest.mark.strict_logs


def item(n: int = 1, *, title: str = "Sparse attention at scale", words: int = 40, authors: int = 2, reason: str = "matches attention") -> Pick:
    return Pick(
        paper_id=n, ref=f"2611.{n:05d}", title=title, url=f"https://arxiv.org/abs/2611.{n:05d}",
        authors=tuple(f"Author {i}" for i in range(authors)), source_kind="arxiv_atom", published=dt.date(2026, 11, 20),
        abstract=" ".join(["token"] * words), reason=reason,
    )


def test_paper_embed_has_linked_title_authors_source_date_and_reason():
    embed = paper_embed(item(7), position=2)
    assert embed.title == "2. Sparse attention at scale" and embed.url == "https://arxiv.org/abs/2611.00007"
    assert [(f.name, f.value, f.inline) for f in embed.fields] == [
        ("Authors", "Author 0, Author 1", False),
        ("Source", "arXiv", True),
        ("Date", "2026-11-20", True),
        ("Why this paper", "matches attention", False),
    ]
    assert embed.footer.text == "2611.00007 · /papers like 2611.00007"


def test_paper_embed_stays_within_discords_limits():
    huge = item(title="Graph " * 200, words=5000, authors=300, reason="because " * 500)
    embed = paper_embed(huge, abstract_chars=10_000)
    assert len(embed.title) <= 256 and embed.title.endswith("…")
    assert len(embed.description) <= 4096
    assert all(len(f.name) <= 256 and len(f.value) <= 1024 for f in embed.fields)
    assert dict((f.name, f.value) for f in embed.fields)["Authors"] == "Author 0, Author 1, Author 2 and 297 more"
    assert len(embed) <= EMBED_TOTAL_MAX
    bare = paper_embed(Pick(1, "#1", "", None, (), "", None, ""))
    assert bare.title == "(untitled)" and bare.url is None and bare.description is None


def test_embeds_are_chunked_by_count_and_by_total_characters():
    many = reply_embeds([item(n) for n in range(1, 24)])
    assert [len(c) for c in many] == [10, 10, 3]
    big = [paper_embed(item(n, words=2000, reason="x " * 1000), abstract_chars=4096) for n in range(5)]
    chunks = chunk_embeds(big)
    assert len(chunks) > 1 and all(sum(len(e) for e in c) <= EMBED_TOTAL_MAX for c in chunks)
    assert sum(len(c) for c in chunks) == 5
    too_big = discord.Embed(description="x" * 4096)
    for _ in range(4):
        too_big.add_field(name="n", value="y" * 1024)
    with pytest.raises(ValueError):
        chunk_embeds([too_big])


def test_header_and_reply_content():
    digest = DigestMessage(title="Papers for #reading, Mon 23 Nov 2026", day=dt.date(2026, 11, 23), papers=[item()])
    assert header_content(digest).splitlines() == [
        "**Papers for #reading, Mon 23 Nov 2026**", "React 👍 or 👎 on a paper to tune the next picks."]
    empty = DigestMessage(title="Papers for ada", day=dt.date(2026, 11, 23), intro="No new papers for you today.")
    assert header_content(empty).splitlines() == ["**Papers for ada**", "No new papers for you today."]
    assert reply_content(Reply("", usage=True)).startswith("**Usage:** `/papers <command>`")
    assert reply_content(Reply("unknown command `x`", usage=True)).startswith("unknown command `x`\n\n**Usage:** `/papers <command>`")
    assert len(reply_content(Reply("x" * 5000))) == CONTENT_MAX


@pytest.mark.parametrize("name,value", [
    ("👍", 1), ("👎", -1), ("👍🏻", 1), ("👍🏿", 1), ("👎🏽", -1), ("👍\ufe0f", 1), ("🎉", None), ("❤️", None),
])
def test_reaction_value_reads_thumbs_in_any_skin_tone(name, value):
    assert reaction_value(discord.PartialEmoji(name=name)) == value


def test_custom_emoji_named_like_a_thumb_is_not_feedback():
    assert reaction_value(discord.PartialEmoji(name="👍", id=1234)) is None


class _User:
    def __init__(self, id, name):
        self.id, self.name, self.display_name = id, name, name.title()


class _Channel:
    def __init__(self, id, name, guild):
        self.id, self.name, self.guild = id, name, guild


class _Guild:
    id = 42


def test_caller_of_guild_channel_and_dm():
    guild_call = caller_of(FakeInteraction(_User(7, "ada"), _Channel(99, "reading", _Guild())))
    assert (guild_call.platform, guild_call.workspace, guild_call.user_ref, guild_call.channel_ref, guild_call.channel_name,
            guild_call.display_name) == ("discord", "42", "7", "99", "reading", "Ada")
    dm_call = caller_of(FakeInteraction(_User(7, "ada"), None))
    assert (dm_call.workspace, dm_call.channel_ref, dm_call.channel_name) == ("dm", None, None)


def test_missing_channel_permissions():
    assert missing_channel_permissions(discord.Permissions(administrator=True)) == []
    assert missing_channel_permissions(discord.Permissions(view_channel=True, send_messages=True)) == [
        "Embed Links", "Read Message History", "Add Reactions"]
    # in a thread Discord checks Send Messages in Threads, not Send Messages
    in_thread = discord.Permissions(view_channel=True, send_messages=True, embed_links=True, read_message_history=True)
    assert missing_channel_permissions(in_thread, thread=True, names=POSTING_PERMISSIONS) == ["Send Messages In Threads"]
    assert missing_channel_permissions(in_thread, names=POSTING_PERMISSIONS) == []


def test_setup_warns_of_what_it_lacks_and_what_that_costs():
    everything = discord.Permissions(view_channel=True, send_messages=True, embed_links=True, read_message_history=True,
                                     add_reactions=True)
    assert permissions_warning(everything, thread=False) == ""
    no_reactions = discord.Permissions(everything.value & ~discord.Permissions(add_reactions=True).value)
    assert "digests go out without my 👍/👎" in permissions_warning(no_reactions, thread=False)
    assert "cannot post digests here yet: I am missing Send Messages In Threads" in permissions_warning(everything, thread=True)


async def test_answer_splits_papers_over_messages_and_keeps_privacy():
    who = FakeInteraction(_User(7, "ada"), None)
    await answer(who, Reply("Your top 12 picks:", [item(n) for n in range(1, 13)]))
    assert [(s.kind, len(s.embeds), s.ephemeral) for s in who.sent] == [("response", 10, True), ("followup", 2, True)]

    shared = FakeInteraction(_User(7, "ada"), None)
    await answer(shared, Reply("Top 1:", [item()]), share=True)
    assert not shared.answer.ephemeral

    failed = FakeInteraction(_User(7, "ada"), None)
    await answer(failed, Reply("nope", ok=False, ephemeral=False), share=True)
    assert failed.answer.ephemeral  # an error is never posted for everyone
