"""What people type that the review found mishandled: odd digits, huge ids, help words, references,
invisible characters. A bad command answers with usage, privately, and changes nothing."""

import re

import pytest
from sqlalchemy import select

from bot.commands import Caller, Commands, reply_text
from recommender.store import Channel, ChannelChange, ClubVote, Feedback, Member, Paper

ADA = Caller("slack", "T1", "U1", display_name="ada", channel_ref="C1", channel_name="reading")


@pytest.fixture
def cmds(papers_store, settings):
    return Commands(papers_store, settings)


def rows(store) -> dict:
    """Everything a command may change, as comparable values."""
    with store.session() as s:
        return {
            "members": sorted((m.user_ref, tuple(m.interests or []), m.subscribed, m.digest_time, m.timezone)
                              for m in s.scalars(select(Member))),
            "channels": sorted((c.channel_ref, c.enabled, c.topic, c.digest_time, c.timezone, c.digest_size)
                               for c in s.scalars(select(Channel))),
            "changes": len(s.scalars(select(ChannelChange)).all()),
            "feedback": sorted((f.member_id, f.paper_id, f.value) for f in s.scalars(select(Feedback))),
            "votes": len(s.scalars(select(ClubVote)).all()),
        }


def refused(cmds, text, caller=ADA, *, usage=True):
    """Run ``text``; assert it answered privately (with usage), failed, and changed nothing; return the reply."""
    before = rows(cmds.store)
    reply = cmds.handle(caller, text)
    assert not reply.ok and reply.ephemeral and (reply.usage or not usage), (text, reply)
    assert rows(cmds.store) == before, text
    return reply


@pytest.mark.parametrize("text", ["like #²", "dislike #²", "who #²", "club vote ²", "club vote ٣", "channel setup ²",
                                  "channel setup 08:00 UTC 5 ٣", "like #99999999999999999999",
                                  "who #9223372036854775808", "like #3000000000", "who #2147483648"])
def test_odd_digits_and_huge_ids_answer_usage(cmds, text):
    cmds.handle(ADA, "channel setup 08:00 UTC 5 graphs")
    reply = refused(cmds, text, usage="like" not in text)
    if "#" in text:
        assert "no stored paper" in reply.text


@pytest.mark.parametrize("verb", ["like", "dislike", "who"])
def test_a_paper_command_without_its_paper_names_every_form_a_paper_takes(cmds, verb):
    reply = refused(cmds, verb)
    assert f"`{verb}` takes one paper: an arXiv id, an arXiv link or the #id shown with a paper (#12)" in reply.text


def test_the_largest_paper_id_is_still_looked_up(cmds):
    assert "no stored paper is #2147483647" in refused(cmds, "who #2147483647").text


@pytest.mark.parametrize("args", [("like", "ada", "99999999999999999999"), ("dislike", "ada", "#3000000000"),
                                  ("who", "99999999999999999999")])
def test_cli_huge_paper_ids_are_no_such_paper(cli, args):
    assert cli("users", "add", "ada").exit_code == 0
    result = cli(*args)
    assert result.exit_code in (1, 2) and isinstance(result.exception, SystemExit), (result.output, result.exception)
    assert "no stored paper is #" in result.output.lower()


@pytest.mark.parametrize("verb", ["like", "dislike", "who"])
@pytest.mark.parametrize("ref", ["2501.99999", "#999999", "not-a-paper"])
def test_an_unknown_paper_answers_that_commands_usage_after_like_as_after_who(cmds, verb, ref):
    reply = refused(cmds, f"{verb} {ref}")
    assert reply.usage == verb and "no stored paper" in reply.text
    assert "`like <paper>` · `dislike <paper>`" in reply_text(reply, heading=str) or verb == "who"


@pytest.mark.parametrize("verb", ["like", "dislike", "who"])
def test_a_bare_number_in_chat_is_refused_as_no_paper_reference(cmds, verb):
    """`like 2` after a reply numbered "1. … 2. …" may mean its 2nd paper or paper #2: a trial's `/papers dislike 15`
    was refused with no hint, and a review found that reading it as #15 rated an unrelated paper. Refused, with the
    #id to write (the CLI, whose lists show only #ids, reads 15 as #15)."""
    reply = refused(cmds, f"{verb} 2")
    assert "`2` alone is no paper: write the #id shown beside a paper (`#2`), not its place in a list" in reply.text


def test_cli_like_of_an_unknown_paper_fails_with_the_reason(cli):
    assert cli("users", "add", "ada").exit_code == 0
    result = cli("like", "ada", "2501.99999")
    assert result.exit_code == 1 and "no stored paper has the arXiv id 2501.99999" in result.output


@pytest.mark.parametrize("ref", ["https://www.alphaxiv.org/abs/2401.01234", "alphaxiv.org/overview/2401.01234v2",
                                 "https://arxiv.org/abs/2401.01234?context=cs", "https://arxiv.org/abs/2401.01234v1#section",
                                 "<https://arxiv.org/abs/2401.01234|arxiv.org/abs/2401.01234>",
                                 "#{id}.", "(#{id})", '"#{id}"', "“#{id}”", "'#{id}'", "`#{id}`", "#{id},", "(2401.01234).",
                                 '"https://arxiv.org/abs/2401.01234"'])
@pytest.mark.parametrize("verb", ["like", "dislike", "who"])
def test_paper_references_as_people_paste_them(cmds, verb, ref):
    with cmds.store.session() as s:
        paper = s.scalars(select(Paper).order_by(Paper.id)).first()
        paper.arxiv_id, paper_id, title = "2401.01234", paper.id, paper.title
    reply = cmds.handle(ADA, f"{verb} {ref.format(id=paper_id)}")
    assert reply.ok, reply.text
    if verb == "who":
        assert cmds.who_fits(ADA, ref.format(id=paper_id)).paper.title == title
    else:
        with cmds.store.session() as s:
            assert [(f.paper_id, f.value) for f in s.scalars(select(Feedback))] == [(paper_id, 1 if verb == "like" else -1)]


def answers_usage_of(cmds, text, command):
    """``text`` answered with ``command``'s usage lines alone, privately, changing nothing."""
    before = rows(cmds.store)
    reply = cmds.handle(ADA, text)
    assert reply.ephemeral and reply.usage == command and not reply.papers, (text, reply)
    shown = reply_text(reply, heading=str)
    assert f"`{command}" in shown and shown.count("• ") <= 3  # its line(s) and `help`, not the 13 of every command
    assert rows(cmds.store) == before, text
    return reply


@pytest.mark.parametrize("text, command", [
    ("channel setup help", "channel"), ("channel setup --help", "channel"), ("channel setup ?", "channel"),
    ("channel setup 08:00 help", "channel"), ("channel help", "channel"), ("channel status -h", "channel"),
    ("subscribe help", "subscribe"), ("subscribe 08:00 --help", "subscribe"), ("club status help", "club"),
    ("club help", "club"), ("club vote ?", "club"), ("like help", "like"), ("dislike --help", "dislike"),
    ("who help", "who"), ("who ?", "who"), ("mentions me help", "mentions"), ("picks help", "picks"),
    ("start ?", "start"), ("unsubscribe help", "unsubscribe"), ("import --help", "import"),
    ("search help", "search"), ("search --help", "search"), ("interests help", "interests"),
    ("interests add help", "interests"), ("interests remove ?", "interests"), ("interests list --help", "interests"),
])
def test_a_help_word_after_a_command_answers_its_usage(cmds, text, command):
    cmds.handle(ADA, "channel setup 08:00 UTC 5 graphs")
    cmds.handle(ADA, "interests add help desks")
    answers_usage_of(cmds, text, command)


@pytest.mark.parametrize("text, command", [("help search", "search"), ("help channel", "channel"), ("HELP Club", "club"),
                                           ("? who", "who"), ("--help interests", "interests")])
def test_help_with_a_command_answers_its_lines(cmds, text, command):
    reply = answers_usage_of(cmds, text, command)
    assert reply.ok and len(reply_text(reply, heading=str).splitlines()) < 5


def test_help_of_no_command_lists_every_command(cmds):
    reply = cmds.handle(ADA, "help me please")
    assert reply.ok and reply.usage is True


def test_help_as_words_of_a_text_is_text(cmds):
    """``help`` among other words of an interest, a search or a labelled topic is a word like the others."""
    assert cmds.handle(ADA, "interests add mental health help").ok
    assert cmds.handle(ADA, "search help desk automation").usage is False
    reply = cmds.handle(ADA, "channel setup topic: help")
    assert reply.ok and "Topic: “help”" in reply.text
    with cmds.store.session() as s:
        assert s.scalar(select(Member.interests)) == ["mental health help"]


def test_club_status_with_more_words_says_so(cmds):
    reply = refused(cmds, "club status extra")
    assert "`club status` takes no arguments" in reply.text and "weekday" not in reply.text


def channel(cmds) -> tuple:
    with cmds.store.session() as s:
        c = s.scalars(select(Channel)).one()
        return c.digest_time, c.timezone, c.digest_size, c.topic


@pytest.mark.parametrize("text, why", [
    ("channel setup UTC Europe/Berlin", "takes one timezone"), ("channel setup 10 12", "takes one size"),
    ("channel setup 08:00 09:00", "takes one time"), ("channel setup 07:00 utc 3 UTC", "takes one timezone"),
    ("channel setup NLP/ML", "`channel setup topic: NLP/ML`"),
    ("channel setup vision/language models", "`channel setup topic: vision/language models`"),
    ("channel setup 2024 elections", "`channel setup topic: 2024 elections`"),
    ("channel setup graphs 09:00 networks", "write it in one piece, or put the options first and the whole topic after `topic:`"),
])
def test_channel_setup_refuses_a_repeated_or_misplaced_setting(cmds, text, why):
    cmds.handle(ADA, "channel setup 08:00 UTC 5 graphs")
    reply = refused(cmds, text)
    assert why in reply.text and reply.usage == "channel"
    assert channel(cmds) == ("08:00", "UTC", 5, "graphs")


@pytest.mark.parametrize("text, expected", [
    ("channel setup utc graphs", ("09:00", "UTC", 5, "graphs")),
    ("channel setup LLM safety 09:00", ("09:00", "UTC", 5, "LLM safety")),
    ("channel setup LLM safety 07:30 europe/berlin 3", ("07:30", "Europe/Berlin", 3, "LLM safety")),
    ("channel setup 07:30 3 LLM safety", ("07:30", "UTC", 3, "LLM safety")),
    ("channel setup 08:00 topic: NLP/ML 2024", ("08:00", "UTC", 5, "NLP/ML 2024")),
    ("channel setup topic:NLP/ML", ("09:00", "UTC", 5, "NLP/ML")),
])
def test_channel_setup_reads_each_word_as_what_it_looks_like(cmds, text, expected):
    assert cmds.handle(ADA, "channel setup 09:00 UTC 5").ok
    reply = cmds.handle(ADA, text)
    assert reply.ok, reply.text
    assert channel(cmds) == expected


def test_the_topic_hint_matches_the_usage(cmds):
    hint = refused(cmds, "channel setup NLP/ML").text
    assert "`channel setup topic: NLP/ML`" in hint
    assert "topic: <topic>`" in reply_text(cmds.handle(ADA, "help channel"), heading=str)


def test_a_topic_split_by_an_option_is_given_back_whole_after_topic(cmds):
    """A trial: "channel setup large language models 2 and beyond" suggested `topic: large language models … and`,
    which, copied, set a topic that was neither what was typed nor the words around the option."""
    hint = refused(cmds, "channel setup large language models 2 and beyond").text
    assert "`channel setup topic: large language models 2 and beyond`" in hint
    suggested = re.search(r"`(channel setup topic: [^`]*)`", hint)[1]
    assert cmds.handle(ADA, suggested).ok and channel(cmds)[3] == "large language models 2 and beyond"


def test_picks_takes_how_many_papers(cmds):
    assert cmds.handle(ADA, "interests add graph neural networks").ok
    three = cmds.handle(ADA, "picks 3")
    assert three.ok and three.text.startswith("Your top 3 picks") and len(three.papers) == 3
    assert len(cmds.handle(ADA, "picks").papers) == 5  # the digest size, as before
    assert "`picks [n]`" in reply_text(cmds.handle(ADA, "help"), heading=str)


def interests(cmds) -> list[str]:
    with cmds.store.session() as s:
        return s.scalar(select(Member.interests).where(Member.user_ref == ADA.user_ref))


@pytest.mark.parametrize("twin", ["g\u200bnn", '"gnn"', "“gnn”", "'gnn'", "\u202egnn", "GNN\ufeff", "«gnn»", "ｇｎｎ"])
def test_invisible_characters_and_quotes_make_no_second_interest(cmds, twin):
    assert cmds.handle(ADA, "interests add gnn").ok
    reply = cmds.handle(ADA, f"interests add {twin}")
    assert "Nothing changed" in reply.text and interests(cmds) == ["gnn"]
    assert cmds.handle(ADA, f"interests remove {twin}").ok and interests(cmds) == []


def test_control_characters_are_stored_as_spaces(cmds):
    """A trial stored 'gene\x07 expression\x1b[31m red' as typed: a bell, and an escape that recoloured the terminal."""
    assert cmds.handle(ADA, "interests add gene\x07 expression\x1b[31m red").ok
    assert interests(cmds) == ["gene expression [31m red"]
    assert "Nothing changed" in cmds.handle(ADA, "interests add gene expression\x00 [31m red").text


def test_an_undecoded_byte_is_stored_as_a_replacement_character(cmds):
    """A trial's Latin-1 "é" in a UTF-8 shell came in as a lone surrogate: picks raised TypeError in the sentence
    model's tokenizer, and a channel topic UnicodeEncodeError in the database."""
    assert cmds.handle(ADA, "interests add caf\udce9 culture").ok
    assert interests(cmds) == ["caf\ufffd culture"]
    assert cmds.picks(ADA, 3).ok


def test_interests_are_compared_case_folded(cmds):
    assert cmds.handle(ADA, "interests add straße").ok
    assert "Nothing changed" in cmds.handle(ADA, "interests add STRASSE").text
    assert cmds.handle(ADA, "interests remove Strasse").ok and interests(cmds) == []


def test_an_interest_stored_with_quotes_is_removed_by_its_words(cmds):
    """Interests stored before they were normalised ('"gnn"', 'g\\u200bnn') go with `interests remove gnn`."""
    assert cmds.handle(ADA, "interests add placeholder").ok
    with cmds.store.session() as s:
        s.scalars(select(Member)).one().interests = ['"gnn"', "g\u200bnn", "graphs"]
    assert "Nothing changed" in cmds.handle(ADA, "interests add gnn").text
    assert cmds.handle(ADA, "interests remove gnn").ok and interests(cmds) == ["graphs"]


def test_an_invisible_topic_is_no_topic(cmds):
    assert cmds.handle(ADA, "channel setup 08:00 UTC 5 graphs").ok
    assert cmds.handle(ADA, "channel setup 09:00 " + "\u200b" * 5).ok  # the time alone
    assert channel(cmds) == ("09:00", "UTC", 5, "graphs")
    before = rows(cmds.store)
    with pytest.raises(Exception, match="a topic needs a letter or a digit"):
        cmds.channel_setup(ADA, topic="\u200b\u202e")  # Discord's topic option, as typed
    assert rows(cmds.store) == before
    assert cmds.handle(ADA, "channel setup “\u202eLLM\u200b safety”").ok and channel(cmds)[3] == "LLM safety"


@pytest.mark.parametrize("text", ["x" * 10_000, "who " + "y" * 10_000, "like #" + "1" * 10_000, "subscribe " + "z/" * 5000,
                                  "channel setup " + "w/" * 5000, "club " + "v" * 10_000 + " 10:00"])
def test_an_overlong_word_is_echoed_cut_short(cmds, text):
    reply = refused(cmds, text)
    shown = reply_text(reply, heading=str)
    assert len(reply.text) < 400 and len(shown) < 2000, reply.text[:200]
    assert "…" in reply.text


def test_cli_an_overlong_number_is_no_such_paper(cli):
    assert cli("users", "add", "ada").exit_code == 0
    for args in (("like", "ada", "1" * 5000), ("who", "1" * 5000)):
        result = cli(*args)
        assert result.exit_code in (1, 2) and isinstance(result.exception, SystemExit), (result.output[:200], result.exception)
        assert "no stored paper is #111" in result.output and len(result.output) < 400


def test_a_long_message_with_short_spans_is_not_cut(cmds):
    reply = refused(cmds, "subscribe 08:00 EST")
    assert "no daylight saving; use America/New_York" in reply.text and "…" not in reply.text
