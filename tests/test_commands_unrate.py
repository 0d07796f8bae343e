"""``/papers unrate <paper>`` (and ``paperbot unrate``): a 👍 or 👎 taken back, through the command layer and the CLI."""

import json

from sqlalchemy import select

from bot.commands import Caller, Commands, reply_text
from recommender.store import Feedback, Member, Paper

ADA = Caller("slack", "T1", "U1", display_name="ada")
GRACE = Caller("slack", "T1", "U2", display_name="grace")


def ratings(store) -> list[tuple[str, int, int]]:
    with store.session() as s:
        return sorted(tuple(r) for r in s.execute(select(Member.user_ref, Feedback.paper_id, Feedback.value)
                                .join(Member, Feedback.member_id == Member.id)).all())


def test_unrate_takes_back_the_callers_rating_only_and_the_picks_forget_it(papers_store, settings):
    cmds = Commands(papers_store, settings)
    with papers_store.session() as s:
        paper = s.scalars(select(Paper).where(Paper.title.ilike("%graph neural%")).order_by(Paper.id)).first()
        paper_id, title = paper.id, paper.title
    cmds.handle(ADA, f"like #{paper_id}")
    cmds.handle(GRACE, f"dislike #{paper_id}")
    assert any(title[:40] in p.reason for p in cmds.picks(ADA, 5).papers)  # "similar to 👍 …"

    taken = cmds.handle(ADA, f"unrate #{paper_id}")
    assert taken.ok and taken.text == f"Took back your 👍 on “{title}”. Your next picks no longer use it."
    assert ratings(papers_store) == [("U2", paper_id, -1)]  # grace's 👎 stands
    assert not any(title[:40] in p.reason for p in cmds.picks(ADA, 5).papers)

    again = cmds.handle(ADA, f"unrate #{paper_id}")
    assert not again.ok and again.text == f"You had not rated “{title}”; nothing changed."
    assert cmds.handle(GRACE, f"unrate #{paper_id}").text.startswith("Took back your 👎")
    assert ratings(papers_store) == []


def test_unrate_of_no_paper_or_of_two_answers_usage_and_creates_nobody(papers_store, settings):
    cmds = Commands(papers_store, settings)
    for text in ("unrate", "unrate #1 #2", "unrate 2501.99999"):
        reply = cmds.handle(ADA, text)
        assert not reply.ok and reply.usage, text
    assert "`unrate <paper>`: take it back" in reply_text(cmds.handle(ADA, "unrate"), str)
    nobody = cmds.handle(ADA, "unrate #1")
    assert not nobody.ok and "had not rated" in nobody.text
    assert ratings(papers_store) == []


def test_paperbot_unrate(cli, sample_digests):
    assert cli("ingest", sample_digests).exit_code == 0
    assert cli("users", "add", "grace", "--interests", "network pruning").exit_code == 0
    first = json.loads(cli("picks", "grace", "-k", "1", "--json").stdout)["picks"][0]
    assert cli("like", "grace", f"#{first['paper_id']}").exit_code == 0
    taken = cli("unrate", "grace", f"#{first['paper_id']}")
    assert taken.exit_code == 0 and "Took back your 👍" in taken.stdout
    assert json.loads(cli("stats", "--json").stdout)["likes"] == 0
    assert cli("unrate", "grace", f"#{first['paper_id']}").exit_code == 1  # nothing to take back
    assert cli("unrate", "grace", "9999.99999").exit_code == 1


def test_a_second_like_of_a_paper_says_it_was_already_liked(papers_store, settings):
    """A field test: `like` twice answered "👍 noted" twice, as if the second were news."""
    cmds = Commands(papers_store, settings)
    first = cmds.handle(ADA, "like #5")
    assert first.text.startswith("👍 noted for")
    title = first.text.split("“", 1)[1].split("”", 1)[0]
    assert cmds.handle(ADA, "like #5").text == f"You had already 👍 “{title}”; your picks use it, as of today."
    changed = cmds.handle(ADA, "dislike #5").text  # a change of mind is news, and says what it replaced
    assert changed == f"👎 noted for “{title}” (it replaces your 👍). Your next picks reflect it."
    assert ratings(papers_store) == [("U1", 5, -1)]
