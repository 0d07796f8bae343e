"""Block Kit of the journal club: the poll with one vote button per paper, and the winner's announcement.

Pure rendering, as :mod:`bot.slack.blocks`: functions return ``(text, blocks)``
from a neutral :class:`bot.club.ClubBallot` and never call Slack. A vote
button's value is ``"<poll id>:<paper id>"`` (:func:`club_vote_value`).
"""

from __future__ import annotations

from bot.club import ClubBallot, ballot_lines, likes_phrase, votes_phrase, winner_text
from bot.digest import clip
from bot.slack.blocks import CONTEXT_MAX, HEADER_MAX, SECTION_MAX, _title_link, escape

#: ``action_id`` of every vote button (the value names the poll and the paper).
ACTION_CLUB_VOTE = "paperbot_club_vote"


def club_vote_value(poll_id: int, paper_id: int) -> str:
    """``"<poll id>:<paper id>"``."""
    return f"{poll_id}:{paper_id}"


def parse_club_vote_value(value: str) -> tuple[int, int]:
    """``"12:34"`` -> ``(12, 34)`` (poll id, paper id).

    Raises
    ------
    ValueError
        Not a vote button's value.
    """
    poll, _, paper = value.partition(":")
    if not poll.isdigit() or not paper.isdigit():
        raise ValueError(f"not a club vote value: {value!r}")
    return int(poll), int(paper)


def poll_message(ballot: ClubBallot) -> tuple[str, list[dict]]:
    """The poll: a header, what it is and when it closes, then each paper with its 👍, votes and a Vote button.

    A closed ballot has no buttons. The ``text`` fallback is the numbered ballot.
    """
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(ballot.title, HEADER_MAX), "emoji": True}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(clip(ballot.intro(), CONTEXT_MAX - 200))}]},
    ]
    for n, option in enumerate(ballot.options, 1):
        line = f"*{n}. {_title_link(option.pick)}*\n{likes_phrase(option)} · {escape(votes_phrase(option))}"
        section: dict = {"type": "section", "block_id": f"club-{option.pick.paper_id}",
                         "text": {"type": "mrkdwn", "text": clip(line, SECTION_MAX, keep_lines=True)}}
        if not ballot.closed:
            section["accessory"] = {"type": "button", "action_id": ACTION_CLUB_VOTE, "text": {"type": "plain_text", "text": f"Vote {n}"},
                                    "value": club_vote_value(ballot.poll_id, option.pick.paper_id)}
        blocks.append(section)
    text = "\n".join([ballot.title, *ballot_lines(ballot)])
    return text, blocks


def winner_message(ballot: ClubBallot) -> tuple[str, list[dict]]:
    """The close: the winning paper linked, who voted for it, and the final count."""
    winner = ballot.winner
    assert winner is not None, "an empty ballot is never closed"
    who = escape(votes_phrase(winner)) if winner.voters else "no votes: the paper the channel 👍'd most"
    line = f"🏆 *Journal club pick:* {_title_link(winner.pick)}\n{who}"
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(ballot.title, HEADER_MAX), "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(line, SECTION_MAX, keep_lines=True)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(clip(" · ".join(ballot_lines(ballot)), CONTEXT_MAX - 400))}]},
    ]
    return winner_text(ballot), blocks
